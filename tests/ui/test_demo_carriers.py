"""The demo's carriers as a user meets them: the sandbox couriers on 127.0.0.1, a demo store, and the real widgets.

The Dispatch tab lists the orders awaiting a decision with a recommended way, "compare ways to send" shows the
sandbox couriers' prices, Carrier accounts lists them, and "Ask couriers" in a new order brings their offers.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine
from PySide6.QtCore import Qt, QThreadPool

from controltower.demo.sandbox import SandboxNetwork, register_sandbox
from controltower.demo.sandbox.adapters import unregister_sandbox
from controltower.demo import generate
from controltower.dispatch.service import DispatchService
from controltower.store import Database
from controltower.services.accounts import AccountsService
from controltower.store.secrets import SecretStoreError
from controltower.ui.dispatch import DispatchView, NewOrderDialog
from controltower.ui.settings import CarrierSettingsDialog

NOW = datetime(2026, 11, 25, 19, 30, tzinfo=timezone.utc)  # a Wednesday, 11:30 in Portland: the shop is open
SANDBOX = ("Zippy Express (sandbox)", "Pedal Post (sandbox)", "Metro Runners (sandbox)")


@pytest.fixture
def demo(tmp_path):
    """A demo store and the sandbox couriers running, registered as `controltower --demo` does (DemoSync.start)."""
    with time_machine.travel(NOW, tick=True):  # Qt's timers and the sandbox need time to pass
        generate(tmp_path / "demo.db", seed=7, now=NOW, orders_today=30, history_days=2)
        network = SandboxNetwork(speed=10)
        register_sandbox(network.start())
        db = Database(tmp_path / "demo.db")
        try:
            yield db
        finally:
            QThreadPool.globalInstance().waitForDone(30_000)  # nothing may touch the store after it closes
            unregister_sandbox()
            network.stop()
            db.close()


@pytest.fixture
def dispatch(qtbot, demo):
    view = DispatchView(DispatchService(demo))
    qtbot.addWidget(view)
    view.resize(1400, 700)
    view.show()
    yield view
    view.cancel_background()


def texts(table, header: str) -> list[str]:
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return [table.item(r, headers.index(header)).text() for r in range(table.rowCount())]


def test_dispatch_tab_lists_the_orders_with_a_recommended_way(qtbot, dispatch):
    with qtbot.waitSignal(dispatch.planReady, timeout=60_000):
        dispatch.refresh()
    orders = texts(dispatch.table, "Order")
    assert orders and all(ref.startswith("#1125-") for ref in orders)
    assert dispatch.tabs.tabText(0) == f"Awaiting a decision ({len(orders)})"
    recommended = texts(dispatch.table, "Recommended")
    assert all(recommended) and "…" not in recommended, recommended
    assert dispatch.status.text().startswith(f"{len(orders)} orders awaiting a decision · day total $")


def test_compare_ways_to_send_shows_the_sandbox_couriers_prices(qtbot, dispatch):
    dispatch.refresh()  # the user picks an order before the day's plan is in: the panel asks the carriers itself
    delivery = next(r for r, order in enumerate(dispatch.orders) if order.delivery_option.value != "pickup")
    with qtbot.waitSignal(dispatch.comparisonShown, timeout=60_000):
        dispatch.table.selectRow(delivery)
    panel = dispatch.panel
    prices = dict(zip((way.removeprefix("✓ ") for way in texts(panel.table, "Way")), texts(panel.table, "Price")))
    notes = dict(zip((way.removeprefix("✓ ") for way in texts(panel.table, "Way")), texts(panel.table, "Notes")))
    for courier in SANDBOX:
        assert prices[courier].startswith("$") and prices[courier] != "$0.00", (courier, prices, notes)
    assert panel.reason.text().startswith("Recommended: ")


def test_a_comparison_that_fails_says_why_instead_of_asking_for_ever(qtbot, demo):
    def locked_keychain():
        raise SecretStoreError("could not read the api_key for easypost from the system keychain: locked")

    view = DispatchView(DispatchService(demo, adapters=locked_keychain))
    qtbot.addWidget(view)
    view.show()
    view.refresh()
    delivery = next(r for r, order in enumerate(view.orders) if order.delivery_option.value != "pickup")
    view.table.selectRow(delivery)
    assert view.panel.reason.text() == "Asking the carriers…"
    qtbot.waitUntil(lambda: view.panel.reason.text() != "Asking the carriers…", timeout=30_000)
    assert view.panel.reason.text() == ("Could not compare: could not read the api_key for easypost from the "
                                        "system keychain: locked")
    view.cancel_background()


def test_carrier_accounts_lists_the_sandbox_couriers_and_reaches_them(qtbot, demo):
    dialog = CarrierSettingsDialog(None, AccountsService(demo))
    qtbot.addWidget(dialog)
    dialog.show()
    listed = [dialog.carriers.item(r).text() for r in range(dialog.carriers.count())]
    assert set(SANDBOX) <= set(listed) and "EasyPost" in listed
    dialog.select("sandbox:pedal")
    assert dialog.heading.text() == "Pedal Post (sandbox)" and dialog.enabled.isChecked()
    with qtbot.waitSignal(dialog.tested, timeout=20_000) as signal:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["sandbox:pedal", True] and dialog.result.text().startswith("✓"), dialog.result.text()


def test_ask_couriers_in_a_new_order_brings_their_offers(qtbot, demo):
    dialog = NewOrderDialog(DispatchService(demo), clock=lambda: NOW)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.customer.setText("Ana Lima")
    dialog.street.setText("12600 SW Crescent St")  # Beaverton: 13 km out, past the vans' 8 km zone
    dialog.postcode.setText("97005")
    dialog.position.setText("45.4871, -122.8037")
    dialog.update_options()
    same_day = [dialog.options.item(r).text() for r in range(dialog.options.count()) if "Same-day" in dialog.options.item(r).text()]
    assert same_day == ["Same-day — $9.99 (outside our delivery zones and no courier can take it today)"], same_day
    qtbot.mouseClick(dialog.ask_couriers, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.ask_couriers.text().startswith("Ask couriers again"), timeout=30_000)
    assert dialog.ask_couriers.text() == "Ask couriers again (3 quotes)", dialog.problem.text()
    same_day = [dialog.options.item(r).text() for r in range(dialog.options.count()) if "Same-day" in dialog.options.item(r).text()]
    assert len(same_day) == 1 and "(by courier (sandbox:" in same_day[0] and dialog.problem.text() == "", same_day
