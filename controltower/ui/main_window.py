"""The main window: lays out the control tower's areas as docks and restores them where the user left them."""
from __future__ import annotations

import html

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from .. import __version__
from .areas import build_areas
from .context import AppContext
from .store_alerts import StoreAlerts


class MainWindow(QMainWindow):
    """Map in the centre; KPIs on top; exceptions on the right; orders, routes and dispatch below."""

    ready = Signal()
    closing = Signal()  # the user closed the window: the app stops its background work and exits

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.setWindowTitle(f"Control Tower — {context.core.shop_name()}"
                            + (" (demo)" if context.demo else ""))
        self.areas = build_areas(self, context)
        self.setCentralWidget(self.areas.map)
        self.docks: dict[str, QDockWidget] = {}
        self._dock("kpis", "Today at a glance", self.areas.kpis, Qt.DockWidgetArea.TopDockWidgetArea)
        self._dock("exceptions", "Needs attention", self.areas.exceptions, Qt.DockWidgetArea.RightDockWidgetArea)
        self.work_tabs = QTabWidget()
        self.work_tabs.setDocumentMode(True)
        self.work_tabs.addTab(self.areas.orders, "Orders")
        self.work_tabs.addTab(self.areas.routes, "Routes")
        self.work_tabs.addTab(self.areas.dispatch, "Dispatch")
        self.work_tabs.addTab(self.areas.kpis.tables, "Scorecard")
        self.work_tabs.addTab(self.areas.outbox, "Carrier queue")
        self.work_tabs.addTab(self.areas.forecast, "Forecast")
        self._dock("work", "Orders · Routes · Dispatch · Scorecard", self.work_tabs, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._build_menus()
        self._build_status_bar()
        self._restore()
        self.areas.connect()

    # -- layout ---------------------------------------------------------------------------------------------------
    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[name] = dock

    def fit_screen(self, screen_size: QSize | None = None) -> None:
        """1600x1000, or less on a smaller screen: a laptop's 1280x800 shows everything, with KPI cards compact."""
        if screen_size is None:
            screen = self.screen() or QApplication.primaryScreen()
            offscreen = QApplication.platformName() == "offscreen"  # its screen is a nominal 800x800: not a real one
            screen_size = screen.availableGeometry().size() if screen and not offscreen else QSize(1600, 1000)
        self._screen_size = screen_size
        # The frame (title bar, borders) takes screen room too: known once shown, and fitted again then (showEvent).
        frame = self.frameGeometry().size() - self.geometry().size() if self.isVisible() else QSize(0, 0)
        self.resize(min(1600, screen_size.width()) - frame.width(), min(1000, screen_size.height()) - frame.height())
        short = self.height() < 900
        self.areas.kpis.set_compact(short)
        if short and self.docks["kpis"] not in self.tabifiedDockWidgets(self.docks["work"]):
            # the KPIs share the bottom with the work tabs: "Needs attention" needs the height (one row before)
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.docks["kpis"])
            self.tabifyDockWidget(self.docks["work"], self.docks["kpis"])
            self.docks["kpis"].raise_()
        self._size_docks()

    def _size_docks(self) -> None:
        width, height = self.width(), self.height()
        # Between the KPIs and the work tabs "Needs attention" had room for one row at 1280x800 (three at 1600x1000);
        # under the KPI cards of a tall screen the work tabs give up a little more, for eight rows.
        share = 0.36 if self.areas.kpis.compact else 0.32
        self.resizeDocks([self.docks["work"]], [int(height * share)], Qt.Orientation.Vertical)
        if not self.areas.kpis.compact:
            self.resizeDocks([self.docks["kpis"]], [220], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["exceptions"]], [int(width * 0.55)], Qt.Orientation.Horizontal)

    def _restore(self) -> None:
        self.fit_screen(None)
        self._fit_when_shown = True
        settings = QSettings()
        if not self.context.demo or settings.value("restore_in_demo", False, bool):
            geometry, state = settings.value("window/geometry"), settings.value("window/state")
            if geometry is not None:
                self._fit_when_shown = False  # where the user left it
                self.restoreGeometry(geometry)
            if state is not None:
                self.restoreState(state)

    def showEvent(self, event) -> None:
        """Shown for the first time: fitted again with the frame the window manager drew (at 1280x800 the window
        with its title bar grew past the screen)."""
        super().showEvent(event)
        if self._fit_when_shown:
            self._fit_when_shown = False
            QTimer.singleShot(0, self, lambda: self.fit_screen(self._screen_size))

    def closeEvent(self, event) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.areas.shutdown()
        super().closeEvent(event)
        self.closing.emit()

    # -- menus ------------------------------------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for text, slot, shortcut, tip in self.areas.file_actions():
            self._action(file_menu, text, slot, shortcut, tip)
        self._action(file_menu, "Save a &copy…", self.areas.backups.save_copy, None,
                     "Save the whole store as one file, readable by you only")
        export_menu = file_menu.addMenu("&Export")
        for text, slot, shortcut, tip in self.areas.export_actions():
            self._action(export_menu, text, slot, shortcut, tip)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit_menu = bar.addMenu("&Edit")
        self._action(edit_menu, "&Find order…", self._focus_search, QKeySequence.StandardKey.Find, "Search orders")
        for text, slot, shortcut, tip in self.areas.edit_actions():
            self._action(edit_menu, text, slot, shortcut, tip)
        view_menu = bar.addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        self._action(view_menu, "&Refresh", self.areas.refresh, QKeySequence.StandardKey.Refresh)
        map_menu = bar.addMenu("&Map")
        for text, slot, shortcut, tip in self.areas.map_actions.actions():
            self._action(map_menu, text, slot, shortcut, tip)
        help_menu = bar.addMenu("&Help")
        for text, slot, shortcut, tip in self.areas.help_actions():
            self._action(help_menu, text, slot, shortcut, tip)
        self._action(help_menu, "&About Control Tower", self._about)

    def _focus_search(self) -> None:
        self.docks["work"].show()
        self.work_tabs.setCurrentWidget(self.areas.orders)
        self.areas.orders.search.setFocus()
        self.areas.orders.search.selectAll()

    def _about(self) -> None:
        QMessageBox.about(self, "About Control Tower",
                          f"<b>Control Tower</b> {__version__}<br>Plans, books, tracks and fixes your deliveries, "
                          "on this computer.<br>Store: " + html.escape(str(self.context.core.store_path)))

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.db_label = QLabel(f"Store: {self.context.core.store_path}" + ("  ·  demo data" if self.context.demo else ""))
        bar.addWidget(self.db_label)
        for widget in self.areas.status_widgets():
            bar.addPermanentWidget(widget)
        self.store_alerts = StoreAlerts(self, self.context.core.hub, self.context.core.backups,
                                        self.context.core.restore_at_exit)

    # -- screenshot mode --------------------------------------------------------------------------------------------
    def when_area_ready(self, name: str, callback, timeout_ms: int = 600_000) -> None:
        """Screenshot of one work area ('forecast'): its tab floats at 1500x1000 and `callback(ok, widget)` runs once
        the area shows its data (a fresh demo's forecast is made by the app's job first), or after the timeout."""
        area = getattr(self.areas, name)
        dock = self.docks["work"]
        self.work_tabs.setCurrentWidget(area)
        dock.setFloating(True)
        dock.resize(1500, 1000)
        fired = []

        def fire(ok: bool) -> None:
            if not fired:
                fired.append(ok)
                QTimer.singleShot(500, self, lambda: callback(ok, dock))

        def built(widget) -> None:
            widget.loaded.connect(lambda: widget.has_data() and fire(True))

        if area.widget is not None:
            built(area.widget)
        else:
            area.built.connect(built)
        QTimer.singleShot(timeout_ms, self, lambda: fire(False))  # never after the window is gone

    def when_ready(self, callback, timeout_ms: int = 30_000) -> None:
        """Call back once every area has finished loading (web views included), or after the timeout."""
        pending = set(self.areas.loading())
        fired = False

        def fire(ok: bool) -> None:
            nonlocal fired
            if not fired:
                fired = True
                QTimer.singleShot(300, self, lambda: callback(ok))

        def one_ready(name: str) -> None:
            pending.discard(name)
            if not pending:
                fire(True)

        for name, signal in self.areas.loading().items():
            signal.connect(lambda *_, n=name: one_ready(n))
        if not pending:
            fire(True)
        QTimer.singleShot(timeout_ms, self, lambda: fire(False))  # never after the window is gone
