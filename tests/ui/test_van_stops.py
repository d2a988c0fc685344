"""Own vans finish their stops: "Delivered" and "Failed attempt…" in the Routes and Orders views, as a shop owner
clicks them, followed to the store (stop, shipment, order) and back to what the views show."""
from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from PySide6.QtCore import Qt

from controltower.demo.routing import write_van_day
from controltower.domain.timeutil import UTC
from controltower.services.core import ControlTower, Options
from controltower.services.routing import Plan
from controltower.ui.orders import OrdersView
from controltower.ui.routes import RoutesView

DATE = "2026-11-26"
AFTERNOON = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # the shop is in UTC here: the vans are out


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(AFTERNOON, tick=True) as traveller:
        yield traveller


@pytest.fixture
def core(store):
    """A day of six own-van orders, all saved on the first van's route (so each has a stop in the store)."""
    order_ids = write_van_day(store, DATE, orders=6)
    core = ControlTower(store, options=Options(sync=False))
    day = core.routing.load_day(DATE)
    core.routing.save_plan(day, Plan((tuple(range(len(day.stops))), ()), "by hand"))
    core.order_ids = order_ids
    return core


def statuses(store, order_id: int) -> tuple[str, str, str]:
    """(stop, shipment, order) status of the order, as the store has them."""
    stop = store.scalar("SELECT status FROM stops WHERE order_id = ? ORDER BY id DESC LIMIT 1", (order_id,))
    shipment = store.scalar("SELECT status FROM shipments WHERE order_id = ? ORDER BY id DESC LIMIT 1", (order_id,))
    return stop, shipment, store.scalar("SELECT status FROM orders WHERE id = ?", (order_id,))


def record_failed_attempt(qtbot, buttons, reason: str) -> None:
    qtbot.mouseClick(buttons.failed_button, Qt.MouseButton.LeftButton)
    dialog = buttons.dialog
    assert dialog.isVisible() and dialog.windowTitle().startswith("Failed attempt:")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.problem.text() == "Say why the delivery failed." and dialog.isVisible()  # a reason is required
    dialog.reason.setCurrentText(reason)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


# ------------------------------------------------------------------ the Routes view: the selected stop of a route

@pytest.fixture
def routes(qtbot, core):
    view = RoutesView(core.routing, autoload=False, deliveries=core.deliveries)
    view.follow(core.hub)
    qtbot.addWidget(view)
    view.resize(1300, 700)
    view.show()
    view.set_day(core.routing.load_day(DATE))
    yield view
    view.shutdown()


def route_refs(view) -> list[str]:
    return [row[1] for row in view.tree.rows(0)]


def test_routes_view_marks_the_selected_stop_delivered(qtbot, routes, core, store):
    buttons = routes.van_stop
    assert not buttons.delivered_button.isEnabled()  # nothing selected yet
    first = routes.plan.routes[0][0]
    ref, order_id = routes.day.stops[first].order_ref, routes.day.stops[first].order_id
    routes.select_stop(first)
    assert buttons.delivered_button.isEnabled() and buttons.failed_button.isEnabled()

    qtbot.mouseClick(buttons.delivered_button, Qt.MouseButton.LeftButton)

    assert buttons.message.text() == f"{ref}: Delivered"
    assert statuses(store, order_id) == ("delivered", "delivered", "delivered")
    qtbot.waitUntil(lambda: ref not in route_refs(routes))  # the route re-read: the van has five stops left
    assert len(route_refs(routes)) == 5 and buttons.message.text() == f"{ref}: Delivered"


def test_routes_view_records_a_failed_attempt_with_its_reason(qtbot, routes, core, store):
    second = routes.plan.routes[0][1]
    ref, order_id = routes.day.stops[second].order_ref, routes.day.stops[second].order_id
    routes.select_stop(second)

    record_failed_attempt(qtbot, routes.van_stop, "Nobody home")

    assert routes.van_stop.message.text() == f"{ref}: Failed: Nobody home"
    assert statuses(store, order_id) == ("failed", "failed_attempt", "failed_attempt")
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'stop.failed' AND after_json LIKE '%Nobody home%'") == 1
    qtbot.waitUntil(lambda: ref not in route_refs(routes))


# ------------------------------------------------------------------ the Orders view: an order on an own van

@pytest.fixture
def orders(qtbot, core):
    view = OrdersView(core.orders, deliveries=core.deliveries)
    view.follow(core.hub)
    qtbot.addWidget(view)
    view.resize(1300, 600)
    view.show()
    return view


def shown_status(view, order_id: int) -> str:
    model = view.model
    column = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())].index("Status")
    return model.index(model.row_of(order_id), column).data()


def test_orders_view_marks_an_own_van_order_delivered(qtbot, orders, core, store):
    order_id = core.order_ids[2]
    assert orders.select_order(order_id)
    buttons = orders.van_stop
    assert buttons.delivered_button.isEnabled() and shown_status(orders, order_id) != "Delivered"

    qtbot.mouseClick(buttons.delivered_button, Qt.MouseButton.LeftButton)

    assert shown_status(orders, order_id) == "Delivered"
    assert "status Delivered" in orders.detail.toPlainText()  # the detail pane re-read too
    assert buttons.message.text().endswith(": Delivered")
    assert statuses(store, order_id) == ("delivered", "delivered", "delivered")
    assert not buttons.delivered_button.isEnabled()  # nothing left for the van to do for this order


def test_orders_view_records_a_failed_attempt(qtbot, orders, core, store):
    order_id = core.order_ids[4]
    assert orders.select_order(order_id)

    record_failed_attempt(qtbot, orders.van_stop, "Address not found")

    assert shown_status(orders, order_id) == "Failed attempt"
    assert orders.van_stop.message.text().endswith(": Failed: Address not found")
    assert statuses(store, order_id) == ("failed", "failed_attempt", "failed_attempt")


def test_orders_view_offers_nothing_for_an_order_without_a_van_stop(qtbot, orders, core, store):
    order_id = core.order_ids[0]
    core.deliveries.mark_delivered(core.deliveries.van_stop(order_id).stop_id)  # the driver's app said so earlier
    assert orders.select_order(order_id)
    assert shown_status(orders, order_id) == "Delivered"
    assert not orders.van_stop.delivered_button.isEnabled() and not orders.van_stop.failed_button.isEnabled()
