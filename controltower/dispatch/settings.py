"""The shop's delivery settings (zones, cut-offs, slots, prices), kept as one JSON value in the settings table."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from datetime import time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from ..domain.geo import haversine_km
from ..domain import DeliveryOption, Money
from ..store import shop_clock

SETTINGS_KEY = "dispatch.shop_settings"


@dataclass(frozen=True)
class Zone:
    """Where the shop delivers itself: a radius around the shop, or a list of postcodes (or both)."""

    name: str
    radius_km: float | None = None
    postcodes: tuple[str, ...] = ()  # exact codes or prefixes ending in '*', e.g. "SW1*"
    surcharge_minor: int = 0

    def covers(self, distance_km: float | None, postcode: str) -> bool:
        if self.radius_km is not None and distance_km is not None and distance_km <= self.radius_km:
            return True
        code = postcode.replace(" ", "").upper()
        for pattern in self.postcodes:
            pattern = pattern.replace(" ", "").upper()
            if pattern.endswith("*") and code.startswith(pattern[:-1]) and code:
                return True
            if pattern == code and code:
                return True
        return False


@dataclass(frozen=True)
class ShopSettings:
    """Everything the shop decides about delivery; prices are minor units in `currency`."""

    shop_name: str = "My Shop"
    shop_street: str = ""
    shop_city: str = ""
    shop_postcode: str = ""
    shop_country: str = "US"
    shop_phone: str = ""
    # The shop's one zone lives in the store (store.shop_clock): load_settings fills it in and save_settings writes
    # it back there; this default only serves settings built by hand, away from any store.
    timezone: str = "UTC"
    currency: str = "USD"
    shop_lat: float = 0.0
    shop_lon: float = 0.0
    opens: str = "09:00"  # local HH:MM, every open day
    closes: str = "19:00"
    closed_weekdays: tuple[int, ...] = (6,)  # Monday = 0; Sunday closed by default
    same_day_cutoff: str = "14:00"
    express_cutoff: str = "17:00"  # express = next morning, ordered before this
    express_window: tuple[str, str] = ("08:00", "12:00")
    standard_days: int = 2  # business days for the parcel carrier's standard service
    slot_minutes: int = 120
    slot_first: str = "10:00"
    slot_last_end: str = "20:00"
    slot_days_ahead: int = 3
    slot_capacity_per_van: int = 8  # stops one van can do in one slot
    pickup_ready_minutes: int = 60
    zones: tuple[Zone, ...] = ()
    prices_minor: dict[str, int] = field(default_factory=lambda: {
        "standard": 599, "express": 1299, "same_day": 999, "scheduled": 799, "pickup": 0,
    })
    per_parcel_minor: int = 0  # added per parcel after the first
    free_delivery_threshold_minor: int | None = 5000  # basket value at or above which standard is free
    cost_per_hour_minor: int = 2500  # own fleet, driver time
    cost_per_km_minor: int = 40
    average_speed_kmh: float = 30.0  # when no travel-time matrix is available
    quote_timeout_s: float = 8.0
    quote_reuse_minutes: float = 5.0  # a comparison this fresh is shown again rather than asking every carrier anew
    budget_minor: int | None = None  # most the shop wants to pay for one delivery
    # Rates the shop set for quotes in other currencies, dated: {"EUR": {"rate": "1.085", "as_of": "2026-12-01"}}
    # is 1 EUR = 1.085 of the shop's currency. A currency without one is never compared with the shop's.
    exchange_rates: dict[str, dict] = field(default_factory=dict)

    # -- conversions -------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def price(self, option: DeliveryOption) -> Money:
        return Money(int(self.prices_minor.get(option.value, 0)), self.currency)

    def money(self, minor: int) -> Money:
        return Money(int(minor), self.currency)

    def in_shop_currency(self, price: Money) -> tuple[Money | None, str]:
        """(the price in the shop's currency, a note on the conversion) or (None, why it can't be compared)."""
        if price.currency == self.currency:
            return price, ""
        entry = self.exchange_rates.get(price.currency) or {}
        try:
            rate = Decimal(str(entry.get("rate", "")))
        except InvalidOperation:
            rate = Decimal(0)
        if not rate.is_finite() or rate <= 0:
            return None, f"quoted in {price.currency}; this shop works in {self.currency}"
        as_of = entry.get("as_of") or "an undated rate"
        return price.converted(rate, self.currency), f"{price} at {rate} {self.currency}/{price.currency} ({as_of})"

    def zone_for(self, lat: float | None, lon: float | None, postcode: str) -> Zone | None:
        distance = None if lat is None or lon is None else haversine_km(self.shop_lat, self.shop_lon, lat, lon)
        return next((zone for zone in self.zones if zone.covers(distance, postcode)), None)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("timezone")  # kept once, in the store's shop.timezone setting, never a second copy here
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ShopSettings":
        data = json.loads(text)
        known = {f for f in cls.__dataclass_fields__}
        data = {k: v for k, v in data.items() if k in known}  # settings written by a newer version keep working
        data.pop("timezone", None)  # an older copy of the zone (once saved here as "UTC"): the store's setting rules
        zones = tuple(Zone(z["name"], z.get("radius_km"), tuple(z.get("postcodes", ())), int(z.get("surcharge_minor", 0)))
                      for z in data.pop("zones", ()))
        for key in ("closed_weekdays", "express_window"):
            if key in data:
                data[key] = tuple(data[key])
        return replace(cls(), zones=zones, **data)


def hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def read_setting(source, key: str) -> str | None:
    """A setting from a Database or from a connection (a worker thread's own reader)."""
    if isinstance(source, sqlite3.Connection):
        row = source.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]
    return source.get_setting(key)


