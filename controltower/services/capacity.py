"""The capacity plan from the forecast: vans, drivers, couriers and slot caps for the coming days, kept in the store.

    capacity = CapacityService(db)
    inputs = capacity.inputs(report, now)           # quick reads: the fleet, recent orders as stop patterns, the slots
    plan = compute_plan(inputs)                     # the route planner, day by day: run it in a child process
    capacity.save(plan)                             # the plan for the forecast area, the caps for the delivery options
    capacity.latest()                               # CapacityPlan | None
"""
from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from ..dispatch import slot_caps as caps_store
from ..dispatch.options import day_slots
from ..dispatch.settings import load_settings, read_setting
from ..domain.timeutil import TimeWindow, from_iso, to_iso
from ..routing.capacity import DayCapacity, DayDemand, Fleet, LevelPlan, StopSample, plan_day, planner_solver
from ..routing.model import Place
from ..routing.service import DEFAULT_SERVICE_MIN, RoutingService
from ..store import settings as settings_store
from ..store.shop_clock import shop_day, shop_zone

PLAN_KEY = "forecast.capacity_plan"
SAMPLE_DAYS = 28  # recent orders whose places and windows make the coming days' stops
OWN_FLEET = "own_fleet"
OUTSIDE = "Outside our zones"


@dataclass(frozen=True)
class CapacityInputs:
    """Everything the planner needs, as plain values (sent to the child process)."""

    made_at: datetime
    fleet: Fleet
    demands: tuple[DayDemand, ...]
    samples: tuple[StopSample, ...]
    slots: tuple[tuple[date, tuple[TimeWindow, ...]], ...]
    courier_cost_minor: int | None
    currency: str
    seconds_per_solve: float = 1.0
    van_share: float = 1.0
    closed: tuple[tuple[date, str], ...] = ()  # days the shop is shut, with why


@dataclass(frozen=True)
class CapacityPlan:
    """The coming days' vans and couriers, at the median and the 80th percentile of the forecast."""

    made_at: datetime
    days: tuple[DayCapacity, ...]
    courier_cost_minor: int | None  # a courier delivery's usual cost (median of recent ones), None when none yet
    currency: str
    van_share: float  # share of the shop's recent orders its own vans took: the forecast's part for the vans
    closed: tuple[tuple[date, str], ...] = ()
    note: str = ""  # why there is no plan ('Add a van ...'), else ""

    def courier_cost(self, day: DayCapacity, level: str = "p80") -> int | None:
        if self.courier_cost_minor is None:
            return None
        return getattr(day, level).courier_stops * self.courier_cost_minor

    def warnings(self) -> list[str]:
        return [w for w in (d.warning() for d in self.days) if w]

    def caps(self) -> dict[str, int]:
        return {start: cap for d in self.days for start, cap in d.slot_caps}


def compute_plan(inputs: CapacityInputs) -> CapacityPlan:
    """Each coming day planned with the real route planner (seconds_per_solve a solve, a few solves a day)."""
    solver = planner_solver(inputs.seconds_per_solve)
    slots = dict(inputs.slots)
    days = tuple(plan_day(inputs.fleet, demand, inputs.samples, slots.get(demand.day, ()), solver)
                 for demand in inputs.demands)
    return CapacityPlan(inputs.made_at, days, inputs.courier_cost_minor, inputs.currency, inputs.van_share,
                        inputs.closed)


