"""The Routes area through qtbot: vans and stops on screen, moves re-time at once, locks, reasons, solving live."""
from __future__ import annotations

import statistics
import time
from datetime import datetime

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer

from controltower.domain.timeutil import UTC
from controltower.demo.routing import write_van_day
from controltower.routing.model import SolveOptions
from controltower.routing.service import RoutingService
from controltower.routing.solve import solve
from controltower.ui.routes import RoutesView
from controltower.ui.routes.model import COLUMNS, LATE, STOP_ROLE

DATE = "2026-11-26"
MORNING = lambda: datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # noqa: E731


@pytest.fixture
def view(qtbot, store):
    write_van_day(store, DATE, orders=16, skills={5: "crane"})
    service = RoutingService(store, clock=MORNING, solve_seconds=2)
    widget = RoutesView(service, autoload=False)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    day = service.load_day(DATE)
    plan, _ = solve(service.problem_with_locks(day, day.plan, ()), SolveOptions(seconds=1))
    service.save_plan(day, plan)
    widget.set_day(service.load_day(DATE))
    yield widget
    widget.shutdown()


def van_rows(view, van: int) -> list[list[str]]:
    return view.tree.rows(van)


def cell(view, van: int, row: int, name: str):
    model = view.route_model
    return model.index(row, column(name), model.index(van, 0))


def busy_van(view) -> int:
    return 0 if len(van_rows(view, 0)) >= 2 else 1


def column(name: str) -> int:
    return COLUMNS.index(name)


def test_each_van_shows_its_stops_in_order_with_arrival_and_promise(view):
    assert view.route_model.rowCount() == 2
    assert view.route_model.index(0, 1).data() == "Van A"
    rows = van_rows(view, 0) + van_rows(view, 1)
    assert len(rows) == 15  # 16 orders, one needs a crane
    for row in rows:
        assert row[column("Arrive")].count(":") == 1 and "–" in row[column("Promised")]
    assert "every promise kept" in view.totals.text()
    assert "15 stops planned, 1 not planned" in view.totals.text()


def test_the_unplanned_list_says_why(view, qtbot):
    assert view.unplanned.topLevelItemCount() == 1
    item = view.unplanned.topLevelItem(0)
    assert item.text(0) == "#R0006"
    qtbot.waitUntil(lambda: "Needs a vehicle with crane" in view.unplanned.topLevelItem(0).text(2), timeout=5000)


def test_moving_a_stop_down_retimes_the_route_on_screen(view, qtbot):
    van = busy_van(view)
    before = van_rows(view, van)
    view.select_stop(cell(view, van, 0, "#").data(STOP_ROLE))
    qtbot.mouseClick(view.down_button, Qt.MouseButton.LeftButton)
    after = van_rows(view, van)
    assert after[1][column("Order")] == before[0][column("Order")]
    assert after[0][column("Order")] == before[1][column("Order")]
    assert [r[column("Arrive")] for r in after[:2]] != [r[column("Arrive")] for r in reversed(before[:2])]
    assert view.plan.engine == "manual"


def test_a_drop_onto_another_van_moves_the_stop_and_flags_lateness(view):
    source = busy_van(view)
    target = 1 - source
    stop = cell(view, source, 0, "#").data(STOP_ROLE)
    # Put it last on the other van, then first: one of the two usually breaks a promise or the order changes.
    view.tree.stopDropped.emit(stop, target, 0)
    assert view.plan.vehicle_of(stop) == target
    assert van_rows(view, target)[0][column("Order")] == view.day.stops[stop].order_ref
    # Force a late stop: put the latest-promised stop first on a van that starts at 08:00 and is due by 11:00.
    early = min(range(len(view.day.stops)), key=lambda s: view.day.problem.stops[s].window_end)
    late_one = max(range(len(view.day.stops)), key=lambda s: view.day.problem.stops[s].window_start)
    view.move_stop(late_one, target, 0)
    view.move_stop(early, target, 1)
    assert cell(view, target, 1, "Slack").data().startswith("late")
    assert cell(view, target, 1, "Order").data(Qt.ItemDataRole.BackgroundRole).color() == LATE
    assert "late" in view.totals.text()