def load_settings(source) -> ShopSettings:
    """The shop's settings from the store; before any are saved, defaults built from the shop's depot and details.

    The time zone is always the shop's one zone (store.shop_clock: the shop.timezone setting, else the computer's)."""
    text = read_setting(source, SETTINGS_KEY)
    settings = defaults_from_store(source) if text is None else ShopSettings.from_json(text)
    conn = _connection(source)
    return settings if conn is None else replace(settings, timezone=shop_clock.shop_zone_name(conn))


def _connection(source) -> sqlite3.Connection | None:
    """The calling thread's connection for a Database or a connection; None for anything else (a bare setting reader)."""
    if isinstance(source, sqlite3.Connection):
        return source
    reader = getattr(source, "reader", None)
    return reader() if callable(reader) else None


def defaults_from_store(source) -> ShopSettings:
    """Sensible first settings: the first depot is the shop, 8 km around it is the zone, its hours are the shop's."""
    conn = _connection(source)
    settings = ShopSettings()
    if conn is None:
        return settings
    changes = {}
    for key, field_name in (("shop.name", "shop_name"), ("shop.currency", "currency"), ("shop.phone", "shop_phone")):
        value = read_setting(conn, key)
        if value:
            changes[field_name] = value
    depot = conn.execute("SELECT * FROM depots ORDER BY id LIMIT 1").fetchone()
    if depot is not None:
        changes.update(shop_street=depot["street"], shop_city=depot["city"], shop_postcode=depot["postcode"],
                       shop_country=depot["country"], shop_lat=depot["lat"], shop_lon=depot["lon"],
                       zones=(Zone("Within 8 km", radius_km=8.0),))
        changes["shop_name"] = changes.get("shop_name") or depot["name"]
        if depot["opens_at"] and depot["closes_at"]:
            changes.update(opens=depot["opens_at"], closes=depot["closes_at"])
    return replace(settings, **changes)


def save_settings(db, settings: ShopSettings) -> None:
    """Save the delivery settings; a changed time zone becomes the shop's zone (shop.timezone), for every part of the app."""
    db.set_setting(SETTINGS_KEY, settings.to_json())
    if settings.timezone != shop_clock.shop_zone_name(db.reader()):
        ZoneInfo(settings.timezone)  # an unknown name is refused here rather than silently ignored on every read
        db.set_setting(shop_clock.SETTING, settings.timezone)
