"""Rate shopping: every enabled carrier's quotes in parallel, the own fleet's marginal cost, pickup, side by side."""
from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Iterable, Sequence

from ..carriers.base import CarrierAdapter, CarrierError, Contact, Parcel, RateLimited, ShipmentRequest
from ..domain import Address, CarrierKind, DeliveryOption, GeoPoint, Money, Order, Quote
from ..domain.geo import haversine_km
from ..domain.timeutil import UTC, end_of_day, from_iso, to_iso
from ..sync.gate import CarrierGate, SharedBudget
from .options import DeliveryRequest, local_moment, pickup_offer
from .settings import ShopSettings

OWN_FLEET = "own_fleet"
PICKUP = "pickup"

# Flags a comparison row can carry, in the words the shop owner reads.
OVER_PROMISE = "over promise"
OVER_BUDGET = "over budget"
QUOTE_EXPIRED = "quote expired"
NO_ESTIMATE = "no delivery estimate"
BEFORE_WINDOW = "before the window"
_EARLY_GRACE = timedelta(minutes=15)
CUSTOMER_COLLECTS = "customer collects"


# ---------------------------------------------------------------- carriers in parallel


@dataclass(frozen=True)
class CarrierAnswer:
    """What one carrier said: its quotes, or the error in plain words (a timeout is an error too)."""

    carrier: str
    name: str
    kind: CarrierKind
    quotes: tuple[Quote, ...] = ()
    error: str = ""


def carrier_name(adapter: CarrierAdapter, names: dict[str, str] | None = None) -> str:
    """The account's own name when known ("Zippy Express"), else the adapter's, told apart by the code's suffix."""
    code = adapter.config.code
    name = (names or {}).get(code) or adapter.config.settings.get("name")
    if name:
        return name
    generic = adapter.name == getattr(type(adapter), "name", None)  # the class's name, shared by all its accounts
    return f"{adapter.name} ({code.split(':', 1)[1]})" if ":" in code and generic else adapter.name


async def _ask(adapter: CarrierAdapter, request: ShipmentRequest, timeout_s: float, names: dict[str, str] | None,
               budget: SharedBudget | None = None) -> CarrierAnswer:
    kind = CarrierKind(getattr(adapter, "kind", CarrierKind.PARCEL))
    code = adapter.config.code
    name = carrier_name(adapter, names)
    # The same budget the sync process spends on bookings and tracking: one per carrier, whichever process asks.
    gate = CarrierGate(1, carrier=code, budget=budget, rate=adapter.rate_limit)
    asked = False
    try:
        async with asyncio.timeout(timeout_s):
            async with gate:
                asked = True
                quotes = await adapter.quote(request)
    except TimeoutError:
        if not asked:
            return CarrierAnswer(code, name, kind, error=f"not asked: {name}'s request limit is used up for now; "
                                                         "try again in a minute")
        return CarrierAnswer(code, name, kind, error=f"no answer within {timeout_s:g} s")
    except CarrierError as exc:
        if isinstance(exc, RateLimited) and budget is not None:
            gate.pause(exc.retry_after or 1.0)  # every process waits, not just this one
        # "will retry automatically" is true of bookings, not of a quote asked once: keep only advice that helps here.
        advice = "" if exc.retryable else exc.advice
        text = exc.message.rstrip(".") + (f". {advice}" if advice else ".")
        return CarrierAnswer(code, name, kind, error=text)
    except Exception as exc:  # a broken adapter shows as that carrier's error, never hides the others
        return CarrierAnswer(code, name, kind, error=f"{type(exc).__name__}: {exc}")
    # Rows, bookings and on-time records key on the account's code (e.g. "sandbox:zippy"), whatever the adapter wrote.
    return CarrierAnswer(code, name, kind, tuple(q if q.carrier == code else replace(q, carrier=code) for q in quotes))


async def gather_quotes(adapters: Iterable[CarrierAdapter], request: ShipmentRequest, timeout_s: float = 8.0,
                        names: dict[str, str] | None = None, budget: SharedBudget | None = None) -> list[CarrierAnswer]:
    """Ask all carriers at once; each has its own timeout, so a slow one never holds the others.

    With `budget`, each call waits its turn in its carrier's shared rate budget (within the timeout).
    """
    return list(await asyncio.gather(*(_ask(adapter, request, timeout_s, names, budget) for adapter in adapters)))


