"""Builds the window's areas and wires them to each other; each area lives in its own module."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QWidget

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
        return []

    def edit_actions(self) -> list[tuple]:
        return []

    def help_actions(self) -> list[tuple]:
        return []

    def shutdown(self) -> None:
        pass


def build_areas(window: QWidget, context: AppContext) -> Areas:
    return Areas(window, context)