def test_locking_a_stop_by_its_checkbox(view, qtbot):
    van = busy_van(view)
    box = cell(view, van, 0, "Locked")
    stop = box.data(STOP_ROLE)
    # A click on the check box, as the user does it.
    rect = view.tree.visualRect(box)
    qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    if stop not in view.locked:  # styles differ on where the box sits in the cell
        view.route_model.setData(box, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    qtbot.waitUntil(lambda: stop in view.locked, timeout=2000)
    assert cell(view, van, 0, "Locked").data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    view.save()
    assert view.service.load_day(DATE).locked == {stop}
    assert "Plan saved" in view.status.text()


def test_run_sheets_are_exported_without_blocking(view, qtbot, tmp_path):
    view.export_run_sheets(tmp_path / "sheets")
    qtbot.waitUntil(lambda: "run sheets" in view.status.text(), timeout=10_000)
    assert sorted(p.suffix for p in (tmp_path / "sheets").iterdir()) == [".csv", ".csv", ".pdf", ".pdf"]


def test_reoptimising_keeps_locked_stops_and_the_event_loop_stays_responsive(view, qtbot):
    """A solve runs in its own process: a 10 ms timer keeps firing on time while it works (figure printed)."""
    van = busy_van(view)
    locked = cell(view, van, 0, "#").data(STOP_ROLE)
    view.toggle_lock(locked)
    other = 1 - van
    view.move_stop(locked, other, 0)  # locked to the other van now; the solver must keep it there

    clock, gaps, ticker = QElapsedTimer(), [], QTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    ticker.timeout.connect(tick)
    ticker.start(10)
    view.reoptimise(seconds=4)
    qtbot.waitUntil(lambda: view.session is not None, timeout=10_000)
    qtbot.waitUntil(lambda: view.session is None and view.optimise_button.isEnabled(), timeout=30_000)
    ticker.stop()

    assert view.plan.vehicle_of(locked) == other
    assert "Re-optimised" in view.status.text()
    delays = sorted(g - 10 for g in gaps)
    p95 = delays[int(0.95 * (len(delays) - 1))]
    print(f"event-loop delay during solve: median {statistics.median(delays)} ms, p95 {p95} ms, max {delays[-1]} ms, "
          f"{len(gaps)} ticks")
    # Loose on purpose: on a shared 2-core machine the OS alone stalls any process by 100+ ms at times.
    assert statistics.median(delays) <= 20
    assert p95 <= 100
    assert delays[-1] < 2000


def test_what_if_one_more_van_says_what_it_would_change_without_applying_it(view, qtbot):
    plan_before = view.plan
    view.try_what_if(0, seconds=1.5)
    qtbot.waitUntil(lambda: "(not applied)" in view.what_if_label.text() or "no plan" in view.what_if_label.text(),
                    timeout=30_000)
    assert view.what_if_label.text().startswith("With one more van like Van A: ")
    assert "km" in view.what_if_label.text() and "stops planned" in view.what_if_label.text()
    assert view.plan is plan_before  # nothing applied


def test_the_area_reads_today_by_itself_when_first_shown(qtbot, store):
    write_van_day(store, DATE, orders=5)
    widget = RoutesView(RoutingService(store, clock=MORNING))
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.day is not None, timeout=10_000)
    assert widget.day.plan_date == DATE
    assert "5 not planned" in widget.totals.text()
    qtbot.waitUntil(lambda: widget.unplanned.topLevelItem(0).text(2) != "Checking why…", timeout=10_000)
    assert "It fits on Van A: re-optimise to plan it" in widget.unplanned.topLevelItem(0).text(2)


def test_an_address_not_on_the_map_is_listed_with_what_to_do(qtbot, store):
    write_van_day(store, DATE, orders=4)
    with store.transaction() as conn:
        conn.execute("UPDATE orders SET lat = NULL, lon = NULL WHERE order_ref = '#R0002'")
    service = RoutingService(store, clock=MORNING)
    widget = RoutesView(service, autoload=False)
    qtbot.addWidget(widget)
    widget.set_day(service.load_day(DATE))
    texts = [widget.unplanned.topLevelItem(i).text(2) for i in range(widget.unplanned.topLevelItemCount())]
    assert "The address (101 Main St, Portland, 97214) is not on the map yet: correct it to plan this stop." in texts
