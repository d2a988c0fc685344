"""Setting a shop up (the setup assistant and the Settings window): its details, depot, vans and drivers, senders, zones.

Every write goes through the table's owner: settings through `Database.set_setting` and `dispatch.settings`,
depots, drivers and vans through `store.fleet`, passwords and tokens to the keychain through `store.secrets`.

    setup = core.setup
    if setup.needs_setup(): ...                       # a real store nobody has set up yet
    setup.save_shop(replace(setup.shop(), name="Rose City Plants", ...))
    setup.save_van(VanDetails("Van 1", capacity_parcels=40, ...))
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from ..domain.timeutil import utcnow
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers

from ..dispatch.settings import Zone, load_settings, save_settings
from ..domain import Address, GeoPoint
from ..kernel.errors import InputError
from ..kernel.events import EventHub
from ..store import Database, fleet, shop_clock
from ..store.secrets import SecretStoreError, get_secret, set_secret

__all__ = ["SetupService", "ShopDetails", "DepotDetails", "VanDetails", "Senders", "SetupProgress", "Zone"]

CURRENCIES = ("USD", "CAD", "GBP", "EUR", "AUD", "NZD", "SEK", "NOK", "DKK", "CHF")


@dataclass(frozen=True)
class ShopDetails:
    """Who and where the shop is, its clock and money, and when it takes and sends orders (local "HH:MM")."""

    name: str = ""
    street: str = ""
    city: str = ""
    postcode: str = ""
    country: str = "US"
    lat: float | None = None
    lon: float | None = None
    timezone: str = "UTC"
    currency: str = "USD"
    opens: str = "09:00"
    closes: str = "19:00"
    same_day_cutoff: str = "14:00"
    express_cutoff: str = "17:00"
    phone: str = ""  # the pickup phone couriers call (and refuse a booking without)
    # Rates for quotes in other currencies, as typed: "EUR 1.08 2026-12-01; GBP 1.27" (1 EUR = 1.08 of the shop's
    # currency, set on that day). A currency without a rate is set aside in comparisons, never compared by its digits.
    exchange_rates: str = ""

    @property
    def address(self) -> Address:
        return Address(self.street, self.city, self.postcode, self.country)


@dataclass(frozen=True)
class DepotDetails:
    """Where the vans start and end; the shop's own address unless the vans live elsewhere."""

    name: str
    street: str
    city: str
    postcode: str
    country: str
    lat: float
    lon: float
    id: int | None = None


@dataclass(frozen=True)
class VanDetails:
    """One van and its driver; costs are minor units of the shop's currency, the shift local "HH:MM"."""

    name: str
    capacity_parcels: int = 40
    capacity_weight_kg: float = 600.0
    cost_per_km_minor: int = 40
    cost_per_hour_minor: int = 2500
    shift_start: str = "08:00"
    shift_end: str = "18:00"
    break_minutes: int = 30
    skills: str = ""
    driver_name: str = ""
    driver_phone: str = ""
    id: int | None = None
    driver_id: int | None = None


@dataclass(frozen=True)
class Senders:
    """How customer messages leave: an SMTP server for email, a Twilio account for SMS (secrets shown masked)."""

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_from: str = ""
    smtp_username: str = ""
    smtp_security: str = "starttls"
    smtp_ca_file: str = ""
    twilio_account_sid: str = ""
    twilio_from: str = ""
    smtp_password_saved: bool = False
    twilio_token_saved: bool = False


@dataclass(frozen=True)
class SetupProgress:
    """What the shop has so far: the empty states and the first-start check read this one count."""

    shop_set_up: bool
    orders: int
    vans: int
    carriers: int


_SENDER_KEYS = {"smtp_host": "notify.smtp.host", "smtp_port": "notify.smtp.port", "smtp_from": "notify.smtp.from",
                "smtp_username": "notify.smtp.username", "smtp_security": "notify.smtp.security",
                "smtp_ca_file": "notify.smtp.ca_file", "twilio_account_sid": "notify.twilio.account_sid",
                "twilio_from": "notify.twilio.from"}

# A first guess at the zone from the country (and, across North America, the longitude); the user picks from the list.
_COUNTRY_ZONES = {"GB": "Europe/London", "IE": "Europe/Dublin", "NL": "Europe/Amsterdam", "SE": "Europe/Stockholm",
                  "FR": "Europe/Paris", "DE": "Europe/Berlin", "ES": "Europe/Madrid", "IT": "Europe/Rome",
                  "BE": "Europe/Brussels", "DK": "Europe/Copenhagen", "NO": "Europe/Oslo", "CH": "Europe/Zurich",
                  "NZ": "Pacific/Auckland"}
