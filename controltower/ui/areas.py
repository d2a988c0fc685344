"""Builds the window's areas and wires them to each other; each area lives in its own module."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QWidget

from .backup_actions import BackupActions
from .context import AppContext
from .orders import OrdersView
from .placeholder import Placeholder


class Areas(QObject):
    """The window's parts and the wiring between them (selection, refresh, menus)."""

    changed = Signal()

    def __init__(self, window: QWidget, context: AppContext) -> None:
        super().__init__(window)
        self.window, self.context = window, context
        db = context.db
        self.orders = OrdersView(db)
        self.map = Placeholder("Map", "Today's stops, routes, vans and problems on a map that works offline.")
        self.kpis = Placeholder("KPIs", "On-time rate, first-attempt rate, cost per delivery and exceptions, with trends.")
        self.exceptions = Placeholder("Exceptions", "Late, failed, stalled and address problems, with one-click fixes.")
        self.routes = Placeholder("Routes", "Each van's route with arrival times, load and what was left out, and why.")
        self.dispatch = Placeholder("Dispatch", "Own van, courier, parcel carrier or pickup, side by side with cost and promise.")
        self.sync_label = QLabel("Sync: idle")
        self.backups = BackupActions(window, db)

    def connect(self) -> None:
        """Cross-area wiring, once every area exists."""
        self.context.hub.subscribe("orders.changed", lambda _t, p: self.orders.refresh(p.get("ids")))

    def refresh(self) -> None:
        self.orders.refresh()

    def loading(self) -> dict[str, Signal]:
        """Areas still loading at start-up, by name, with the signal each emits when ready."""
        return {}

    def status_widgets(self) -> list[QWidget]:
        return [self.sync_label]

    def file_actions(self) -> list[tuple]:
        backups = self.backups
        return [
            ("Back up &now", backups.back_up_now, None, "Copy the store to the backups folder now"),
            ("&Restore…", backups.restore, None, "Replace the store with a backup (the current file is kept)"),
            ("E&xport settings…", backups.export_settings, None, "Save settings (never keys or passwords) to a file"),
            ("&Import settings…", backups.import_settings, None, "Load settings saved with Export settings"),
        ]

    def edit_actions(self) -> list[tuple]:
        return []

    def help_actions(self) -> list[tuple]:
        return [("Open &logs folder", self.open_logs_folder, None, "Show the log files to send to support")]

    def open_logs_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from ..logs import log_folder

        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def shutdown(self) -> None:
        pass


def build_areas(window: QWidget, context: AppContext) -> Areas:
    return Areas(window, context)
