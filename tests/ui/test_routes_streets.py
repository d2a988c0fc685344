"""The Routes area on the shop's streets: the what-if list offers streets vs straight lines and shows both totals."""
from __future__ import annotations

from datetime import datetime

import pytest

from controltower.domain.timeutil import UTC
from controltower.routing.model import SolveOptions
from controltower.routing.service import RoutingService
from controltower.routing.solve import solve
from controltower.ui.routes import RoutesView
from tests.area.helsinki_day import PLAN_DATE, write_helsinki_day

MORNING = lambda: datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # noqa: E731  (06:00 in Helsinki)


@pytest.fixture
def view(qtbot, store):
    write_helsinki_day(store)
    service = RoutingService(store, clock=MORNING, solve_seconds=1)
    widget = RoutesView(service, autoload=False)
    qtbot.addWidget(widget)
    widget.show()
    day = service.load_day(PLAN_DATE)
    plan, _ = solve(service.problem_with_locks(day, day.plan, ()), SolveOptions(seconds=1))
    service.save_plan(day, plan)
    widget.set_day(service.load_day(PLAN_DATE))
    yield widget
    widget.shutdown()


def test_streets_vs_straight_lines_shows_both_days_in_km_hours_and_late_stops(view, qtbot):
    choices = [view.what_if_combo.itemText(i) for i in range(view.what_if_combo.count())]
    assert choices[-1] == "Streets vs straight lines"

    view.what_if_combo.setCurrentIndex(len(choices) - 1)
    view.what_if_button.click()
    qtbot.waitUntil(lambda: view.what_if_label.text().startswith("On the streets: "), timeout=10_000)

    text = view.what_if_label.text()
    assert "Straight-line estimate: " in text and text.count(" km") == 2 and text.count(" late") == 2
    streets_km = float(text.split("On the streets: ")[1].split(" km")[0])
    assert streets_km == pytest.approx(view.evaluation.distance / 1000, abs=0.05)
    assert view.what_if_button.isEnabled()
