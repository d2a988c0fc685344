"""A deterministic, realistic demo: one plant-and-homeware shop (in Helsinki on real streets for the app, in Portland
on its avenue grid for the tests' long-standing day), today's orders, two weeks of history and two years of counts."""
from __future__ import annotations

import math
import random
from itertools import groupby
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ..domain import (
    Address, DeliveryOption, GeoPoint, GeoPrecision, Money, Order, OrderLine, Shipment, ShipmentStatus, TimeWindow,
    TrackingEvent,
)
from ..domain.geo import haversine_km
from ..domain.timeutil import UTC, to_iso, utcnow
from ..routing import plans
from ..store import Database, carrier_accounts, fleet
from ..store import settings as shop_settings
from ..store import shop_clock
from ..store.shop_clock import shop_today, shop_zone
from ..store.carrier_accounts import StoredAccount
from ..store import orders as order_store
from ..store import shipments as shipment_store
from ..forecast.model import SeriesKey
from . import city
from .cities import CITIES, PORTLAND, DemoCity
from .history import Demand, write_history

S = ShipmentStatus
# (code, name, kind, enabled): the sandbox couriers run on 127.0.0.1 in demo mode; the real accounts wait for keys.
CARRIERS = [("own_fleet", "Own vans", "own_fleet", 1), ("pickup", "In-store pickup", "pickup", 1),
            ("sandbox:zippy", "Zippy Express (sandbox)", "courier", 1), ("sandbox:pedal", "Pedal Post (sandbox)", "courier", 1),
            ("sandbox:metro", "Metro Runners (sandbox)", "courier", 1),
            ("easypost", "EasyPost", "parcel", 0), ("uber_direct", "Uber Direct (add your key)", "courier", 0)]
CLOSING_HOUR = 19  # the depot's closes_at below
COURIERS = {"sandbox:zippy": "Zippy Express", "sandbox:pedal": "Pedal Post", "sandbox:metro": "Metro Runners"}
# Carrier status codes as their trackers report them, for a believable raw history.
_RAW = {"courier": {S.BOOKED: "pending", S.PICKED_UP: "pickup_complete", S.IN_TRANSIT: "pickup_complete",
                        S.OUT_FOR_DELIVERY: "dropoff", S.DELIVERED: "delivered", S.FAILED_ATTEMPT: "returned",
                        S.RETURNING: "returned", S.RETURNED: "returned", S.EXCEPTION: "canceled"},
        "easypost": {S.BOOKED: "pre_transit", S.PICKED_UP: "in_transit", S.IN_TRANSIT: "in_transit",
                     S.OUT_FOR_DELIVERY: "out_for_delivery", S.DELIVERED: "delivered", S.FAILED_ATTEMPT: "failure",
                     S.RETURNING: "return_to_sender", S.RETURNED: "return_to_sender", S.EXCEPTION: "error"}}


@dataclass(frozen=True)
class DemoSummary:
    path: Path
    today_orders: int
    history_orders: int
    now: datetime


