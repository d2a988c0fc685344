"""The day's own-van planning over the store: builds the problem, evaluates, explains, saves and dispatches plans."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time as clock_time, timedelta
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from ..domain.timeutil import UTC, TimeWindow, from_iso, to_iso, utcnow
from ..kernel.events import EventHub
from ..store import audit
from ..store.shop_clock import shop_today, shop_zone_name
from . import plans
from .evaluator import Evaluation, evaluate, reevaluate
from .explain import Reason, explain_stop, explain_unplanned
from .matrix import MatrixProvider, NotedMatrixProvider, OfflineMatrixProvider, OsrmMatrixProvider, RoadMatrixProvider
from .model import DriverBreak, Place, Plan, PlanningDepot, PlanningStop, PlanningVehicle, Problem, SolveOptions, TravelMatrix
from .engines.pyvrp_parallel import default_workers
from .repair import repair
from .session import PlanningSession
from .travel_compare import TravelComparison, compare_travel, planning_hours

log = logging.getLogger(__name__)

# Leaving a stop unplanned costs as much as driving this many metres, times (1 + priority): planning
# every stop that fits always wins over a shorter day.
UNPLANNED_PENALTY_M = 1_000_000
DEFAULT_SERVICE_MIN = 4.0
OSRM_URL_SETTING = "routing.osrm_url"


@dataclass(frozen=True)
class StopInfo:
    """What the planner shows about a stop, aligned with Problem.stops."""

    order_id: int
    order_ref: str
    customer_name: str
    address: str
    phone: str = ""
    notes: str = ""
    parcels: int = 1
    weight_g: int = 0
    promised_window: TimeWindow | None = None
    kind: str = "delivery"
    stop_id: int | None = None


@dataclass(frozen=True)
class VehicleInfo:
    vehicle_id: int
    name: str
    driver_name: str = ""
    driver_phone: str = ""


@dataclass(frozen=True)
class RoutingDay:
    """One day's planning data: the problem, who and what is behind each index, and the saved plan."""

    plan_date: str
    problem: Problem
    stops: tuple[StopInfo, ...]
    vehicles: tuple[VehicleInfo, ...]
    plan: Plan
    locked: frozenset[int]
    timezone: str
    warning: str = ""
    dispatched: bool = False
    unlocated: tuple[StopInfo, ...] = ()  # the day's stops whose address has no map position: they cannot be planned

    def local(self, seconds: int) -> datetime:
        return (self.problem.day_origin + timedelta(seconds=seconds)).astimezone(ZoneInfo(self.timezone))

    @property
    def closed_note(self) -> str:
        """A plain sentence when no van can drive any more on this day (planned after closing), else ""."""
        problem = self.problem
        if problem.planned_at is None or any(problem.time_left(v) for v in range(len(problem.vehicles))):
            return ""
        tomorrow = date.fromisoformat(self.plan_date) + timedelta(days=1)
        return (f"The vans' day on {date.fromisoformat(self.plan_date):%a %d %b} is over: nothing more can be planned "
                f"for it. Choose {tomorrow:%a %d %b} to plan tomorrow.")


@dataclass(frozen=True)
class PlanComparison:
    distance_change_m: int
    planned_change: int
    vehicles_change: int
    previous_created_at: str

    def text(self) -> str:
        km = self.distance_change_m / 1000
        return (f"Compared with the plan of {self.previous_created_at[:16].replace('T', ' ')}: {km:+.1f} km, "
                f"{self.planned_change:+d} stops planned, {self.vehicles_change:+d} vans")


class StoreMatrixCache:
    """Travel matrices kept in the store, keyed by the server and the exact points asked."""

    def __init__(self, db) -> None:
        self.db = db

    def get(self, key: str) -> TravelMatrix | None:
        row = self.db.reader().execute("SELECT * FROM travel_matrix_cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return TravelMatrix(json.loads(row["distance_json"]), json.loads(row["duration_json"]), source=row["source"])

    def put(self, key: str, matrix: TravelMatrix) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO travel_matrix_cache(key, source, created_at, distance_json, duration_json) "
                         "VALUES (?,?,?,?,?)", (key, matrix.source, to_iso(utcnow()), json.dumps(matrix.distance),
                                                json.dumps(matrix.duration)))