_US_ZONES = ((-115.0, "America/Los_Angeles"), (-102.0, "America/Denver"), (-87.5, "America/Chicago"),
             (180.0, "America/New_York"))
_CA_ZONES = ((-120.0, "America/Vancouver"), (-102.0, "America/Edmonton"), (-90.0, "America/Winnipeg"),
             (-64.0, "America/Toronto"), (180.0, "America/Halifax"))


def _saved(account: str, field: str) -> bool:
    """Whether the keychain holds this secret; a computer without a keychain shows the page with nothing saved."""
    try:
        return bool(get_secret(account, field))
    except SecretStoreError:
        return False


def shop_phone(text: str, country: str) -> str:
    """The shop's phone in E.164 ("+15035550199"), read as a number of the shop's country when it has no +code;
    InputError when it is missing or no real number (couriers refuse a pickup without one they can call)."""
    raw = text.strip()
    advice = "Type the number your staff answer, as you would dial it: (503) 555-0199 or +1 503 555 0199."
    if not raw:
        raise InputError("The shop needs a phone number: couriers refuse a pickup without one.", advice)
    try:
        number = phonenumbers.parse(raw, (country or "US").upper())
    except phonenumbers.NumberParseException:
        raise InputError(f"“{raw}” is not a phone number.", advice) from None
    if not phonenumbers.is_valid_number(number):
        raise InputError(f"“{raw}” is not a valid phone number for {(country or 'US').upper()}.", advice)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def rates_text(rates: dict[str, dict]) -> str:
    """The shop's rate table as the Shop page shows it: "EUR 1.08 2026-12-01; GBP 1.27 2026-11-30"."""
    return "; ".join(f"{code} {entry['rate']} {entry.get('as_of', '')}".strip() for code, entry in sorted(rates.items()))


def rates_from_text(text: str, currency: str, today: str) -> dict[str, dict]:
    """{"EUR": {"rate": "1.08", "as_of": "2026-12-01"}} from "EUR 1.08 2026-12-01; GBP 1.27" (a rate without a
    date is today's); InputError naming the entry that is not a currency, a positive rate or a date."""
    advice = "Write each as CODE RATE DATE, separated by ';': EUR 1.08 2026-12-01 means 1 EUR is 1.08 " + currency + "."
    rates = {}
    for entry in filter(None, (part.strip() for part in text.replace(",", ";").split(";"))):
        words = entry.split()
        code = words[0].upper() if words else ""
        try:
            rate = Decimal(words[1]) if len(words) >= 2 else Decimal(0)
            as_of = date.fromisoformat(words[2]).isoformat() if len(words) >= 3 else today
        except (InvalidOperation, ValueError):
            raise InputError(f"“{entry}” is not a rate.", advice) from None
        if len(words) > 3 or len(code) != 3 or not code.isalpha() or code == currency or not rate.is_finite() or rate <= 0:
            raise InputError(f"“{entry}” is not a rate for another currency.", advice)
        rates[code] = {"rate": str(rate), "as_of": as_of}
    return rates