class _Day:
    """Builds one day's orders and what happened to them, as of `now`."""

    def __init__(self, rng: random.Random, tz: ZoneInfo, now: datetime, centre: datetime, prefix: str,
                 place: DemoCity = PORTLAND) -> None:
        self.rng, self.tz, self.now, self.centre, self.prefix, self.city = rng, tz, now, centre, prefix, place

    def address(self) -> city.StreetAddress:
        return self.city.pick_address(self.rng)

    def option(self) -> DeliveryOption:
        return self.rng.choices(list(DeliveryOption), weights=[38, 14, 20, 18, 10])[0]

    def window(self, option: DeliveryOption, created: datetime) -> TimeWindow:
        """The promise, always within the shop's delivery hours (07:00 to closing): a window that would end after
        closing ends at closing, and one that would start in the last hour moves to the next morning."""
        window = self._window(option, created)
        if option is DeliveryOption.PICKUP or window.end <= self.closes:
            return window
        if window.start <= self.closes - timedelta(hours=1):
            return TimeWindow(window.start, self.closes)
        morning = self.opens + timedelta(days=1)
        return TimeWindow(morning, min(morning + (window.end - window.start), self.closes + timedelta(days=1)))

    @property
    def closes(self) -> datetime:
        """The shop closes at 19:00 (the depot's hours): no van is promised after that."""
        return self.opens.replace(hour=CLOSING_HOUR)

    def _window(self, option: DeliveryOption, created: datetime) -> TimeWindow:
        rng = self.rng
        if option is DeliveryOption.SCHEDULED:
            start = self.centre + timedelta(hours=rng.choice([-5, -4, -3, -2, -1, 0, 1, 2, 3, 4]))
            start = max(start.replace(minute=0, second=0, microsecond=0), self.opens)
            return TimeWindow(start, start + timedelta(hours=2))
        if option is DeliveryOption.EXPRESS:
            start = max(created, self.opens)  # a night order goes out when the shop opens
            return TimeWindow(start, start + timedelta(hours=3))
        if option is DeliveryOption.SAME_DAY:
            start = max(created, self.opens)
            end = (self.centre + timedelta(hours=rng.choice([2, 3, 4, 5]))).replace(minute=0, second=0, microsecond=0)
            return TimeWindow(start, max(end, start + timedelta(hours=2)))
        if option is DeliveryOption.PICKUP:
            start = created + timedelta(hours=1)
            return TimeWindow(start, start + timedelta(days=3))
        start = max((self.centre - timedelta(hours=5)).replace(minute=0, second=0, microsecond=0), self.opens)
        return TimeWindow(start, start + timedelta(hours=11))

    @property
    def opens(self) -> datetime:
        """Deliveries start at 07:00 shop time, however early the demo is opened."""
        local = self.centre.astimezone(self.tz)
        return local.replace(hour=7, minute=0, second=0, microsecond=0)

    def carrier(self, option: DeliveryOption) -> tuple[str, str]:
        rng = self.rng
        if option is DeliveryOption.PICKUP:
            return "pickup", "Counter pickup"
        if option is DeliveryOption.SCHEDULED:
            return "own_fleet", "Scheduled van"
        if option is DeliveryOption.EXPRESS:
            code = rng.choice(list(COURIERS))
            return code, COURIERS[code]
        if option is DeliveryOption.SAME_DAY:
            code = rng.choice(["sandbox:zippy", "sandbox:metro"])
            return ("own_fleet", "Same-day van") if rng.random() < 0.55 else (code, COURIERS[code])
        return ("own_fleet", "Standard van") if rng.random() < 0.5 else ("easypost", rng.choice(self.city.parcel_services))

    def order(self, number: int) -> Order:
        rng = self.rng
        place = self.address()
        option = self.option()
        created = self.centre - timedelta(hours=rng.uniform(6, 28)) if option in (
            DeliveryOption.STANDARD, DeliveryOption.SCHEDULED, DeliveryOption.PICKUP) else self.centre - timedelta(hours=rng.uniform(0.5, 6))
        created = min(created, self.now - timedelta(minutes=5))
        first, last = rng.choice(self.city.first_names), rng.choice(self.city.last_names)
        lines = [rng.choice(city.PRODUCTS) for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))]
        value = sum(p[2] for p in lines)
        weight = sum(p[3] for p in lines)
        slug = f"{first}.{last}".lower().replace("'", "").encode("ascii", "ignore").decode()
        return Order(
            order_ref=f"{self.prefix}{number:04d}", customer_name=f"{first} {last}",
            address=Address(place.street, self.city.name, place.postcode, self.city.country, region=self.city.region),
            delivery_option=option, created_at=created.astimezone(UTC),
            phone=self.city.customer_phone(rng), email=f"{slug}@example.com",
            location=GeoPoint(place.lat, place.lon, GeoPrecision.ROOFTOP, round(rng.uniform(0.85, 1.0), 2)),
            promised_window=self.window(option, created), parcels=max(1, len(lines) - rng.choice([0, 0, 1])),
            weight_g=weight, value=Money(value, self.city.currency), notes=rng.choice(city.NOTES), source=rng.choice(["shopify", "shopify", "phone", "counter"]),
            lines=tuple(OrderLine(sku, name, 1, Money(price, self.city.currency)) for sku, name, price, _ in lines),
        )

    def fate(self, order: Order, carrier: str) -> list[tuple[datetime, ShipmentStatus]]:
        """The status events this order's shipment has seen by `now`."""
        rng, window = self.rng, order.promised_window
        booked = order.created_at + timedelta(minutes=rng.uniform(5, 40))
        events = [(booked, S.BOOKED)]
        if carrier == "pickup":
            if window.start + timedelta(hours=rng.uniform(0, 30)) < self.now and rng.random() < 0.7:
                events.append((min(self.now, window.start + timedelta(hours=rng.uniform(0.5, 6))), S.DELIVERED))
            return events
        travel = window.start + (window.end - window.start) * rng.uniform(0.05, 0.95)
        late = rng.random() < 0.07
        delivered_at = max(travel + (timedelta(minutes=rng.uniform(15, 90)) if late else timedelta(0)),
                           booked + timedelta(minutes=rng.uniform(35, 60)))
        picked_up = max(booked + timedelta(minutes=10), delivered_at - timedelta(hours=rng.uniform(1, 3)))
        steps = [(picked_up, S.PICKED_UP), (picked_up + (delivered_at - picked_up) / 3, S.IN_TRANSIT),
                 (delivered_at - (delivered_at - picked_up) / 3, S.OUT_FOR_DELIVERY)]
        for moment, status in steps:
            if moment <= self.now:
                events.append((moment, status))
        if delivered_at <= self.now:
            settled = self.now - delivered_at > timedelta(hours=26)  # older problems have run their course
            roll = rng.random()
            if roll < 0.05:
                events.append((delivered_at, S.FAILED_ATTEMPT))
                retry = delivered_at + timedelta(hours=rng.uniform(18, 26))
                if retry <= self.now:
                    events.append((retry - timedelta(hours=1), S.OUT_FOR_DELIVERY))
                    events.append((retry, S.DELIVERED))
            elif roll < 0.06:
                events.append((delivered_at, S.EXCEPTION))  # damaged or held; older ones were delivered after all
                if settled:
                    events.append((delivered_at + timedelta(hours=24), S.DELIVERED))
            elif roll < 0.068 and self.now - delivered_at > timedelta(hours=2):
                events.append((delivered_at, S.FAILED_ATTEMPT))
                events.append((delivered_at + timedelta(hours=1), S.RETURNING))
                if settled:
                    events.append((delivered_at + timedelta(hours=26), S.RETURNED))
            else:
                events.append((delivered_at, S.DELIVERED))
        return events