def shop_matrix_provider(db, area_package: Callable[[], object] | None = None) -> MatrixProvider:
    """The shop's travel times: its OSRM server when one is set, else its area's road graph, else straight lines.
    `area_package` gives the shop's area (AreaService.current); by default it is looked up beside the store."""
    url = db.get_setting(OSRM_URL_SETTING)
    if url:
        return OsrmMatrixProvider(url, cache=StoreMatrixCache(db))
    from ..area.package import shop_package

    package = area_package() if area_package is not None else shop_package(db)
    roads = package.part_path("roads") if package is not None else None
    if roads is None:
        return OfflineMatrixProvider()
    from ..area.graph import load_cached
    from ..area.speeds import load_speed_profile

    try:
        return RoadMatrixProvider(load_cached(roads), load_speed_profile(db))
    except (OSError, ValueError) as exc:  # a damaged or old graph: plan as before, and say so
        log.warning("the area's road graph can't be used (%s): travel times are straight-line estimates", exc)
        return NotedMatrixProvider(OfflineMatrixProvider(), f"{exc} Until then travel times are straight-line "
                                                            "estimates.")


class ShopMatrixProvider:
    """The shop's provider chosen afresh on each call, so a new area or OSRM server applies without a restart."""

    def __init__(self, db, area_package: Callable[[], object] | None = None) -> None:
        self.db = db
        self.area_package = area_package

    def matrix(self, places, hours: tuple[int, int] = (0, 24)) -> TravelMatrix:
        return shop_matrix_provider(self.db, self.area_package).matrix(places, hours)


