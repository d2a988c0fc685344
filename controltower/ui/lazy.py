"""An area built the first time the user looks at it, so its heavy imports stay out of start-up."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class LazyArea(QWidget):
    """Shows 'Loading…' until first shown, then builds the real widget with `factory()` and emits `built`."""

    built = Signal(object)

    def __init__(self, factory: Callable[[], QWidget], what: str, parent=None) -> None:
        super().__init__(parent)
        self.factory = factory
        self.widget: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._label = QLabel(f"Loading {what}…")
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._label)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.widget is None:
            QTimer.singleShot(0, self.build)

    def build(self) -> QWidget:
        if self.widget is None:
            self.widget = self.factory()
            self._layout.removeWidget(self._label)
            self._label.deleteLater()
            self._layout.addWidget(self.widget)
            self.built.emit(self.widget)
        return self.widget