def generate(path: str | Path, *, seed: int = 7, now: datetime | None = None, orders_today: int | None = None,
             history_days: int = 14, city_key: str = PORTLAND.key) -> DemoSummary:
    """Write a fresh demo store at `path` (an existing file there is replaced), for the city `city_key` (cities.CITIES)."""
    place = CITIES[city_key]
    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(seed)
    db = Database(path)
    count_today = orders_today or rng.randrange(150, 260)
    with db.transaction() as conn:
        _write_setup(conn, place)
        tz = shop_zone(conn)  # the zone just set: the demo's days are the shop's days, as the app will read them
        now = (now or utcnow()).astimezone(tz)
        history = 0
        demand = Demand(now.date(), place.country, place.region or None, seed)
        for back in range(history_days, 0, -1):
            centre = (now - timedelta(days=back)).replace(hour=13, minute=0, second=0, microsecond=0)
            day = _Day(rng, tz, now, centre, prefix=f"#{(now - timedelta(days=back)):%m%d}-", place=place)
            history += _write_day(conn, day, demand.count(centre.date()), rng)
        today = _Day(rng, tz, now, now, prefix=f"#{now:%m%d}-", place=place)
        _write_day(conn, today, count_today, rng, plan_routes=True)
        history += _write_past_demand(conn, demand, now.date() - timedelta(days=history_days))
        _make_some_recurring(conn, now.date())
    _settle_history(db, rng, now)
    db.close()
    return DemoSummary(path, count_today, history, now)


def _make_some_recurring(conn, today: date) -> None:
    """Three of today's scheduled orders are subscriptions (weekly flowers, a monthly refill): known future demand."""
    ids = [row[0] for row in conn.execute("SELECT id FROM orders WHERE delivery_option = 'scheduled' AND delivery_date >= ? "
                                          "ORDER BY id LIMIT 3", (today.isoformat(),))]
    for order_id, rule in zip(ids, ("FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY")):
        order_store.set_repeat_rule(conn, order_id, rule)


def _write_past_demand(conn, demand: Demand, before: date) -> int:
    """Two years of daily counts before the detailed days, split over zones and options as the detailed orders are."""
    from ..dispatch.settings import load_settings
    from ..forecast.history import load_history

    settings = load_settings(conn)
    detailed = load_history(conn, settings, demand.today + timedelta(days=1))
    shares = {cell: float(counts.sum()) for cell, counts in detailed.cells.items() if counts.sum() > 0}
    return write_history(conn, demand, before, shares or {(SeriesKey.OUTSIDE, DeliveryOption.STANDARD.value): 1.0})


