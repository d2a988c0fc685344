"""Which delivery options the shop can offer for one order: price to the customer, promised window, and the way it goes."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..domain import UTC, CarrierKind, DeliveryOption, Money, Quote, TimeWindow
from ..domain.timeutil import require_aware, to_iso
from .settings import ShopSettings, hhmm
from .slot_caps import load_caps

_OWN_FLEET_OPTIONS = (DeliveryOption.SAME_DAY.value, DeliveryOption.SCHEDULED.value, DeliveryOption.EXPRESS.value)
_MIN_LEAD = timedelta(hours=1)  # a van slot or same-day run needs at least this long to pack and load


@dataclass(frozen=True)
class DeliveryRequest:
    """What the customer asks for, as far as delivery cares."""

    ordered_at: datetime
    postcode: str = ""
    lat: float | None = None
    lon: float | None = None
    parcels: int = 1
    weight_g: int = 0
    basket_value: Money | None = None

    def __post_init__(self) -> None:
        require_aware(self.ordered_at, "order time")


@dataclass(frozen=True)
class DeliveryOffer:
    """One option as the customer would see it; unavailable ones carry the reason, so the shop can explain."""

    option: DeliveryOption
    price: Money
    promised_window: TimeWindow | None
    way: str  # a CarrierKind value, or a carrier code when one courier's quote backs it
    available: bool = True
    note: str = ""

    def title(self, settings: ShopSettings) -> str:
        if self.promised_window is None:
            return self.option.label
        start = self.promised_window.start.astimezone(settings.tz)
        end = self.promised_window.end.astimezone(settings.tz)
        when = f"{start:%a %d %b} {start:%H:%M}–{end:%H:%M}" if start.date() == end.date() else f"{start:%a %d %b %H:%M} – {end:%a %d %b %H:%M}"
        return f"{self.option.label}: {when}"


@dataclass
class FleetCapacity:
    """Own-fleet stops still free per slot: vans × stops per van per slot, or the slot's cap (the capacity plan's
    suggestion) when lower, less what is already promised in it."""

    vans: int
    per_van: int
    used: dict[str, int] = field(default_factory=dict)  # slot start (UTC ISO) -> stops taken
    caps: dict[str, int] = field(default_factory=dict)  # slot start (UTC ISO) -> most stops the plan suggests

    def left(self, window: TimeWindow) -> int:
        key = to_iso(window.start)
        most = min(self.vans * self.per_van, self.caps.get(key, self.vans * self.per_van))
        return max(most - self.used.get(key, 0), 0)


def load_fleet_capacity(conn: sqlite3.Connection, settings: ShopSettings, day: date, days: int = 1) -> FleetCapacity:
    """Capacity for `days` local days from `day`, from active vans and the own-fleet promises already made."""
    vans = conn.execute("SELECT count(*) FROM vehicles WHERE active = 1").fetchone()[0]
    used: dict[str, int] = {}
    for offset in range(days):
        for slot in day_slots(settings, day + timedelta(days=offset)):
            # An order holds a slot when its promise starts in it and it is not finished or cancelled.
            taken = conn.execute(
                "SELECT count(*) FROM orders WHERE delivery_option IN (?, ?, ?) AND promised_start >= ? "
                "AND promised_start < ? AND status NOT IN ('delivered', 'cancelled', 'returned')",
                (*_OWN_FLEET_OPTIONS, to_iso(slot.start), to_iso(slot.end)),
            ).fetchone()[0]
            used[to_iso(slot.start)] = taken
    return FleetCapacity(vans, settings.slot_capacity_per_van, used, load_caps(conn))


def local_moment(settings: ShopSettings, day: date, hh_mm: str) -> datetime:
    """A local wall-clock time on a local date, as an aware UTC moment."""
    return datetime.combine(day, hhmm(hh_mm), tzinfo=settings.tz).astimezone(UTC)


def is_open_day(settings: ShopSettings, day: date) -> bool:
    return day.weekday() not in settings.closed_weekdays


def next_open_day(settings: ShopSettings, day: date, skip: int = 0) -> date:
    """The open day `skip` open days after `day` (0: `day` itself if open)."""
    while not is_open_day(settings, day):
        day += timedelta(days=1)
    for _ in range(skip):
        day += timedelta(days=1)
        while not is_open_day(settings, day):
            day += timedelta(days=1)
    return day


def day_slots(settings: ShopSettings, day: date) -> list[TimeWindow]:
    if not is_open_day(settings, day):
        return []
    slots, start = [], local_moment(settings, day, settings.slot_first)
    last_end = local_moment(settings, day, settings.slot_last_end)
    step = timedelta(minutes=settings.slot_minutes)
    while start + step <= last_end:
        slots.append(TimeWindow(start, start + step))
        start += step
    return slots


def customer_price(settings: ShopSettings, option: DeliveryOption, request: DeliveryRequest, surcharge_minor: int = 0) -> Money:
    """The shop's price rule: base + zone surcharge + per extra parcel; standard is free over the threshold."""
    threshold = settings.free_delivery_threshold_minor
    basket = request.basket_value
    if option is DeliveryOption.STANDARD and threshold is not None and basket is not None and basket.amount_minor >= threshold:
        return settings.money(0)
    if option is DeliveryOption.PICKUP:
        return settings.price(option)
    extra = settings.per_parcel_minor * max(request.parcels - 1, 0)
    return settings.money(settings.price(option).amount_minor + surcharge_minor + extra)


