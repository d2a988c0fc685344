"""Names the shop didn't write (vehicles, customers, addresses, carriers' messages) show in Qt widgets as typed:
Qt renders a tooltip that looks like markup as rich text, so `<b>` would be bold and `<img src=x>` would load."""
from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtGui import Qt as QtText

from controltower.demo.routing import write_van_day
from controltower.domain.timeutil import UTC
from controltower.routing.model import SolveOptions
from controltower.routing.service import RoutingService
from controltower.routing.solve import solve
from controltower.ui.plain import plain_tooltip
from controltower.ui.routes import RoutesView

DATE = "2026-11-26"
VAN = "<b>Van</b> <img src=x onerror=alert(1)>"
STREET = "<img src=x onerror=alert(1)> 1 <b>Main</b> St"


def as_shown(tooltip: str) -> str:
    """The text a person reads in the tooltip, decided the way Qt's tooltip label decides (Qt::mightBeRichText)."""
    if not QtText.mightBeRichText(tooltip):
        return tooltip
    document = QTextDocument()
    document.setHtml(tooltip)
    return document.toPlainText()


@pytest.fixture
def routes(qtbot, store):
    write_van_day(store, DATE, orders=16)
    with store.transaction() as conn:  # names as a shop might have typed (or pasted) them
        conn.execute("UPDATE vehicles SET name = ?", (VAN,))
        conn.execute("UPDATE orders SET street = ?", (STREET,))
    service = RoutingService(store, clock=lambda: datetime(2026, 11, 26, 6, 0, tzinfo=UTC), solve_seconds=2)
    widget = RoutesView(service, autoload=False)
    qtbot.addWidget(widget)
    widget.show()
    day = service.load_day(DATE)
    plan, _ = solve(service.problem_with_locks(day, day.plan, ()), SolveOptions(seconds=1))
    service.save_plan(day, plan)
    widget.set_day(service.load_day(DATE))
    yield widget
    widget.shutdown()


def test_a_vehicle_name_and_an_address_in_routes_tooltips_show_as_typed(routes):
    model = routes.route_model
    van = 0
    # A late stop puts the van's name in its tooltip ("<name>: stop ... reached ... after its window").
    early = min(range(len(routes.day.stops)), key=lambda s: routes.day.problem.stops[s].window_end)
    late_one = max(range(len(routes.day.stops)), key=lambda s: routes.day.problem.stops[s].window_start)
    routes.move_stop(late_one, van, 0)
    routes.move_stop(early, van, 1)
    van_tip = model.index(van, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert VAN in as_shown(van_tip)
    address_tip = model.index(0, 2, model.index(van, 0)).data(Qt.ItemDataRole.ToolTipRole)
    assert STREET in as_shown(address_tip)


def test_plain_tooltips_keep_lines_and_leave_no_tag_alive():
    tip = plain_tooltip(f"{VAN}\nSuggested: re-book")
    assert as_shown(tip) == f"{VAN}\nSuggested: re-book"
    assert "<img" not in tip and "<b>" not in tip
    assert plain_tooltip("") == "" and plain_tooltip(None) is None
    assert plain_tooltip("Van A: stop 3 is late") == "Van A: stop 3 is late"  # ordinary text stays a plain tooltip