class RoutingService:
    """Qt-free use cases behind the Routes area. Construct once with the store; the UI polls sessions it starts."""

    def __init__(self, db, matrix_provider: MatrixProvider | None = None, hub: EventHub | None = None,
                 clock: Callable[[], datetime] = utcnow, solve_seconds: float = 10.0,
                 solve_workers: int | None = None, area_package: Callable[[], object] | None = None) -> None:
        self.db = db
        self.hub = hub
        self.clock = clock
        self.solve_seconds = solve_seconds
        self.solve_workers = solve_workers or default_workers()  # searches sharing the best plan, one per core
        self._matrix_provider = matrix_provider
        self._area_package = area_package  # the shop's area package now (AreaService.current), for its roads

    # ----- reading the day -----
    def matrix_provider(self) -> MatrixProvider:
        if self._matrix_provider is not None:
            return self._matrix_provider
        return shop_matrix_provider(self.db, self._area_package)

    def timezone(self) -> str:
        """The shop's zone by name (store.shop_clock), the one its plan dates and shifts are in."""
        return shop_zone_name(self.db.reader())

    def default_date(self) -> str:
        """The shop's today while its vans can still drive; after the last van's day has ended, tomorrow."""
        conn, now = self.db.reader(), self.clock()
        today = shop_today(conn, now)
        ends = [min(_minutes(r["shift_end"] or "18:00"), _minutes(r["closes_at"] or "23:59")) for r in conn.execute(
            "SELECT v.shift_end, d.closes_at FROM vehicles v LEFT JOIN depots d ON d.id = v.depot_id WHERE v.active = 1")]
        local_now = now.astimezone(ZoneInfo(self.timezone()))
        if ends and local_now.hour * 60 + local_now.minute >= max(ends):
            return (date.fromisoformat(today) + timedelta(days=1)).isoformat()
        return today

    def load_day(self, plan_date: str | date | None = None) -> RoutingDay:
        plan_date = (plan_date.isoformat() if isinstance(plan_date, date) else plan_date) or self.default_date()
        tz = ZoneInfo(self.timezone())
        conn = self.db.reader()
        origin = datetime.combine(date.fromisoformat(plan_date), clock_time(0), tz).astimezone(UTC)
        at = lambda hhmm, default: _seconds(origin, tz, plan_date, hhmm or default)  # noqa: E731
        now_s = int((self.clock() - origin).total_seconds())

        depot_rows = conn.execute("SELECT * FROM depots ORDER BY id").fetchall()
        if not depot_rows:
            raise LookupError("Add a depot (where the vans load) before planning routes.")
        depot_index = {row["id"]: i for i, row in enumerate(depot_rows)}
        depots = tuple(PlanningDepot(str(r["id"]), Place(r["lon"], r["lat"]), at(r["opens_at"], "00:00"),
                                     at(r["closes_at"], "23:59"), r["name"]) for r in depot_rows)
        vehicles, vehicle_infos = self._vehicles(conn, depot_index, at, now_s)
        if not vehicles:
            raise LookupError("Add a van (with its shift and capacity) before planning routes.")
        vehicle_of_id = {info.vehicle_id: i for i, info in enumerate(vehicle_infos)}
        route_rows = conn.execute("SELECT * FROM routes WHERE plan_date = ? ORDER BY id", (plan_date,)).fetchall()
        dispatched = any(r["status"] != "planned" for r in route_rows)
        rows = self._stop_rows(conn, plan_date)
        stops, infos, placed, locked, unlocated = [], [], {}, set(), []
        for row in rows:
            if row["lat"] is None or row["lon"] is None:
                unlocated.append(StopInfo(row["order_id"], row["order_ref"], row["customer_name"], _address(row),
                                          row["phone"], row["notes"], stop_id=row["stop_id"]))
                continue
            start, end = from_iso(row["promised_start"]), from_iso(row["promised_end"])
            window = TimeWindow(start, end) if start and end else None
            w_start = int((start - origin).total_seconds()) if start else min(d.opens for d in depots)
            w_end = int((end - origin).total_seconds()) if end else max(d.closes for d in depots)
            amount = (row["parcels"], row["weight_g"])
            is_pickup = row["stop_kind"] == "pickup"
            priority = row["priority"] or 0
            index = len(stops)
            stops.append(PlanningStop(
                str(row["order_id"]), Place(row["lon"], row["lat"]),
                delivery=(0, 0) if is_pickup else amount, pickup=amount if is_pickup else (0, 0),
                service=int(60 * (row["service_minutes"] or DEFAULT_SERVICE_MIN)), window_start=w_start, window_end=w_end,
                required_skills=frozenset(s.strip() for s in (row["required_skills"] or "").split(",") if s.strip()),
                priority=priority, required=False, penalty=UNPLANNED_PENALTY_M * (1 + priority),
                name=row["order_ref"],
            ))
            infos.append(StopInfo(row["order_id"], row["order_ref"], row["customer_name"], _address(row), row["phone"],
                                  row["notes"], row["parcels"], row["weight_g"], window,
                                  "pickup" if is_pickup else "delivery", row["stop_id"]))
            if row["route_vehicle"] in vehicle_of_id:
                placed.setdefault(vehicle_of_id[row["route_vehicle"]], []).append((row["sequence"] or 0, index))
                if row["locked"]:
                    locked.add(index)
        places = [d.place for d in depots] + [s.place for s in stops]
        matrix = self.matrix_provider().matrix(places, planning_hours(vehicles))
        problem = Problem(depots, tuple(vehicles), tuple(stops), matrix, day_origin=origin, name=f"own vans {plan_date}",
                          timezone=str(tz), planned_at=now_s)
        plan = Plan(tuple(tuple(i for _, i in sorted(placed.get(v, []))) for v in range(len(vehicles))), "saved")
        return RoutingDay(plan_date, problem, tuple(infos), tuple(vehicle_infos), plan, frozenset(locked),
                          str(tz), matrix.warning, dispatched, tuple(unlocated))

    def fleet_by_time_of_day(self) -> tuple[tuple[PlanningDepot, ...], tuple[PlanningVehicle, ...]]:
        """The depots and active vans as any coming day has them, hours in seconds from local midnight."""
        conn = self.db.reader()
        at = lambda hhmm, default: 60 * _minutes(hhmm or default)  # noqa: E731
        depot_rows = conn.execute("SELECT * FROM depots ORDER BY id").fetchall()
        if not depot_rows:
            raise LookupError("Add a depot (where the vans load) before planning vans for the forecast.")
        depots = tuple(PlanningDepot(str(r["id"]), Place(r["lon"], r["lat"]), at(r["opens_at"], "00:00"),
                                     at(r["closes_at"], "23:59"), r["name"]) for r in depot_rows)
        vehicles, _ = self._vehicles(conn, {row["id"]: i for i, row in enumerate(depot_rows)}, at, 0)
        if not vehicles:
            raise LookupError("Add a van (with its shift and capacity) before planning vans for the forecast.")
        return depots, tuple(vehicles)

    def _vehicles(self, conn, depot_index, at, now_s) -> tuple[list[PlanningVehicle], list[VehicleInfo]]:
        vehicles, infos = [], []
        rows = conn.execute("SELECT v.*, d.name AS driver_name, d.phone AS driver_phone FROM vehicles v "
                            "LEFT JOIN drivers d ON d.id = v.driver_id WHERE v.active = 1 ORDER BY v.id").fetchall()
        for r in rows:
            start, end = at(r["shift_start"], "08:00"), at(r["shift_end"], "18:00")
            # A plan made mid-day starts now, not at this morning's shift start; one made after the shift has none left.
            start = min(max(start, now_s), end)
            brk = None
            if r["break_minutes"] and end - start > 5 * 3600:
                middle, duration = (start + end) // 2, 60 * r["break_minutes"]
                brk = DriverBreak(middle - 3600 - duration // 2, middle + 3600 - duration // 2, duration)
            vehicles.append(PlanningVehicle(
                str(r["id"]), depot_index.get(r["depot_id"], 0), (r["capacity_parcels"], r["capacity_weight_g"]),
                start, max(start, end), brk, frozenset(s.strip() for s in (r["skills"] or "").split(",") if s.strip()),
                r["name"]))
            infos.append(VehicleInfo(r["id"], r["name"], r["driver_name"] or "", r["driver_phone"] or ""))
        return vehicles, infos

    def _stop_rows(self, conn, plan_date: str) -> list:
        """Own-van orders of the day still to deliver: those on the day's routes, then own-fleet orders not yet on one."""
        return conn.execute(
            """
            SELECT o.id AS order_id, o.order_ref, o.customer_name, o.street, o.line2, o.city, o.postcode, o.phone,
                   o.notes, o.parcels, o.weight_g, o.lat, o.lon, o.promised_start, o.promised_end,
                   s.id AS stop_id, s.kind AS stop_kind, s.sequence, s.locked, s.service_minutes,
                   r.vehicle_id AS route_vehicle, n.required_skills, n.priority
            FROM orders o
            LEFT JOIN stops s ON s.order_id = o.id AND s.id = (
                SELECT s2.id FROM stops s2 LEFT JOIN routes r2 ON r2.id = s2.route_id
                WHERE s2.order_id = o.id
                  AND (r2.plan_date = :d OR (s2.route_id IS NULL AND (s2.plan_date = :d OR s2.plan_date IS NULL)))
                ORDER BY s2.id DESC LIMIT 1)
            LEFT JOIN routes r ON r.id = s.route_id
            LEFT JOIN routing_order_needs n ON n.order_id = o.id
            WHERE (r.plan_date = :d
                   OR (s.route_id IS NULL AND s.plan_date = :d)
                   OR (o.delivery_date = :d AND s.route_id IS NULL AND s.plan_date IS NULL
                       AND (o.carrier = 'own_fleet' OR EXISTS (
                           SELECT 1 FROM shipments sh WHERE sh.order_id = o.id AND sh.carrier = 'own_fleet'))))
              AND (s.id IS NULL OR s.status = 'planned')
              AND (s.kind = 'pickup' OR o.status NOT IN ('delivered', 'cancelled', 'returned'))
            ORDER BY o.id
            """,
            {"d": plan_date},
        ).fetchall()

    # ----- working on a plan -----
    def problem_with_locks(self, day: RoutingDay, plan: Plan, locked: frozenset[int] | set[int]) -> Problem:
        """Locked stops stay on the vehicle they are on in `plan`, in the order they have there."""
        stops = list(day.problem.stops)
        for s in locked:
            vehicle = plan.vehicle_of(s)
            if vehicle is not None:
                stops[s] = replace(stops[s], locked_vehicle=vehicle, locked_order=plan.routes[vehicle].index(s))
        return replace(day.problem, stops=tuple(stops))

    def evaluate(self, day: RoutingDay, plan: Plan, locked: frozenset[int] | set[int] = frozenset()) -> Evaluation:
        return evaluate(self.problem_with_locks(day, plan, locked), plan)

    def retime(self, day: RoutingDay, plan: Plan, locked: frozenset[int] | set[int], previous: Evaluation,
               vehicles: set[int]) -> Evaluation:
        """Re-times only the routes a hand move touched (the rest is unchanged)."""
        return reevaluate(self.problem_with_locks(day, plan, locked), plan, previous, vehicles)

    def reasons(self, day: RoutingDay, plan: Plan, locked: frozenset[int] | set[int] = frozenset()) -> dict[int, Reason]:
        return {r.stop: r for r in explain_unplanned(self.problem_with_locks(day, plan, locked), plan)}

    def explainer(self, day: RoutingDay, plan: Plan, locked: frozenset[int] | set[int] = frozenset()):
        """explain(stop) -> Reason for one unplanned stop, so a caller can spread the work over time."""
        problem = self.problem_with_locks(day, plan, locked)
        return lambda stop: explain_stop(problem, plan, stop)

    def speed_profile(self):
        """The van speeds per road class and hour the street map's travel times use (area.speeds.SpeedProfile)."""
        from ..area.speeds import load_speed_profile

        return load_speed_profile(self.db)

    def save_speed_profile(self, profile) -> None:
        from ..area.speeds import save_speed_profile

        save_speed_profile(self.db, profile)

    def compare_travel(self, day: RoutingDay, plan: Plan) -> TravelComparison:
        """What-if: the plan's distance, driving time and late stops on straight lines and on the shop's streets.
        LookupError when the shop has no road graph (no area built, or an OSRM server set instead)."""
        provider = self.matrix_provider()
        if not isinstance(provider, RoadMatrixProvider):
            raise LookupError("Build the shop's area (Settings, Area) to compare with travel on its streets.")
        return compare_travel(day.problem, plan, provider)

    def start_planning(self, day: RoutingDay, plan: Plan | None = None, locked: frozenset[int] | set[int] = frozenset(),
                       seconds: float | None = None) -> PlanningSession:
        """Starts a solve in its own process, warm-started from `plan`; poll the returned session."""
        plan = plan or day.plan
        problem = self.problem_with_locks(day, plan, locked)
        return PlanningSession(problem, SolveOptions(seconds=seconds or self.solve_seconds, workers=self.solve_workers),
                               warm_start=_warm_start(problem, plan)).start()

    def start_what_if(self, day: RoutingDay, plan: Plan, locked: frozenset[int] | set[int], change: str,
                      vehicle: int = 0, minutes: int = 60, seconds: float = 3.0) -> tuple[PlanningSession, str]:
        """Solves the day as it would be after a change (one more van, a longer shift) without changing anything."""
        problem, warm, label = what_if_problem(day, self.problem_with_locks(day, plan, locked), plan, change, vehicle, minutes)
        options = SolveOptions(seconds=seconds, workers=self.solve_workers)
        return PlanningSession(problem, options, warm_start=_warm_start(problem, warm)).start(), label

    # ----- saving -----
    def save_plan(self, day: RoutingDay, plan: Plan, locked: frozenset[int] | set[int] = frozenset(),
                  status: str = "planned") -> int:
        """Writes routes and stops for the day in one transaction and records the plan for later comparison."""
        evaluation = self.evaluate(day, plan, locked)
        with self.db.transaction() as conn:
            existing = plans.routes_on(conn, day.plan_date)
            for report in evaluation.routes:
                info = day.vehicles[report.vehicle]
                route_id = existing.get(info.vehicle_id)
                if not report.visits:
                    if route_id is not None:
                        plans.drop_route_if_unstarted(conn, route_id)
                    continue
                if route_id is None:
                    route_id = plans.create_route(conn, day.plan_date, info.vehicle_id, status)
                # A route already under way keeps its status; only dispatching changes it.
                plans.set_route_totals(conn, route_id, report.distance, report.duration, dispatched=status == "dispatched")
                for sequence, visit in enumerate(report.visits, start=1):
                    self._write_stop(conn, day, visit.stop, route_id, sequence, to_iso(day.problem.clock(visit.arrival)),
                                     visit.stop in locked)
            for s in evaluation.unplanned:
                if day.stops[s].stop_id is not None:
                    plans.unplace_stop(conn, day.stops[s].stop_id)
            routes = [(day.vehicles[v].vehicle_id, [day.stops[s].order_id for s in r]) for v, r in enumerate(plan.routes) if r]
            plan_id = plans.record_plan(conn, day.plan_date, plan.engine, evaluation.distance,
                                        sum(r.duration for r in evaluation.routes), len(day.stops) - len(evaluation.unplanned),
                                        len(evaluation.unplanned), routes)
            audit.record(conn, "save_route_plan" if status == "planned" else "dispatch_routes", "route_plan", plan_id,
                         after={"plan_date": day.plan_date, "distance_m": evaluation.distance,
                                "unplanned": len(evaluation.unplanned), "engine": plan.engine})
        if self.hub:
            self.hub.publish("routes.changed", plan_date=day.plan_date)
        return plan_id

    def _write_stop(self, conn, day: RoutingDay, s: int, route_id: int, sequence: int, arrival: str, locked: bool) -> None:
        info = day.stops[s]
        if info.stop_id is not None:
            plans.place_stop(conn, info.stop_id, route_id, sequence, arrival, locked)
        else:
            plans.add_stop(conn, info.order_id, route_id=route_id, kind=info.kind, sequence=sequence, planned_arrival=arrival,
                           service_minutes=day.problem.stops[s].service / 60, locked=locked)

    def compare_with_previous(self, plan_date: str) -> PlanComparison | None:
        rows = self.db.reader().execute("SELECT * FROM route_plans WHERE plan_date = ? ORDER BY id DESC LIMIT 2",
                                        (plan_date,)).fetchall()
        if len(rows) < 2:
            return None
        new, old = rows
        return PlanComparison(new["distance_m"] - old["distance_m"], new["planned_stops"] - old["planned_stops"],
                              new["vehicles_used"] - old["vehicles_used"], old["created_at"])

    def dispatch(self, day: RoutingDay, plan: Plan, locked: frozenset[int] | set[int], folder: str | Path) -> list[Path]:
        """Freezes the plan (routes become 'dispatched') and writes each driver's run sheet, CSV and PDF."""
        from .runsheet import export_run_sheets, run_sheets

        self.save_plan(day, plan, locked, status="dispatched")
        return export_run_sheets(run_sheets(day, plan, self.evaluate(day, plan, locked)), folder)


def _warm_start(problem: Problem, plan: Plan) -> Plan | None:
    """The current plan as the solver's start; a hand-made plan that breaks a promise first loses the stops it breaks."""
    if evaluate(problem, plan).feasible:
        return plan
    repaired = repair(problem, plan)
    return repaired if evaluate(problem, repaired).feasible else None


def _seconds(origin: datetime, tz: ZoneInfo, plan_date: str, hhmm: str) -> int:
    hours, minutes = (int(x) for x in hhmm.split(":")[:2])
    local = datetime.combine(date.fromisoformat(plan_date), clock_time(min(hours, 23), minutes), tz)
    return int((local.astimezone(UTC) - origin).total_seconds())


def _minutes(hhmm: str) -> int:
    hours, minutes = (int(x) for x in hhmm.split(":")[:2])
    return 60 * hours + minutes


def _address(row) -> str:
    return ", ".join(p for p in (row["street"], row["line2"], row["city"], row["postcode"]) if p)


@dataclass(frozen=True)
class WhatIfResult:
    """How a change would move cost and promises, worked out before anything is applied."""

    label: str
    distance_change_m: int
    planned_change: int
    late_change: int

    def text(self) -> str:
        parts = [f"{self.distance_change_m / 1000:+.1f} km", f"{self.planned_change:+d} stops planned"]
        if self.late_change:
            parts.append(f"{self.late_change:+d} late stops")
        return f"{self.label}: " + ", ".join(parts) + " (not applied)"


def what_if_problem(day: RoutingDay, problem: Problem, plan: Plan, change: str, vehicle: int = 0,
                    minutes: int = 60) -> tuple[Problem, Plan, str]:
    """The changed problem, the current plan fitted to it (a warm start), and a label, for "add_van" or "longer_shift"."""
    van = problem.vehicles[vehicle]
    name = van.name or van.key
    if change == "add_van":
        extra = replace(van, key=f"{van.key}-extra", name=f"Extra van like {name}")
        return (replace(problem, vehicles=problem.vehicles + (extra,)), replace(plan, routes=plan.routes + ((),)),
                f"With one more van like {name}")
    if change == "longer_shift":
        longer = replace(van, shift_end=van.shift_end + 60 * minutes)
        vehicles = problem.vehicles[:vehicle] + (longer,) + problem.vehicles[vehicle + 1:]
        return replace(problem, vehicles=vehicles), plan, f"With {name}'s shift {minutes} min longer"
    raise ValueError(f"unknown what-if: {change}")


def compare_outcomes(label: str, before: Evaluation, after: Evaluation) -> WhatIfResult:
    late = lambda e: sum(1 for r in e.routes for v in r.visits if v.late_by)  # noqa: E731
    planned = lambda e: sum(len(r.visits) for r in e.routes)  # noqa: E731
    return WhatIfResult(label, after.distance - before.distance, planned(after) - planned(before), late(after) - late(before))