class SetupService:
    """The setup assistant's and the Settings window's service: plain methods over the store's owners."""

    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    # ------------------------------------------------------------------ where the shop is
    def progress(self) -> SetupProgress:
        conn = self.db.reader()
        return SetupProgress(
            shop_set_up=conn.execute("SELECT count(*) FROM settings WHERE key = 'shop.name' AND value != ''").fetchone()[0] > 0
            or conn.execute("SELECT count(*) FROM depots").fetchone()[0] > 0,
            orders=conn.execute("SELECT count(*) FROM orders").fetchone()[0],
            vans=conn.execute("SELECT count(*) FROM vehicles WHERE active = 1").fetchone()[0],
            carriers=conn.execute("SELECT count(*) FROM carrier_accounts WHERE enabled = 1").fetchone()[0])

    def needs_setup(self) -> bool:
        """A store with no shop name and no depot: nobody has set it up yet."""
        return not self.progress().shop_set_up

    def shop(self) -> ShopDetails:
        settings = load_settings(self.db.reader())
        placed = settings.shop_lat or settings.shop_lon
        return ShopDetails(self._setting("shop.name") or "", settings.shop_street, settings.shop_city,
                           settings.shop_postcode, settings.shop_country, settings.shop_lat if placed else None,
                           settings.shop_lon if placed else None, settings.timezone,
                           self._setting("shop.currency") or settings.currency, settings.opens, settings.closes,
                           settings.same_day_cutoff, settings.express_cutoff, settings.shop_phone,
                           rates_text(settings.exchange_rates))

    async def locate(self, address: Address) -> GeoPoint | None:
        """Where the address is, by the app's geocoder (the user's service, then the bundled postcodes); None: not found."""
        from ..geocoding import build_geocoder

        return await build_geocoder(self.db).geocode(address, interactive=True)

    @staticmethod
    def zone_names() -> list[str]:
        return sorted(name for name in available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/")))

    @staticmethod
    def currencies() -> tuple[str, ...]:
        return CURRENCIES

    def propose_zone(self, country: str, lon: float | None) -> str:
        """The zone the address is most likely in; the computer's own when the country gives no answer."""
        country = country.strip().upper()
        table = {"US": _US_ZONES, "CA": _CA_ZONES}.get(country)
        if table and lon is not None:
            return next(zone for edge, zone in table if lon <= edge)
        if country in _COUNTRY_ZONES:
            return _COUNTRY_ZONES[country]
        return getattr(shop_clock.computer_zone(), "key", None) or "UTC"

    def save_shop(self, shop: ShopDetails) -> None:
        """The shop's name, currency, zone, address and hours; the first depot is made at the shop when there is none."""
        if not shop.name.strip():
            raise InputError("The shop needs a name.", "Type the name your customers know.")
        if shop.lat is None or shop.lon is None:
            raise InputError("The shop's address is not placed on the map yet.", "Press Find on the map, or type its latitude and longitude.")
        ZoneInfo(shop.timezone)  # an unknown zone is refused here, not on every later read
        phone = shop_phone(shop.phone, shop.country)
        rates = rates_from_text(shop.exchange_rates, shop.currency, shop_clock.shop_today(self.db.reader()))
        self.db.set_setting("shop.name", shop.name.strip())
        self.db.set_setting("shop.currency", shop.currency)
        settings = replace(load_settings(self.db.reader()), shop_name=shop.name.strip(), shop_street=shop.street,
                           shop_city=shop.city, shop_postcode=shop.postcode, shop_country=shop.country,
                           shop_lat=shop.lat, shop_lon=shop.lon, timezone=shop.timezone, currency=shop.currency,
                           opens=shop.opens, closes=shop.closes, same_day_cutoff=shop.same_day_cutoff,
                           express_cutoff=shop.express_cutoff, shop_phone=phone, exchange_rates=rates)
        save_settings(self.db, settings)
        if self.depot() is None:
            self.save_depot(DepotDetails(shop.name.strip(), shop.street, shop.city, shop.postcode, shop.country,
                                         shop.lat, shop.lon))
        self._changed("settings.changed")

    # ------------------------------------------------------------------ depot, vans, drivers
    def depot(self) -> DepotDetails | None:
        row = self.db.reader().execute("SELECT * FROM depots ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        return DepotDetails(row["name"], row["street"], row["city"], row["postcode"], row["country"], row["lat"],
                            row["lon"], row["id"])

    def save_depot(self, depot: DepotDetails) -> int:
        settings = load_settings(self.db.reader())
        point = GeoPoint(depot.lat, depot.lon)
        values = dict(street=depot.street, city=depot.city, postcode=depot.postcode, country=depot.country,
                      opens_at=settings.opens, closes_at=settings.closes)
        with self.db.transaction() as conn:
            if depot.id is None:
                depot_id = fleet.add_depot(conn, depot.name, point, **values)
            else:
                fleet.update_depot(conn, depot.id, depot.name, point, **values)
                depot_id = depot.id
        self._changed("routes.changed")
        return depot_id

    def vans(self) -> list[VanDetails]:
        rows = self.db.reader().execute(
            "SELECT v.*, coalesce(d.name, '') AS driver_name, coalesce(d.phone, '') AS driver_phone FROM vehicles v "
            "LEFT JOIN drivers d ON d.id = v.driver_id WHERE v.active = 1 ORDER BY v.id").fetchall()
        return [VanDetails(r["name"], r["capacity_parcels"], r["capacity_weight_g"] / 1000, r["cost_per_km_minor"],
                           r["cost_per_hour_minor"], r["shift_start"] or "", r["shift_end"] or "", r["break_minutes"],
                           r["skills"], r["driver_name"], r["driver_phone"], r["id"], r["driver_id"]) for r in rows]

    def save_van(self, van: VanDetails) -> int:
        """Add the van (and its driver), or change it when it has an id."""
        if not van.name.strip():
            raise InputError("A van needs a name.", "Call it what the drivers do, e.g. 'Van 1'.")
        if van.capacity_parcels <= 0 or van.capacity_weight_kg <= 0:
            raise InputError(f"{van.name} carries nothing.", "Type how many parcels and how many kilograms it takes.")
        depot = self.depot()
        with self.db.transaction() as conn:
            driver_id = van.driver_id
            if van.driver_name.strip() and driver_id is None:
                driver_id = fleet.add_driver(conn, van.driver_name.strip(), van.driver_phone.strip())
            elif driver_id is not None:
                fleet.update_driver(conn, driver_id, van.driver_name.strip(), van.driver_phone.strip())
            fields = dict(capacity_parcels=van.capacity_parcels, capacity_weight_g=round(van.capacity_weight_kg * 1000),
                          shift_start=van.shift_start, shift_end=van.shift_end, break_minutes=van.break_minutes,
                          skills=van.skills, driver_id=driver_id, cost_per_hour_minor=van.cost_per_hour_minor,
                          cost_per_km_minor=van.cost_per_km_minor)
            if van.id is None:
                van_id = fleet.add_vehicle(conn, van.name.strip(), depot_id=None if depot is None else depot.id, **fields)
            else:
                fleet.update_vehicle(conn, van.id, name=van.name.strip(), **fields)
                van_id = van.id
        self._changed("routes.changed")
        return van_id

    def remove_van(self, van_id: int) -> None:
        """A van taken off the road (kept for the history of its routes)."""
        with self.db.transaction() as conn:
            fleet.update_vehicle(conn, van_id, active=0)
        self._changed("routes.changed")

    # ------------------------------------------------------------------ email and SMS senders
    def senders(self) -> Senders:
        values = {name: self._setting(key) for name, key in _SENDER_KEYS.items()}
        values = {name: value for name, value in values.items() if value is not None}
        if "smtp_port" in values:
            values["smtp_port"] = int(values["smtp_port"])
        return Senders(**values, smtp_password_saved=_saved("smtp", "password"),
                       twilio_token_saved=_saved("twilio", "auth_token"))

    def save_senders(self, senders: Senders, *, smtp_password: str = "", twilio_token: str = "") -> None:
        """The sender settings; a typed password or token goes to the keychain (empty: keep the saved one)."""
        for name, key in _SENDER_KEYS.items():
            self.db.set_setting(key, str(getattr(senders, name)))
        try:
            if smtp_password:
                set_secret("smtp", "password", smtp_password)
            if twilio_token:
                set_secret("twilio", "auth_token", twilio_token)
        except SecretStoreError as exc:
            raise InputError(f"The password was not saved: {exc}.",
                             "Unlock or install this computer's keychain, then save again.") from exc

    def send_test_email(self, to: str) -> str:
        """Send one test mail with the saved settings (blocking: call from a worker); the server's Message-ID back."""
        from ..control.notify.channels import Outgoing, SendError, SmtpChannel, SmtpConfig

        config = SmtpConfig.from_settings(self.db.reader())
        if config is None:
            raise InputError("No mail server is set up.", "Type the SMTP server's name and save first.")
        now = utcnow()
        item = Outgoing(0, "email", to.strip(), f"Test message from {self._setting('shop.name') or 'Control Tower'}",
                        "<p>Your shop's email sender works: customers will get their delivery messages like this one.</p>",
                        f"setup-test:{to}:{now.isoformat()}", now)
        try:
            return SmtpChannel(config).send(item)
        except SendError as exc:
            raise InputError(f"The test message did not go out: {exc}.", "Check the server, port, user and password.") from exc

    # ------------------------------------------------------------------ delivery zones
    def zones(self) -> tuple[Zone, ...]:
        return load_settings(self.db.reader()).zones

    def postcode_centres(self, postcodes) -> dict[str, tuple[float, float]]:
        """Where each zone postcode (or '972*' prefix) is, from the bundled postcode centroids, in the shop's country;
        unknown ones are left out. The first call reads the bundled file (about 2 s): call it from a worker."""
        from ..geocoding.offline import postcode_centre

        country = self.shop().country or "US"
        found = {code: postcode_centre(country, code) for code in set(postcodes)}
        return {code: point for code, point in found.items() if point is not None}

    def save_zones(self, zones: list[Zone] | tuple[Zone, ...]) -> None:
        for zone in zones:
            if zone.radius_km is None and not zone.postcodes:
                raise InputError(f"The zone '{zone.name}' covers nowhere.", "Give it a radius in km or a list of postcodes.")
        save_settings(self.db, replace(load_settings(self.db.reader()), zones=tuple(zones)))
        self._changed("settings.changed")

    def _setting(self, key: str) -> str | None:
        """A setting read on this thread's own connection (the empty states ask while a worker writes)."""
        row = self.db.reader().execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def _changed(self, topic: str) -> None:
        if self.hub is not None:
            self.hub.publish(topic)
