"""Every menu action and every enabled button of the demo window, pressed once: none raises, shows an error or logs one.

Dialogs that open (with open() or exec(), message boxes included) have their own buttons pressed, then are closed
with Cancel; file pickers answer "cancelled". A Critical or Warning message box counts as an error."""
from __future__ import annotations

import logging
import time

import pytest
from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QApplication, QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QInputDialog,
    QLabel, QListView, QMessageBox, QPushButton, QRadioButton, QToolButton, QWidget,
)

from controltower.demo.sandbox.adapters import register_sandbox, unregister_sandbox
from controltower.services.core import ControlTower
from controltower.ui.context import AppContext
from controltower.ui.main_window import MainWindow

# Not pressed, and why: each would end the run or replace the store under the test.
SKIPPED_ACTIONS = {
    "Quit": "closes the window and ends the app",
    "Restore…": "replaces the store with a backup",
}
SKIPPED_BUTTONS = {
    "Close": "closes the dialog under test (it is closed with Cancel afterwards)",
}
# Pressed, then waited for (at most LONG_WAIT_S) until the area is idle again: solves and comparisons.
LONG_RUNNING = ("optimise", "optimize", "plan", "solve", "compare", "dispatch the day", "check now", "ask couriers")
LONG_WAIT_S = 20.0
# Work in flight says so on screen ("Asking couriers…", "Asking the carriers…"): waited for before looking at the answer.
BUSY_PREFIXES = ("Asking",)
# An answer that is an error shown in place rather than in a message box ("Could not compare: …").
ERROR_WORDS = ("could not", "has no attribute", "traceback")
# Not errors here: the test's couriers are at an address nothing answers, so a connection test says so.
EXPECTED_OFFLINE = ("could not reach",)