def delivery_options(settings: ShopSettings, request: DeliveryRequest, capacity: FleetCapacity | None = None,
                     courier_quotes: list[Quote] = ()) -> list[DeliveryOffer]:
    """Every option for this order, available ones first in the order a customer reads them."""
    zone = zone_of(settings, request)
    surcharge = zone.surcharge_minor if zone else 0
    now_local = request.ordered_at.astimezone(settings.tz)
    today = now_local.date()
    offers = [
        _standard(settings, request, zone is not None, surcharge, today),
        _express(settings, request, zone is not None, surcharge, now_local),
        _same_day(settings, request, zone is not None, surcharge, now_local, capacity, courier_quotes),
        *_scheduled(settings, request, zone is not None, surcharge, today, capacity),
        pickup_offer(settings, request, now_local),
    ]
    return sorted(offers, key=lambda o: not o.available)


def zone_of(settings: ShopSettings, request: DeliveryRequest):
    """The shop's zone the order falls in: by its position, by a zone's postcode list, or, before it is placed, by
    the shop's own postcode (the shop is there, so a radius around the shop covers it)."""
    lat, lon = request.lat, request.lon
    if lat is None or lon is None:
        same = request.postcode.replace(" ", "").upper() == settings.shop_postcode.replace(" ", "").upper()
        if same and request.postcode.strip() and (settings.shop_lat or settings.shop_lon):
            lat, lon = settings.shop_lat, settings.shop_lon
    return settings.zone_for(lat, lon, request.postcode)


def _standard(settings, request, in_zone, surcharge, today) -> DeliveryOffer:
    day = next_open_day(settings, today, skip=settings.standard_days)
    window = TimeWindow(local_moment(settings, day, settings.opens), local_moment(settings, day, settings.slot_last_end))
    way = CarrierKind.OWN_FLEET.value if in_zone else CarrierKind.PARCEL.value
    return DeliveryOffer(DeliveryOption.STANDARD, customer_price(settings, DeliveryOption.STANDARD, request, surcharge), window, way)