def _settle_history(db: Database, rng: random.Random, now: datetime) -> None:
    """Open the cases the exception rules find, then close the ones from past days as the shop handled them."""
    from ..control import case_store
    from ..control.engine import ExceptionEngine

    engine = ExceptionEngine(db, clock=lambda: now.astimezone(UTC))
    engine.refresh(now.astimezone(UTC))
    # Its own connection is closed here, not whenever the garbage collector gets to it: closed later, while the app
    # has the store open again, its file's locks went with it and the app read "file is not a database".
    engine.close()
    today = shop_today(db.reader(), now)
    with db.transaction() as conn:
        past = conn.execute(
            "SELECT e.id, o.promised_end FROM exceptions e JOIN orders o ON o.id = e.order_id "
            "WHERE e.resolved_at IS NULL AND o.delivery_date < ?", (today,)).fetchall()
        for case_id, promised_end in past:
            opened = datetime.fromisoformat(promised_end) + timedelta(minutes=rng.uniform(10, 90))
            resolved = opened + timedelta(hours=rng.uniform(0.5, 20))
            case_store.set_history(conn, case_id, to_iso(opened), to_iso(min(resolved, now.astimezone(UTC))),
                                   "Handled: customer informed")


def _write_setup(conn, place: DemoCity) -> None:
    shop = place.shop
    settings = {"shop.name": shop["name"], shop_clock.SETTING: place.timezone, "shop.currency": place.currency,
                "shop.phone": shop["phone"], "shop.region": place.region,
                "demo": "1", "demo.city": place.key}
    shop_settings.put(conn, settings)
    depot_id = fleet.add_depot(conn, shop["name"], GeoPoint(shop["lat"], shop["lon"]), street=shop["street"], city=place.name,
                               postcode=shop["postcode"], country=place.country, opens_at="09:00", closes_at=f"{CLOSING_HOUR}:00")
    carrier_accounts.add(conn, [StoredAccount(code, name, kind, bool(enabled), {"sandbox": True} if code.startswith("sandbox:") else {})
                                for code, name, kind, enabled in CARRIERS])
    for name, driver, parcels, grams, skills in place.vans:
        fleet.add_vehicle(conn, name, capacity_parcels=parcels, capacity_weight_g=grams, shift_start="08:00", shift_end="18:00",
                          break_minutes=30, skills=skills, driver_id=fleet.add_driver(conn, driver, place.driver_phone),
                          depot_id=depot_id)


def _write_day(conn, day: _Day, count: int, rng: random.Random, plan_routes: bool = False) -> int:
    orders = [day.order(n + 1) for n in range(count)]
    ids = order_store.upsert_orders(conn, orders).ids
    own_fleet: list[tuple[int, Order, ShipmentStatus]] = []
    for order in orders:
        order_id = ids[order.order_ref]
        carrier, service = day.carrier(order.delivery_option)
        awaiting = plan_routes and carrier != "pickup" and order.promised_window.start > day.now and rng.random() < 0.4
        if awaiting:
            continue  # not yet dispatched: the Dispatch area decides its way
        events = day.fate(order, carrier)
        courier = carrier in COURIERS
        if courier and not events[-1][1].is_final:
            if plan_routes:
                _queue_courier_booking(conn, order_id, order, carrier, day.city)  # the sync engine books it with the sandbox
                continue
            # Past days' couriers have finished: nothing of theirs is left for the sandbox to track.
            last_time, last = events[-1]
            events.append((min(day.now, last_time + timedelta(hours=2)), S.RETURNED if last is S.RETURNING else S.DELIVERED))
        tracking = f"{carrier.split(':')[-1][:2].upper()}{order_id:08d}" if carrier not in ("own_fleet", "pickup") else f"CT-{order.order_ref.lstrip('#')}"
        base_cost = 0 if carrier in ("own_fleet", "pickup") else rng.randrange(899, 1899) if courier else rng.randrange(649, 1299)
        currency = day.city.currency
        cost = Money(base_cost + (rng.randrange(150, 400) if rng.random() < 0.03 else 0), currency) if base_cost else None
        shipment_id = shipment_store.create_shipment(conn, Shipment(
            order_id=order_id, carrier=carrier, service=service, status=S.CREATED, tracking_number=tracking,
            cost=cost, quoted_cost=Money(base_cost, currency) if base_cost else None, promised_by=order.promised_window.end,
            created_at=order.created_at))
        raw = _RAW.get("courier" if courier else carrier, {})
        shipment_store.ingest_events(conn, shipment_id, [
            TrackingEvent(carrier, tracking, status, moment.astimezone(UTC), raw_code=raw.get(status, status.value),
                          raw_text=status.label, carrier_event_id=f"{tracking}-{i}")
            for i, (moment, status) in enumerate(events)])
        if carrier == "own_fleet":
            own_fleet.append((order_id, order, events[-1][1]))
    _plan_simple_routes(conn, day, own_fleet, done=not plan_routes)
    return count


