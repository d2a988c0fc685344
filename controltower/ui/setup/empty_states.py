"""Empty states that lead: an area with nothing to show says what it will show and offers the step that fills it."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyState(QWidget):
    """Covers its area while `is_empty()` holds: a title, what the area will show, and buttons for the first step."""

    def __init__(self, area: QWidget, title: str, explanation: str, actions: list[tuple[str, Callable[[], object]]],
                 is_empty: Callable[[], bool]) -> None:
        super().__init__(area)
        self.area, self.is_empty = area, is_empty
        self.setAutoFillBackground(True)
        self.setObjectName("empty-state")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel(f"<h2>{title}</h2>")
        self.explanation = QLabel(explanation)
        self.explanation.setWordWrap(True)
        self.explanation.setFixedWidth(560)
        self.explanation.setMinimumHeight(self.explanation.heightForWidth(560))  # centred layouts would squash it
        for label in (self.title, self.explanation):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
        row = QHBoxLayout()
        row.addStretch(1)
        self.buttons: dict[str, QPushButton] = {}
        for text, slot in actions:
            button = QPushButton(text)
            button.clicked.connect(lambda _checked=False, s=slot: s())
            row.addWidget(button)
            self.buttons[text] = button
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        area.installEventFilter(self)
        self.setGeometry(area.rect())
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.area and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.area.rect())
        elif watched is self.area and event.type() == QEvent.Type.Show:
            self.refresh()
        elif watched is self.area and event.type() == QEvent.Type.ChildAdded and self.isVisible():
            self.raise_()  # a lazy area's real widget arrives later: stay on top of it
        return False

    def refresh(self) -> None:
        empty = self.is_empty()
        self.setVisible(empty)
        if empty:
            self.raise_()


class _Relay(QObject):
    changed = Signal()  # hub events come on any thread; the refresh runs on the UI thread


class EmptyStates(QObject):
    """The Orders, Routes and Dispatch areas' empty states, refreshed from one count (SetupService.progress)."""

    def __init__(self, areas, open_settings: Callable[[str], object]) -> None:
        super().__init__(areas)
        setup = areas.context.core.setup
        self._progress = setup.progress()
        self.orders = EmptyState(
            areas.orders, "No orders yet",
            "Your orders will be listed here — where each is going, what was promised and how it is travelling — "
            "and drawn on the map. Bring them in from a file, connect your online shop, or type one in.",
            [("Import a file…", areas.import_orders), ("Connect your shop…", areas.shop_settings),
             ("New order…", areas.new_order)],
            lambda: self._progress.orders == 0)
        self.routes = EmptyState(
            areas.routes, "No vans yet",
            "Once you have a van, this is where its route for the day is planned, stop by stop, with a plain reason "
            "for any order that could not fit.",
            [("Add a van…", lambda: open_settings("vans"))], lambda: self._progress.vans == 0)
        self.dispatch = EmptyState(
            areas.dispatch, "No carrier connected",
            "Connect a parcel carrier or an on-demand courier and this area compares their prices with your own van "
            "for every order, and books the one you choose.",
            [("Connect a carrier…", areas.carrier_settings)], lambda: self._progress.carriers == 0)
        self._setup = setup
        self._relay = _Relay(self)
        self._relay.changed.connect(self.refresh)
        for topic in ("orders.changed", "routes.changed", "settings.changed", "accounts.changed"):
            areas.context.hub.subscribe(topic, lambda _topic, _payload: self._relay.changed.emit())

    def states(self) -> list[EmptyState]:
        return [self.orders, self.routes, self.dispatch]

    def refresh(self) -> None:
        self._progress = self._setup.progress()
        for state in self.states():
            state.refresh()