def shipment_request(order: Order, settings: ShopSettings, reference: str, ready_at: datetime | None = None) -> ShipmentRequest:
    """The carrier request for an order, from the shop's address to the customer's."""
    per_parcel = max(order.weight_g // max(order.parcels, 1), 1) if order.weight_g else 1000
    return ShipmentRequest(
        our_reference=reference, order_ref=order.order_ref,
        pickup=Address(settings.shop_street, settings.shop_city, settings.shop_postcode, settings.shop_country),
        pickup_contact=Contact(settings.shop_name, settings.shop_phone),
        dropoff=order.address, dropoff_contact=Contact(order.customer_name, order.phone, order.email),
        parcels=(Parcel(per_parcel, quantity=max(order.parcels, 1), value=order.value),),
        ready_at=ready_at, deliver_by=order.promised_window.end if order.promised_window else None, value=order.value,
        pickup_location=GeoPoint(settings.shop_lat, settings.shop_lon), dropoff_location=order.location,
        dropoff_instructions=order.notes,
    )


# ---------------------------------------------------------------- ETAs from days in transit


def add_business_days(day: date, days: int) -> date:
    """The day `days` business days (Monday to Friday) after `day`: Friday + 1 is Monday, so is Saturday + 1."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def transit_eta(quote: Quote, settings: ShopSettings, shipped: datetime) -> Quote:
    """A quote with no time, dated in the shop's zone: a carrier's date-only day by its end; else days in transit,
    that many business days after the shop's ship day, by the carrier's `arrives_by` time or else the end of that
    day. Other quotes come back unchanged."""
    if quote.estimated_delivery is not None:
        return quote
    if quote.delivery_day is not None:  # the carrier's own day, by its end here (not a day early west of UTC)
        return replace(quote, estimated_delivery=end_of_day(quote.delivery_day, settings.tz))
    if quote.transit_days is None:
        return quote
    day = add_business_days(shipped.astimezone(settings.tz).date(), quote.transit_days)
    by = quote.arrives_by or time(23, 59, 59)
    return replace(quote, estimated_delivery=datetime.combine(day, by, settings.tz).astimezone(UTC))


def transit_note(quote: Quote) -> str:
    """Why a dated-from-transit ETA is less sure than a carrier's own time, in the row's detail."""
    days = quote.transit_days
    return (f"ETA estimated from {days} business day{'' if days == 1 else 's'} in transit "
            "(the carrier gave no date; weekends skipped, holidays not known)")


def dated_quotes(answers: Iterable[CarrierAnswer], settings: ShopSettings, shipped: datetime) -> list[Quote]:
    """Every answer's quotes, those with only days in transit dated (what is kept in the store)."""
    return [transit_eta(q, settings, shipped) for a in answers for q in a.quotes]


# ---------------------------------------------------------------- own fleet: cheapest insertion


@dataclass(frozen=True)
class Insertion:
    """The cheapest place for one more stop in the day's plan, and what it adds."""

    cost: Money
    estimated_arrival: datetime
    route_id: int | None
    vehicle: str
    position: int  # stops before it on the route
    extra_km: float
    extra_minutes: float

    def explain(self) -> str:
        where = f"route {self.route_id} ({self.vehicle}) after stop {self.position}" if self.route_id else f"a new run by {self.vehicle}"
        return f"{where}: +{self.extra_km:.1f} km, +{self.extra_minutes:.0f} min"


def travel(points: Sequence[tuple[float, float]], settings: ShopSettings, matrix_provider=None) -> tuple[list[list[int]], list[list[int]]]:
    """Metres and seconds between (lat, lon) points: the routing package's provider when given, else straight lines × 1.35."""
    if matrix_provider is not None:
        from ..routing.model import Place

        matrix = matrix_provider.matrix([Place(lon, lat) for lat, lon in points])
        return matrix.distance, matrix.duration
    metres = [[int(haversine_km(a[0], a[1], b[0], b[1]) * 1350) for b in points] for a in points]
    speed = settings.average_speed_kmh / 3.6
    return metres, [[int(m / speed) for m in row] for row in metres]


@dataclass
class _PlannedRoute:
    route_id: int | None
    vehicle: str
    start: datetime
    depot: tuple[float, float]
    stops: list[tuple[float, float]]
    service_s: list[float]
    planned: list[datetime | None]  # the planner's arrival at each stop, when it has planned the route
    load: int
    capacity: int
    per_hour: int
    per_km: int


def planned_routes(conn: sqlite3.Connection, settings: ShopSettings, plan_date: date) -> list[_PlannedRoute]:
    routes = []
    rows = conn.execute(
        "SELECT r.id AS route_id, v.id AS vehicle_id, v.name, v.shift_start, v.capacity_parcels, v.cost_per_hour_minor, "
        "v.cost_per_km_minor, d.lat AS depot_lat, d.lon AS depot_lon FROM vehicles v "
        "LEFT JOIN routes r ON r.vehicle_id = v.id AND r.plan_date = ? LEFT JOIN depots d ON d.id = v.depot_id "
        "WHERE v.active = 1 ORDER BY r.id IS NULL, r.id, v.id", (plan_date.isoformat(),),
    ).fetchall()
    seen_vehicles: set[int] = set()
    for row in rows:
        if row["route_id"] is None and row["vehicle_id"] in seen_vehicles:
            continue
        seen_vehicles.add(row["vehicle_id"])
        depot = (row["depot_lat"], row["depot_lon"]) if row["depot_lat"] is not None else (settings.shop_lat, settings.shop_lon)
        stops, service, planned, load = [], [], [], 0
        if row["route_id"] is not None:
            for stop in conn.execute(
                "SELECT o.lat, o.lon, o.parcels, s.service_minutes, s.planned_arrival FROM stops s JOIN orders o ON o.id = s.order_id "
                "WHERE s.route_id = ? AND s.status NOT IN ('failed', 'skipped') AND o.lat IS NOT NULL ORDER BY s.sequence, s.id",
                (row["route_id"],),
            ):
                stops.append((stop["lat"], stop["lon"]))
                service.append(stop["service_minutes"] * 60)
                planned.append(from_iso(stop["planned_arrival"]))
                load += stop["parcels"]
        start = local_moment(settings, plan_date, row["shift_start"] or settings.slot_first)
        routes.append(_PlannedRoute(row["route_id"], row["name"], start, depot, stops, service, planned, load,
                                    row["capacity_parcels"], row["cost_per_hour_minor"], row["cost_per_km_minor"]))
    return routes


def own_fleet_insertion(conn: sqlite3.Connection, settings: ShopSettings, order: Order, plan_date: date,
                        not_before: datetime | None = None, matrix_provider=None, service_minutes: float = 4.0) -> Insertion | None:
    """The marginal cost of adding the order to the plan for `plan_date` (None: no van, no position, or no room).

    The cheapest position that arrives by the promise wins; only when none does is the cheapest of all returned
    (its late arrival then shows as over the promise). A van early for a window waits for its start.
    """
    if order.location is None:
        return None
    target = (order.location.lat, order.location.lon)
    window = order.promised_window

    def rank(insertion: Insertion) -> tuple[bool, int]:
        return (window is not None and insertion.estimated_arrival > window.end, insertion.cost.amount_minor)

    best: Insertion | None = None
    for route in planned_routes(conn, settings, plan_date):
        if route.load + order.parcels > route.capacity:
            continue
        points = [route.depot, *route.stops, target]
        metres, seconds = travel(points, settings, matrix_provider)
        new = len(points) - 1
        sequence = [0, *range(1, len(route.stops) + 1), 0]  # depot, stops, back to depot
        arrival = [route.start]  # arrival at each position of `sequence`
        for i in range(1, len(sequence)):
            service = timedelta(seconds=route.service_s[sequence[i - 1] - 1]) if sequence[i - 1] else timedelta(0)
            driven = arrival[-1] + service + timedelta(seconds=seconds[sequence[i - 1]][sequence[i]])
            planned = route.planned[sequence[i] - 1] if sequence[i] else None
            arrival.append(max(driven, planned) if planned else driven)  # the plan knows its waits and breaks
        for position in range(len(sequence) - 1):
            a, b = sequence[position], sequence[position + 1]
            extra_m = metres[a][new] + metres[new][b] - metres[a][b]
            extra_s = seconds[a][new] + seconds[new][b] - seconds[a][b] + service_minutes * 60
            cost_minor = round(extra_m / 1000 * route.per_km + extra_s / 3600 * route.per_hour)
            leave = arrival[position] + (timedelta(seconds=route.service_s[a - 1]) if a else timedelta(0))
            eta = leave + timedelta(seconds=seconds[a][new])
            if not_before is not None and eta < not_before:
                eta = not_before
            if window is not None and eta < window.start:
                if route.stops:
                    # Early for the window: the van (and every stop after this one) waits, and the driver is paid for it.
                    wait_s = (window.start - eta).total_seconds()
                    extra_s += wait_s
                    cost_minor += round(wait_s / 3600 * route.per_hour)
                eta = window.start  # a van with nothing else to do simply leaves later
            candidate = Insertion(settings.money(cost_minor), eta, route.route_id, route.vehicle, position,
                                  extra_m / 1000, extra_s / 60)
            if best is None or rank(candidate) < rank(best):
                best = candidate
    return best


def own_fleet_quote(insertion: Insertion, order_id: int | None) -> Quote:
    return Quote(OWN_FLEET, "van", insertion.cost, estimated_delivery=insertion.estimated_arrival, order_id=order_id,
                 external_id=f"route:{insertion.route_id or ''}:{insertion.position}")


def pickup_quote(settings: ShopSettings, order: Order, now: datetime) -> Quote:
    offer = pickup_offer(settings, DeliveryRequest(ordered_at=now), now.astimezone(settings.tz))
    return Quote(PICKUP, "in_store", settings.money(0), estimated_delivery=offer.promised_window.start, order_id=order.id)


# ---------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class OnTimeRecord:
    on_time: int = 0
    delivered: int = 0

    @property
    def rate(self) -> float | None:
        return None if self.delivered == 0 else self.on_time / self.delivered

    def describe(self) -> str:
        return "no history yet" if self.delivered == 0 else f"{self.rate:.0%} on time ({self.on_time}/{self.delivered})"


def on_time_records(conn: sqlite3.Connection, since: datetime | None = None) -> dict[str, OnTimeRecord]:
    """Each carrier's delivered shipments with a promise, and how many arrived by it, from the store's history."""
    sql = ("SELECT carrier, count(*) AS delivered, sum(status_as_of <= promised_by) AS on_time FROM shipments "
           "WHERE kind = 'delivery' AND status = 'delivered' AND promised_by IS NOT NULL AND status_as_of IS NOT NULL")
    params: list = []
    if since is not None:
        sql += " AND status_as_of >= ?"
        params.append(to_iso(since))
    return {row["carrier"]: OnTimeRecord(row["on_time"] or 0, row["delivered"])
            for row in conn.execute(sql + " GROUP BY carrier", params)}


@dataclass(frozen=True)
class WayRow:
    """One way to send an order, as the comparison panel and the CLI show it."""

    carrier: str
    name: str
    kind: str
    service: str
    price: Money | None
    promised_by: datetime | None
    estimated_delivery: datetime | None
    on_time: OnTimeRecord = field(default_factory=OnTimeRecord)
    flags: tuple[str, ...] = ()
    error: str = ""
    detail: str = ""
    quote: Quote | None = None

    @property
    def usable(self) -> bool:
        return self.price is not None and not self.error

    @property
    def keeps_promise(self) -> bool:
        return self.usable and not ({OVER_PROMISE, BEFORE_WINDOW, NO_ESTIMATE, CUSTOMER_COLLECTS} & set(self.flags))


def compare(order: Order, answers: Sequence[CarrierAnswer], settings: ShopSettings, now: datetime,
            own_fleet: Insertion | None = None, pickup: Quote | None = None,
            records: dict[str, OnTimeRecord] | None = None, own_fleet_note: str = "") -> list[WayRow]:
    """Rows for every way: those keeping the promise cheapest first, then the rest, then carriers that failed and why."""
    records = records or {}
    promised_by = order.promised_window.end if order.promised_window else None
    rows: list[WayRow] = []

    def row_for(quote: Quote, name: str, kind: str, detail: str = "") -> WayRow:
        flags = []
        if kind == CarrierKind.PICKUP.value and order.delivery_option is not DeliveryOption.PICKUP:
            flags.append(CUSTOMER_COLLECTS)
        elif quote.estimated_delivery is None:
            flags.append(NO_ESTIMATE)
        elif promised_by is not None and quote.estimated_delivery > promised_by:
            flags.append(OVER_PROMISE)
        elif (order.delivery_option is DeliveryOption.SCHEDULED and order.promised_window is not None
              and quote.estimated_delivery < order.promised_window.start - _EARLY_GRACE):
            flags.append(BEFORE_WINDOW)  # the customer chose a window: early is as wrong as late
        if settings.budget_minor is not None and quote.price.amount_minor > settings.budget_minor:
            flags.append(OVER_BUDGET)
        if quote.expired(now):
            flags.append(QUOTE_EXPIRED)
        return WayRow(quote.carrier, name, kind, quote.service, quote.price, promised_by, quote.estimated_delivery,
                      records.get(quote.carrier, OnTimeRecord()), tuple(flags), detail=detail, quote=quote)

    if own_fleet is not None:
        rows.append(row_for(own_fleet_quote(own_fleet, order.id), "Own van", CarrierKind.OWN_FLEET.value, own_fleet.explain()))
    elif own_fleet_note:
        rows.append(WayRow(OWN_FLEET, "Own van", CarrierKind.OWN_FLEET.value, "van", None, promised_by, None, error=own_fleet_note))
    for answer in answers:
        if answer.error or not answer.quotes:
            rows.append(WayRow(answer.carrier, answer.name, answer.kind.value, "", None, promised_by, None,
                               records.get(answer.carrier, OnTimeRecord()), error=answer.error or "no quote for this order"))
        for quote in answer.quotes:
            dated = transit_eta(quote, settings, now)
            from_transit = dated is not quote and quote.delivery_day is None
            price, conversion = settings.in_shop_currency(quote.price)
            if price is None:  # never compared, chosen or budget-checked as a plain number in another currency
                rows.append(WayRow(quote.carrier, answer.name, answer.kind.value, quote.service, None, promised_by,
                                   dated.estimated_delivery, records.get(quote.carrier, OnTimeRecord()),
                                   error=conversion, detail=f"{quote.price}", quote=dated))
                continue
            notes = [note for note in (transit_note(quote) if from_transit else "", conversion) if note]
            rows.append(row_for(replace(dated, price=price), answer.name, answer.kind.value, "; ".join(notes)))
    if pickup is not None:
        rows.append(row_for(pickup, "In-store pickup", CarrierKind.PICKUP.value))
    return sorted(rows, key=lambda r: (not r.usable, not r.keeps_promise, r.price.amount_minor if r.price else 0, r.carrier, r.service))


def quote_rows_from_store(conn: sqlite3.Connection, order_id: int) -> list[Quote]:
    """Quotes kept for an order (the latest first), e.g. to show a comparison again offline."""
    return [
        Quote(r["carrier"], r["service"], Money(r["price_minor"], r["currency"]), from_iso(r["estimated_pickup"]),
              from_iso(r["estimated_delivery"]), from_iso(r["expires_at"]), r["order_id"], r["external_id"], r["id"])
        for r in conn.execute("SELECT * FROM quotes WHERE order_id = ? ORDER BY id DESC", (order_id,))
    ]


def save_quotes(conn: sqlite3.Connection, order_id: int, quotes: Iterable[Quote], now: datetime) -> None:
    conn.executemany(
        "INSERT INTO quotes(order_id, carrier, service, price_minor, currency, estimated_pickup, estimated_delivery, "
        "expires_at, external_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [(order_id, q.carrier, q.service, q.price.amount_minor, q.price.currency, to_iso(q.estimated_pickup),
          to_iso(q.estimated_delivery), to_iso(q.expires_at), q.external_id, to_iso(now)) for q in quotes],
    )