class CapacityService:
    """Builds the planner's inputs from the store and a forecast, and keeps the latest plan and its slot caps."""

    def __init__(self, db, *, days: int = 14, seconds_per_solve: float = 1.0) -> None:
        self.db, self.days, self.seconds_per_solve = db, days, seconds_per_solve

    def inputs(self, report, now: datetime) -> CapacityInputs:
        """From a ForecastReport (forecast.model): the coming `days` open days after the shop's today."""
        conn = self.db.reader()
        settings = load_settings(self.db)
        depots, vehicles = RoutingService(self.db).fleet_by_time_of_day()
        drivers = conn.execute("SELECT count(*) FROM drivers").fetchone()[0]
        fleet = Fleet(depots, vehicles, int(drivers), settings.timezone)
        today = shop_day(conn, now)
        samples = self.samples(now)
        van_share, zone_shares = self.van_share(now), zone_shares_of(samples)
        demands, closed, slots = [], [], []
        for forecast in report.total.days:
            if forecast.day <= today or forecast.day > today + timedelta(days=self.days):
                continue
            if forecast.closed:
                closed.append((forecast.day, forecast.note or "closed"))
                continue
            demands.append(DayDemand(forecast.day, round(forecast.p50 * van_share), round(forecast.p80 * van_share),
                                     zone_shares))
            slots.append((forecast.day, tuple(day_slots(settings, forecast.day))))
        return CapacityInputs(now, fleet, tuple(demands), samples, tuple(slots), self.courier_cost(now),
                              settings.currency, self.seconds_per_solve, van_share, tuple(closed))

    def van_share(self, now: datetime) -> float:
        """Of the recent orders given a way to go, the share the shop's own vans took (the rest: couriers, parcel
        carriers, pickup); the forecast of all orders times this is the vans' demand."""
        since = to_iso(now - timedelta(days=SAMPLE_DAYS))
        own, total = self.db.reader().execute(
            "SELECT count(*) FILTER (WHERE carrier = ?), count(*) FROM orders WHERE created_at >= ? AND carrier <> '' "
            "AND status <> 'cancelled'", (OWN_FLEET, since)).fetchone()
        return own / total if total else 0.0

    def samples(self, now: datetime) -> tuple[StopSample, ...]:
        """The shop's recent own-van orders (placed on the map) as patterns: place, parcels, promised window, zone."""
        conn = self.db.reader()
        settings, zone = load_settings(self.db), shop_zone(conn)
        since = to_iso(now - timedelta(days=SAMPLE_DAYS))
        rows = conn.execute(
            "SELECT lat, lon, postcode, parcels, weight_g, promised_start, promised_end FROM orders "
            "WHERE created_at >= ? AND lat IS NOT NULL AND lon IS NOT NULL AND promised_start IS NOT NULL "
            "AND promised_end IS NOT NULL AND carrier = ? AND status <> 'cancelled'", (since, OWN_FLEET)).fetchall()
        samples = []
        for row in rows:
            found = settings.zone_for(row["lat"], row["lon"], row["postcode"] or "")
            start, end = from_iso(row["promised_start"]).astimezone(zone), from_iso(row["promised_end"]).astimezone(zone)
            if end.date() != start.date():
                continue  # a promise over days: no van day to copy
            of_day = lambda moment: moment.hour * 3600 + moment.minute * 60  # noqa: E731
            samples.append(StopSample(Place(row["lon"], row["lat"]), of_day(start), max(of_day(end), of_day(start) + 600),
                                      max(1, row["parcels"]), row["weight_g"], int(60 * DEFAULT_SERVICE_MIN),
                                      found.name if found else OUTSIDE))
        return tuple(samples)

    def courier_cost(self, now: datetime) -> int | None:
        """A courier delivery's usual cost: the median of the last 60 days' courier shipments, None when none."""
        rows = self.db.reader().execute(
            "SELECT s.cost_minor FROM shipments s JOIN carrier_accounts a ON a.code = s.carrier "
            "WHERE a.kind = 'courier' AND s.cost_minor IS NOT NULL AND s.created_at >= ?",
            (to_iso(now - timedelta(days=60)),)).fetchall()
        return int(statistics.median(r[0] for r in rows)) if rows else None

    # ----- keeping the plan -----
    def save(self, plan: CapacityPlan) -> None:
        """The plan for the forecast area and its slot caps for the delivery options, in one transaction."""
        with self.db.transaction() as conn:
            settings_store.put(conn, {PLAN_KEY: plan_to_json(plan)})
            caps_store.replace_caps(conn, plan.caps())

    def latest(self) -> CapacityPlan | None:
        text = read_setting(self.db.reader(), PLAN_KEY)  # the calling thread's reader: a worker's read never uses
        return None if not text else plan_from_json(text)  # the writer's connection

    def zone(self):
        """The shop's zone (store.shop_clock), for the times the forecast area shows."""
        return shop_zone(self.db.reader())

    def caps_by_day(self, plan: CapacityPlan) -> list[tuple[date, tuple[tuple[str, int], ...]]]:
        """The plan's slot caps per day, each slot named by its shop times ('10:00–12:00')."""
        settings = load_settings(self.db)
        minutes = timedelta(minutes=settings.slot_minutes)
        rows = []
        for day in plan.days:
            slots = []
            for start, cap in day.slot_caps:
                local = from_iso(start).astimezone(settings.tz)
                slots.append((f"{local:%H:%M}–{local + minutes:%H:%M}", cap))
            rows.append((day.day, tuple(slots)))
        return rows


def zone_shares_of(samples) -> tuple[tuple[str, float], ...]:
    """Each zone's part of the recent van stops: a coming day's stops are drawn zone by zone in these shares."""
    counts: dict[str, int] = {}
    for sample in samples:
        counts[sample.zone] = counts.get(sample.zone, 0) + 1
    total = sum(counts.values())
    return tuple(sorted((zone, count / total) for zone, count in counts.items())) if total else ()


# ----- the plan as JSON (the settings row) -----
def plan_to_json(plan: CapacityPlan) -> str:
    def default(value):
        if isinstance(value, datetime):
            return to_iso(value)
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    return json.dumps(asdict(plan), default=default)


def plan_from_json(text: str) -> CapacityPlan:
    data = json.loads(text)
    days = tuple(DayCapacity(date.fromisoformat(d["day"]), LevelPlan(**d["p50"]), LevelPlan(**d["p80"]), d["own_vans"],
                             d["drivers"], tuple((start, cap) for start, cap in d["slot_caps"])) for d in data["days"])
    return CapacityPlan(from_iso(data["made_at"]), days, data["courier_cost_minor"], data["currency"], data["van_share"],
                        tuple((date.fromisoformat(day), why) for day, why in data.get("closed", ())), data.get("note", ""))
