"""An area that is not built yet says plainly what will appear there."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class Placeholder(QWidget):
    def __init__(self, title: str, what: str, parent=None) -> None:
        super().__init__(parent)
        label = QLabel(f"<h3 style='color:#555'>{title}</h3><p style='color:#777'>{what}</p>")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
