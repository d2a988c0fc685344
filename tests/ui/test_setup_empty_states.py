"""An empty real store leads: each area says what it will show and its buttons open the step that fills it."""
from __future__ import annotations

from datetime import datetime, timezone

import time_machine
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from controltower.services.setup import VanDetails
from controltower.ui.context import AppContext
from controltower.ui.dispatch import NewOrderDialog
from controltower.ui.imports import ImportWizard
from controltower.ui.main_window import MainWindow
from controltower.ui.settings import CarrierSettingsDialog
from controltower.ui.settings.shops import ShopsDialog
from controltower.ui.setup import SettingsWindow


def open_empty_store(qtbot, store) -> MainWindow:
    window = MainWindow(AppContext(db=store, offline=True))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: getattr(window.areas, "setup_wizard", None) is not None, timeout=5_000)
    window.areas.setup_wizard.reject()  # this test is about the areas behind it
    return window


def opened(kind):
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def press(qtbot, state, text: str) -> None:
    qtbot.mouseClick(state.buttons[text], Qt.MouseButton.LeftButton)


def test_no_orders_offers_import_connect_and_new_order_and_each_opens_its_dialog(qtbot, store):
    with time_machine.travel(datetime(2026, 3, 2, 16, 45, tzinfo=timezone.utc), tick=True):
        window = open_empty_store(qtbot, store)
        state = window.areas.empty_states.orders
        assert state.isVisible() and "No orders yet" in state.title.text()
        assert "will be listed here" in state.explanation.text()
        assert list(state.buttons) == ["Import a file…", "Connect your shop…", "New order…"]
        for text, kind in (("Import a file…", ImportWizard), ("Connect your shop…", ShopsDialog),
                           ("New order…", NewOrderDialog)):
            press(qtbot, state, text)
            qtbot.waitUntil(lambda: len(opened(kind)) == 1, timeout=10_000)
            opened(kind)[0].reject()
        window.close()


def test_no_vans_offers_add_a_van_which_opens_the_vans_page_and_a_van_clears_it(qtbot, store):
    window = open_empty_store(qtbot, store)
    window.work_tabs.setCurrentWidget(window.areas.routes)
    state = window.areas.empty_states.routes
    qtbot.waitUntil(state.isVisible)
    assert "No vans yet" in state.title.text() and "route for the day" in state.explanation.text()
    press(qtbot, state, "Add a van…")
    qtbot.waitUntil(lambda: len(opened(SettingsWindow)) == 1)
    settings = opened(SettingsWindow)[0]
    assert settings.stack.currentWidget() is settings.pages["vans"]
    settings.reject()
    window.context.core.setup.save_van(VanDetails("Van 1"))
    qtbot.waitUntil(lambda: not state.isVisible())
    window.close()


def test_no_carrier_offers_connect_a_carrier_which_opens_carrier_accounts(qtbot, store):
    window = open_empty_store(qtbot, store)
    window.work_tabs.setCurrentWidget(window.areas.dispatch)
    state = window.areas.empty_states.dispatch
    qtbot.waitUntil(state.isVisible)
    assert "No carrier connected" in state.title.text() and "compares their prices" in state.explanation.text()
    press(qtbot, state, "Connect a carrier…")
    qtbot.waitUntil(lambda: len(opened(CarrierSettingsDialog)) == 1)
    opened(CarrierSettingsDialog)[0].reject()
    window.close()