class Watcher:
    """What the actions left on screen: new top-level windows, and message boxes by icon."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.opened: list[str] = []

    def message(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        self.opened.append(f"message: {title}")
        if icon in (QMessageBox.Icon.Critical, QMessageBox.Icon.Warning):
            self.errors.append(f"{title}: {text}")


def _visible_texts(scope: QWidget | None = None, labels_only: bool = False) -> list[str]:
    """The visible labels' (and buttons') texts under `scope`, else in every window."""
    kinds = (QLabel,) if labels_only else (QLabel, QPushButton)
    tops = [scope] if scope is not None else [top for top in QApplication.topLevelWidgets() if top.isVisible()]
    return [widget.text() for top in tops for kind in kinds for widget in top.findChildren(kind)
            if widget.isVisible() and widget.text()]


def _text(widget: QAbstractButton) -> str:
    return (widget.text() or widget.toolTip() or widget.objectName()).replace("&", "")


@pytest.fixture
def demo_window(qtbot, tmp_path, monkeypatch):
    watcher = Watcher()

    def static_box(icon):
        def show(parent, title, text, *args, **kwargs):
            watcher.message(icon, title, text)
            return QMessageBox.StandardButton.Cancel if icon == QMessageBox.Icon.Question else QMessageBox.StandardButton.Ok
        return show

    for name, icon in (("critical", QMessageBox.Icon.Critical), ("warning", QMessageBox.Icon.Warning),
                       ("information", QMessageBox.Icon.Information), ("question", QMessageBox.Icon.Question)):
        monkeypatch.setattr(QMessageBox, name, staticmethod(static_box(icon)))
    monkeypatch.setattr(QMessageBox, "about", staticmethod(lambda *a: watcher.opened.append("about")))
    for name in ("getSaveFileName", "getOpenFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    for name in ("getText", "getItem", "getInt", "getDouble"):
        monkeypatch.setattr(QInputDialog, name, staticmethod(lambda *a, **k: (None, False)))
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: watcher.opened.append(url.toString())))

    # The demo's couriers registered as the running sandbox registers them (the accounts list reads them), at an
    # address nothing answers: the test needs no network.
    register_sandbox("http://127.0.0.1:9")
    core = ControlTower.open(tmp_path / "demo.db", demo=True, offline=True)
    window = MainWindow(AppContext(core=core))
    qtbot.addWidget(window)
    window.fit_screen(QSize(1280, 800))
    window.show()
    with qtbot.waitSignal(window.areas.mapLoaded, timeout=30_000):
        pass
    yield window, watcher
    window.close()
    core.close()
    unregister_sandbox()


class Presser:
    """Presses buttons and closes what they open, recording both."""

    def __init__(self, qtbot, window: MainWindow, watcher: Watcher) -> None:
        self.qtbot, self.window, self.watcher = qtbot, window, watcher
        self.pressed: list[str] = []
        self.skipped: list[str] = []
        self.scope: QWidget | None = None  # the area or dialog being pressed: its "Asking…" labels are waited for
        self.modal_timer = QTimer(interval=150)
        self.modal_timer.timeout.connect(self._close_modal)  # a dialog run with exec() would otherwise block here
        self.modal_timer.start()

    def _close_modal(self) -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QDialog) and modal is not self.window and getattr(modal, "_every_action_busy", False) is False:
            self._check_box(modal)
            modal.reject()

    def _check_box(self, widget: QWidget) -> None:
        if isinstance(widget, QMessageBox) and widget.icon() in (QMessageBox.Icon.Critical, QMessageBox.Icon.Warning):
            self.watcher.errors.append(f"{widget.windowTitle()}: {widget.text()}")

    def top_levels(self) -> set[int]:
        return {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}

    def settle(self, label: str) -> None:
        self.qtbot.wait(120)
        if any(word in label.lower() for word in LONG_RUNNING):
            deadline = time.monotonic() + LONG_WAIT_S
            while time.monotonic() < deadline and self._busy():
                self.qtbot.wait(100)

    def _busy(self) -> bool:
        routes = self.window.areas.routes.widget
        if routes is not None and getattr(routes, "busy", lambda: False)():
            return True
        scope = self.scope if self.scope is not None and self.scope.isVisible() else None
        return scope is not None and any(text.startswith(BUSY_PREFIXES) for text in _visible_texts(scope))

    def wait_idle(self) -> None:
        deadline = time.monotonic() + LONG_WAIT_S
        while time.monotonic() < deadline and self._busy():
            self.qtbot.wait(100)

    def check_shown_errors(self, label: str) -> None:
        """An error written into a label (a failed comparison, couriers that could not be asked) counts as one."""
        for text in _visible_texts(labels_only=True):
            if any(word in text.lower() for word in ERROR_WORDS) and not any(w in text.lower() for w in EXPECTED_OFFLINE):
                error = f"{label}: shows {text!r}"
                if error not in self.watcher.errors:
                    self.watcher.errors.append(error)

    def press(self, label: str, trigger, depth: int = 0) -> None:
        before = self.top_levels()
        before_widgets = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        self.pressed.append(label)
        self.modal_timer.start()  # a full interval before it looks: a dialog shown with open() is pressed, not raced
        trigger()
        if depth == 0:
            self.qtbot.wait(60)
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, QDialog) and widget.isVisible() and id(widget) not in before:
                    widget._every_action_busy = True  # pressed below, then closed here
        self.settle(label)
        self.check_shown_errors(label)
        for widget in [w for w in QApplication.topLevelWidgets() if w.isVisible() and id(w) not in before]:
            self.watcher.opened.append(f"{label} -> {widget.windowTitle() or type(widget).__name__}")
            self._check_box(widget)
            if isinstance(widget, QDialog) and not isinstance(widget, QMessageBox) and depth == 0:
                self.walk_lists(widget, f"{label} / ")
                self.press_all(widget, f"{label} / ", depth + 1)
            if widget.isVisible() and isinstance(widget, QDialog):
                widget.reject()
            elif widget.isVisible():
                widget.close()
            self.qtbot.wait(50)
        assert [w for w in before_widgets if not w.isVisible() and w is self.window] == []

    def press_all(self, area: QWidget, prefix: str, depth: int = 0) -> None:
        """Every enabled push or tool button under `area`, a row selected first in each of its tables."""
        outer, self.scope = self.scope, area
        try:
            self._press_all(area, prefix, depth)
        finally:
            self.scope = outer

    def _press_all(self, area: QWidget, prefix: str, depth: int = 0) -> None:
        self._select_first_rows(area)
        done: set[int] = set()
        while True:
            buttons = [b for b in area.findChildren(QAbstractButton)
                       if isinstance(b, (QPushButton, QToolButton)) and not isinstance(b, (QCheckBox, QRadioButton))
                       and b.isVisibleTo(area) and b.isEnabled() and id(b) not in done and _text(b)
                       and not self._in_button_box(b)]
            if not buttons:
                return
            button = buttons[0]
            done.add(id(button))
            label = prefix + _text(button)
            if _text(button) in SKIPPED_BUTTONS:
                self.skipped.append(label)
                continue
            self.press(label, button.click, depth)
            if not area.isVisible():
                return
            self._select_first_rows(area)

    def walk_lists(self, dialog: QWidget, prefix: str) -> None:
        """Each row of a dialog's lists selected in turn (each carrier account of Carrier accounts is opened)."""
        outer, self.scope = self.scope, dialog
        for view in dialog.findChildren(QListView):
            model = view.model()
            if not view.isVisibleTo(dialog) or model is None:
                continue
            for row in range(model.rowCount()):
                self.pressed.append(f"{prefix}select {model.index(row, 0).data()}")
                view.setCurrentIndex(model.index(row, 0))
                self.qtbot.wait(30)
                self.wait_idle()
                self.check_shown_errors(f"{prefix}select {model.index(row, 0).data()}")
        self.scope = outer

    def select_and_wait(self, area: QWidget, label: str) -> None:
        """A row selected (the Dispatch area compares the selected order), its answer waited for and looked at."""
        self.scope = area
        self._select_first_rows(area)
        self.qtbot.wait(120)
        self.wait_idle()
        self.check_shown_errors(label)

    @staticmethod
    def _in_button_box(button: QWidget) -> bool:
        """A dialog's OK/Cancel: the dialog is closed with Cancel by the test itself."""
        parent = button.parentWidget()
        return isinstance(parent, QDialogButtonBox)

    @staticmethod
    def _select_first_rows(area: QWidget) -> None:
        for view in area.findChildren(QAbstractItemView):
            model = view.model()
            if view.isVisibleTo(area) and model is not None and model.rowCount() and not view.selectionModel().hasSelection():
                view.setCurrentIndex(model.index(0, 0))
                view.selectionModel().select(model.index(0, 0), view.selectionModel().SelectionFlag.Select
                                             | view.selectionModel().SelectionFlag.Rows)


