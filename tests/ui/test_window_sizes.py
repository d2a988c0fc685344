"""The main window on a laptop (1280x800) and a desktop (1600x1000) screen (issue 17, item 8): it fits the screen,
"Needs attention" shows enough cases to work through, and its "What happened" column is wide enough to read
(not squeezed to 'hap' by the short columns beside it)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine
from PySide6.QtCore import QSize

from controltower.demo.sandbox.adapters import register_sandbox, unregister_sandbox
from controltower.services.core import ControlTower
from controltower.ui.context import AppContext
from controltower.ui.exceptions.view import WHAT_HAPPENED
from controltower.ui.main_window import MainWindow

# The demo's day is generated around "now": a Monday noon in Helsinki, when the day has cases to show.
MONDAY_NOON = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def demo_core(tmp_path):
    register_sandbox("http://127.0.0.1:9")  # the demo's couriers, at an address nothing answers: no network
    with time_machine.travel(MONDAY_NOON, tick=True):
        core = ControlTower.open(tmp_path / "demo.db", demo=True, offline=True, demo_city="helsinki")  # as the app opens it
        yield core
        core.close()
    unregister_sandbox()


@pytest.mark.parametrize("screen, least_rows", [(QSize(1280, 800), 6), (QSize(1600, 1000), 8)])
def test_the_window_fits_and_needs_attention_is_readable(qtbot, demo_core, screen, least_rows):
    window = MainWindow(AppContext(core=demo_core))
    qtbot.addWidget(window)
    window.fit_screen(screen)
    window.show()  # fitted again once shown, with the frame the window manager drew
    queue = window.areas.exceptions
    qtbot.waitUntil(lambda: queue.model.rowCount() > 0, timeout=30_000)  # how many fit does not depend on how many
    qtbot.waitUntil(lambda: window.frameGeometry().width() <= screen.width(), timeout=5_000)

    frame = window.frameGeometry()
    assert frame.width() <= screen.width() and frame.height() <= screen.height(), frame
    assert window.minimumSizeHint().width() <= screen.width() and window.minimumSizeHint().height() <= screen.height()

    table = queue.table
    rows_shown = table.viewport().height() // table.verticalHeader().defaultSectionSize()
    assert rows_shown >= least_rows, f"Needs attention shows {rows_shown} rows at {screen.width()}x{screen.height()}"
    what_width = table.columnWidth(WHAT_HAPPENED)
    readable = table.fontMetrics().horizontalAdvance("Arrives after its promise (18:00): likely")
    assert what_width >= readable, f"'What happened' is {what_width} px wide, {readable} px needed"
    assert not table.isColumnHidden(WHAT_HAPPENED)
    window.close()