def _queue_courier_booking(conn, order_id: int, order: Order, carrier: str, place: DemoCity) -> None:
    """Today's open courier deliveries wait in the outbox; at start-up the real sync engine books them."""
    from ..carriers.base import Contact, Parcel, ShipmentRequest
    from ..sync.writes import enqueue_booking

    shop = place.shop
    request = ShipmentRequest(
        our_reference="pending", order_ref=order.order_ref,
        pickup=Address(shop["street"], place.name, shop["postcode"], place.country, region=place.region),
        pickup_contact=Contact(shop["name"], shop["phone"].replace(" ", "").replace("-", "")),
        dropoff=order.address, dropoff_contact=Contact(order.customer_name, order.phone.replace(" ", "").replace("-", ""), order.email),
        parcels=(Parcel(max(order.weight_g // max(order.parcels, 1), 1), quantity=order.parcels, value=order.value),),
        deliver_by=order.promised_window.end, value=order.value,
        pickup_location=GeoPoint(shop["lat"], shop["lon"]), dropoff_location=order.location, dropoff_instructions=order.notes)
    enqueue_booking(conn, order_id=order_id, carrier=carrier, request=request)


def _plan_simple_routes(conn, day: _Day, stops: list[tuple[int, Order, ShipmentStatus]], *, done: bool = False) -> None:
    """A first plan by sectors around the shop, in promise order, nearest next within a slot; the planner improves on it."""
    vehicles = [r[0] for r in conn.execute("SELECT id FROM vehicles ORDER BY id")]
    plan_date = shop_today(conn, day.centre)
    route_ids = [plans.create_route(conn, plan_date, vid, "done" if done else "in_progress") for vid in vehicles]
    by_route: dict[int, list] = {rid: [] for rid in route_ids}
    depot = (day.city.shop["lat"], day.city.shop["lon"])
    for order_id, order, status in stops:
        angle = math.atan2(order.location.lat - depot[0], order.location.lon - depot[1])
        sector = int(((angle + math.pi) / (2 * math.pi)) * 5) % 5
        route = route_ids[min(sector // 2, len(route_ids) - 1)]
        by_route[route].append((order.promised_window.start, order_id, order, status))
    for route_id, items in by_route.items():
        ordered = _promise_then_nearest(items, depot)
        here, metres, seconds = depot, 0.0, 0.0
        for sequence, (_, order_id, order, status) in enumerate(ordered, start=1):
            leg = _road_metres(here, (order.location.lat, order.location.lon))
            metres, seconds = metres + leg, seconds + leg / _VAN_SPEED_MS + _SERVICE_S
            here = (order.location.lat, order.location.lon)
            stop_status = {S.DELIVERED: "delivered", S.FAILED_ATTEMPT: "failed", S.OUT_FOR_DELIVERY: "en_route"}.get(status, "planned")
            arrival = order.promised_window.start + (order.promised_window.end - order.promised_window.start) / 2
            plans.add_stop(conn, order_id, route_id=route_id, sequence=sequence, planned_arrival=arrival.astimezone(UTC),
                           status=stop_status)
        if ordered:
            back = _road_metres(here, depot)
            metres, seconds = metres + back, seconds + back / _VAN_SPEED_MS
        plans.set_route_totals(conn, route_id, int(metres), int(seconds))


_VAN_SPEED_MS, _SERVICE_S = 25 / 3.6, 240.0  # town driving, four minutes at each door


def _road_metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Straight-line distance times a city circuity factor, as the offline travel matrix estimates it."""
    return haversine_km(a[0], a[1], b[0], b[1]) * 1000 * 1.35


def _promise_then_nearest(items: list, depot: tuple[float, float]) -> list:
    """Stops in promise order; among stops promised from the same hour, the nearest next."""
    ordered, here = [], depot
    for _, group in groupby(sorted(items, key=lambda item: (item[0], item[1])), key=lambda item: item[0].replace(minute=0)):
        left = list(group)
        while left:
            nearest = min(left, key=lambda item: _road_metres(here, (item[2].location.lat, item[2].location.lon)))
            left.remove(nearest)
            ordered.append(nearest)
            here = (nearest[2].location.lat, nearest[2].location.lon)
    return ordered