def _express(settings, request, in_zone, surcharge, now_local) -> DeliveryOffer:
    cutoff = hhmm(settings.express_cutoff)
    after_cutoff = now_local.time() >= cutoff or not is_open_day(settings, now_local.date())
    day = next_open_day(settings, now_local.date() + timedelta(days=1), skip=1 if after_cutoff else 0)
    window = TimeWindow(local_moment(settings, day, settings.express_window[0]), local_moment(settings, day, settings.express_window[1]))
    way = CarrierKind.OWN_FLEET.value if in_zone else CarrierKind.PARCEL.value
    note = f"ordered after the {settings.express_cutoff} cut-off: a day later" if after_cutoff else ""
    return DeliveryOffer(DeliveryOption.EXPRESS, customer_price(settings, DeliveryOption.EXPRESS, request, surcharge), window, way, note=note)


def _same_day(settings, request, in_zone, surcharge, now_local, capacity, courier_quotes) -> DeliveryOffer:
    price = customer_price(settings, DeliveryOption.SAME_DAY, request, surcharge)
    today = now_local.date()
    if not is_open_day(settings, today) or now_local.time() >= hhmm(settings.same_day_cutoff):
        return DeliveryOffer(DeliveryOption.SAME_DAY, price, None, "", False, f"same-day closes at {settings.same_day_cutoff}")
    earliest = request.ordered_at + _MIN_LEAD
    end_of_day = local_moment(settings, today, settings.slot_last_end)
    if in_zone:
        slots = [s for s in day_slots(settings, today) if s.start >= earliest - timedelta(minutes=settings.slot_minutes)]
        free = sum(capacity.left(s) for s in slots) if capacity is not None else 1
        if free > 0 and earliest < end_of_day:
            return DeliveryOffer(DeliveryOption.SAME_DAY, price, TimeWindow(earliest, end_of_day), CarrierKind.OWN_FLEET.value)
    same_day_quotes = [q for q in courier_quotes if q.estimated_delivery and q.estimated_delivery <= end_of_day
                       and settings.in_shop_currency(q.price)[0] is not None]
    if same_day_quotes:
        best = min(same_day_quotes, key=lambda q: settings.in_shop_currency(q.price)[0].amount_minor)
        return DeliveryOffer(DeliveryOption.SAME_DAY, price, TimeWindow(earliest, max(best.estimated_delivery, earliest)),
                             best.carrier, note=f"by courier ({best.carrier})")
    reason = "our vans are full today" if in_zone else "outside our delivery zones and no courier can take it today"
    return DeliveryOffer(DeliveryOption.SAME_DAY, price, None, "", False, reason)


def _scheduled(settings, request, in_zone, surcharge, today, capacity) -> list[DeliveryOffer]:
    price = customer_price(settings, DeliveryOption.SCHEDULED, request, surcharge)
    if not in_zone:
        return [DeliveryOffer(DeliveryOption.SCHEDULED, price, None, "", False, "outside our delivery zones")]
    offers = []
    for offset in range(settings.slot_days_ahead):
        for slot in day_slots(settings, today + timedelta(days=offset)):
            if slot.start < request.ordered_at + _MIN_LEAD:
                continue
            left = capacity.left(slot) if capacity is not None else 1
            offers.append(DeliveryOffer(DeliveryOption.SCHEDULED, price, slot, CarrierKind.OWN_FLEET.value,
                                        available=left > 0, note="" if left > 0 else "slot full"))
    return offers


def pickup_offer(settings, request, now_local) -> DeliveryOffer:
    ready = request.ordered_at + timedelta(minutes=settings.pickup_ready_minutes)
    day = ready.astimezone(settings.tz).date()
    if not is_open_day(settings, day) or ready >= local_moment(settings, day, settings.closes):
        day = next_open_day(settings, day + timedelta(days=1))
        ready = local_moment(settings, day, settings.opens)
    ready = max(ready, local_moment(settings, day, settings.opens))
    window = TimeWindow(ready, local_moment(settings, day, settings.closes))
    return DeliveryOffer(DeliveryOption.PICKUP, customer_price(settings, DeliveryOption.PICKUP, request), window, CarrierKind.PICKUP.value)