def test_every_action_and_button_of_the_demo_window_works(demo_window, qtbot, caplog):
    window, watcher = demo_window
    caplog.set_level(logging.ERROR)
    presser = Presser(qtbot, window, watcher)

    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            for item in (action.menu().actions() if action.menu() else [action]):
                label = f"{menu_action.text()} > {item.text()}".replace("&", "")
                if item.isSeparator() or not item.isEnabled():
                    continue
                if item.text().replace("&", "") in SKIPPED_ACTIONS:
                    presser.skipped.append(label)
                    continue
                presser.press(label, item.trigger)
                if item.isCheckable():  # View's dock toggles: put the dock back
                    presser.press(label + " (again)", item.trigger)

    areas = window.areas
    window.docks["exceptions"].show()
    presser.press_all(areas.exceptions, "Needs attention: ")
    for index in range(window.work_tabs.count()):
        window.docks["work"].show()
        window.docks["work"].raise_()
        window.work_tabs.setCurrentIndex(index)
        qtbot.wait(200)
        presser.select_and_wait(window.work_tabs.widget(index), f"{window.work_tabs.tabText(index)}: select a row")
        presser.press_all(window.work_tabs.widget(index), f"{window.work_tabs.tabText(index)}: ")
    window.docks["kpis"].raise_()
    presser.press_all(areas.kpis, "KPIs: ")
    for widget in areas.status_widgets():
        presser.press_all(widget, "Status bar: ")
    presser.modal_timer.stop()

    print("pressed:", *presser.pressed, sep="\n  ")
    print("skipped:", *presser.skipped, sep="\n  ")
    assert len(presser.pressed) > 40  # the menus, the queue's, the work tabs' and the dialogs' buttons
    assert watcher.errors == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
