"""Planning a day on the shop's streets: once the shop has an area with a road graph, the day's matrix, the plan, the
run sheet's times and the what-if all come from the roads, at the speeds of the hours the vans drive."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import numpy as np
import pytest

from controltower.area.speeds import SpeedProfile, save_speed_profile
from controltower.domain.timeutil import UTC
from controltower.routing.matrix import OfflineMatrixProvider
from controltower.routing.model import SolveOptions
from controltower.routing.runsheet import run_sheets
from controltower.routing.service import RoutingService
from controltower.routing.solve import solve

from .helsinki_day import STOPS, write_helsinki_day

MORNING = lambda: datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # noqa: E731  (06:00 in Helsinki)


@pytest.fixture
def helsinki_day(store):
    return write_helsinki_day(store)


def test_a_day_in_the_area_is_planned_and_timed_on_its_streets(helsinki_day):
    service = RoutingService(helsinki_day, clock=MORNING)

    day = service.load_day("2026-12-07")

    assert day.problem.matrix.source == "road" and day.warning == ""
    places = [d.place for d in day.problem.depots] + [s.place for s in day.problem.stops]
    line = OfflineMatrixProvider().matrix(places, (8, 16))
    assert np.array(day.problem.matrix.distance).tolist() != line.distance  # streets, not the straight line
    plan, _ = solve(service.problem_with_locks(day, day.plan, day.locked), SolveOptions(seconds=1.0))
    assert sum(len(r) for r in plan.routes) == len(STOPS)

    # The run sheet's first arrival is the van's start plus the drive to that stop on the streets.
    evaluation = service.evaluate(day, plan)
    sheet = run_sheets(day, plan, evaluation)[0]
    first = plan.routes[0][0]
    drive = day.problem.matrix.duration[0][1 + first]
    assert sheet.rows[0][1] == f"{day.local(8 * 3600 + drive):%H:%M}"
    service.save_plan(day, plan)
    arrivals = helsinki_day.query("SELECT planned_arrival FROM stops WHERE sequence = 1")
    assert arrivals[0][0] == (datetime(2026, 12, 7, 6, 0, tzinfo=UTC) + timedelta(seconds=drive)).isoformat()


def test_the_shops_own_speed_profile_sets_the_days_times(helsinki_day):
    service = RoutingService(helsinki_day, clock=MORNING)
    usual = service.load_day("2026-12-07").problem.matrix

    save_speed_profile(helsinki_day, SpeedProfile().with_rush(0.3))
    slower = service.load_day("2026-12-07").problem.matrix

    assert all(s > u for s_row, u_row in zip(slower.duration, usual.duration) for s, u in zip(s_row, u_row) if u)


def test_the_what_if_compares_the_plan_on_straight_lines_and_on_the_streets(helsinki_day):
    service = RoutingService(helsinki_day, clock=MORNING)
    day = service.load_day("2026-12-07")
    plan, _ = solve(service.problem_with_locks(day, day.plan, day.locked), SolveOptions(seconds=1.0))

    comparison = service.compare_travel(day, plan)

    assert comparison.streets.source == "road" and comparison.straight_line.source == "offline"
    assert comparison.streets.distance_m == service.evaluate(day, plan).distance
    assert comparison.straight_line.distance_m != comparison.streets.distance_m
    assert comparison.streets.driving_s > 0 and comparison.straight_line.driving_s > 0
    assert comparison.text().startswith("On the streets: ")


def test_without_an_area_the_day_is_planned_on_straight_lines_and_the_what_if_says_why(store):
    store.set_setting("shop.timezone", "UTC")
    with store.transaction() as conn:
        conn.execute("INSERT INTO depots(name, lat, lon) VALUES ('Shop', 60.17, 24.94)")
        conn.execute("INSERT INTO vehicles(name, capacity_parcels, capacity_weight_g, shift_start, shift_end) "
                     "VALUES ('Van A', 40, 400000, '08:00', '16:00')")
    service = RoutingService(store, clock=MORNING)
    day = service.load_day("2026-12-07")

    assert day.problem.matrix.source == "offline"
    with pytest.raises(LookupError, match="Build the shop's area"):
        service.compare_travel(day, day.plan)


def test_stops_outside_the_area_are_planned_on_straight_lines_with_a_warning(helsinki_day):
    with helsinki_day.transaction() as conn:
        conn.execute("UPDATE orders SET lat = 60.45, lon = 22.27 WHERE order_ref = '#H3'")  # Turku
    service = RoutingService(helsinki_day, clock=MORNING)

    day = service.load_day("2026-12-07")

    assert day.problem.matrix.source == "offline"
    assert "outside the area of the street map (Helsinki.osm.pbf)" in day.warning
    assert "straight-line estimates" in day.warning


def test_a_damaged_road_graph_plans_on_straight_lines_instead(helsinki_day):
    roads = helsinki_day.path.parent / "areas" / "helsinki" / "roads.npz"
    roads.write_bytes(roads.read_bytes()[:4000])
    service = RoutingService(helsinki_day, clock=MORNING)

    day = service.load_day("2026-12-07")

    assert day.problem.matrix.source == "offline" and len(day.stops) == len(STOPS)
    assert day.warning.startswith("The road graph roads.npz can't be read (")
    assert day.warning.endswith("build the area again. Until then travel times are straight-line estimates.")


def test_a_stop_far_from_any_road_is_planned_in_a_straight_line_and_the_day_says_so(helsinki_day):
    with helsinki_day.transaction() as conn:  # in the harbour, 900 m south of the extract's last street
        conn.execute("UPDATE orders SET lat = 60.1560, lon = 24.9450 WHERE order_ref = '#H2'")
    service = RoutingService(helsinki_day, clock=MORNING)

    day = service.load_day("2026-12-07")

    assert day.problem.matrix.source == "road"
    assert "more than 500 m from a road a van may drive on: their travel is a straight-line estimate" in day.warning


def test_dispatch_prices_own_vans_on_the_same_streets(helsinki_day):
    from controltower.dispatch.service import DispatchService
    from controltower.routing.model import Place

    places = [Place(lon, lat) for lat, lon in STOPS[:3]]
    dispatch_matrix = DispatchService(helsinki_day).matrix_provider.matrix(places)

    assert dispatch_matrix.source == "road"
    planner = RoutingService(helsinki_day, clock=MORNING).matrix_provider().matrix(places)
    assert dispatch_matrix.duration == planner.duration


def test_the_app_plans_on_the_area_its_area_service_has_chosen_wherever_its_data_folder_is(store, tmp_path):
    from controltower.area.build import build_area
    from controltower.services.core import ControlTower, Options

    from .conftest import HELSINKI

    write_helsinki_day(store)
    shutil.rmtree(store.path.parent / "areas")  # the area lives in the app's data folder, not beside the store
    data = tmp_path / "app data"
    core = ControlTower(store, options=Options(sync=False), data_dir=data)
    core.area.use(build_area(HELSINKI, data / "areas" / "helsinki", parts=("roads",)))
    core.routing.clock = MORNING

    assert core.routing.load_day("2026-12-07").problem.matrix.source == "road"
    places = [s.place for s in core.routing.load_day("2026-12-07").problem.stops[:2]]
    assert core.dispatch.matrix_provider.matrix(places).source == "road"
