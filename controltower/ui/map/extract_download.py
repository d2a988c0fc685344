"""The area dialog's third source: an extract downloaded once from an extract service, its size shown first."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QRadioButton, QVBoxLayout, QWidget

from ...kernel.errors import UserFacingError
from ..tasks import run_in_thread

EXAMPLE = "https://download.geofabrik.de/europe/finland-latest.osm.pbf"


class _Relay(QObject):
    step = Signal(int, int)  # bytes so far, total (0: not known); from the download's worker to the UI thread


class ExtractDownloadRow(QWidget):
    """'Download from an extract service: [address] [Check size]' and the download itself, cancellable."""

    progress = Signal(int, int)

    def __init__(self, extracts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.extracts = extracts
        self.choice = QRadioButton("Download once from an extract service:")
        self.url = QLineEdit()
        self.url.setPlaceholderText(EXAMPLE)
        self.check_button = QPushButton("Check size")
        self.size_label = QLabel("")
        self.size_label.setTextFormat(Qt.TextFormat.PlainText)
        self.size_label.setWordWrap(True)
        self._cancel = threading.Event()
        self._task = None
        self._relay = _Relay(self)
        self._relay.step.connect(self.progress)
        row = QHBoxLayout()
        row.addWidget(self.choice)
        row.addWidget(self.url, 1)
        row.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.size_label)
        self.check_button.clicked.connect(self.check_size)
        self.url.textEdited.connect(lambda _text: (self.choice.setChecked(True), self.size_label.setText("")))
        if extracts is None or extracts.offline:
            for widget in (self.choice, self.url, self.check_button):
                widget.setEnabled(False)
            self.size_label.setText("Not while working offline (started with --offline).")

    @property
    def available(self) -> bool:
        return self.extracts is not None and not self.extracts.offline

    def address(self) -> str:
        return self.url.text().strip()

    def check_size(self) -> None:
        """The size the service announces, asked in a worker: the user sees it before agreeing to the download."""
        url, extracts = self.address(), self.extracts
        self.size_label.setText("Asking the extract service…")

        def said(size: int | None) -> None:
            name = url.rsplit("/", 1)[-1]
            self.size_label.setText(f"{name}: {size / 1_000_000:,.1f} MB" if size is not None
                                    else f"{name}: the service does not say how big it is")

        run_in_thread(lambda: extracts.size(url), said, lambda error: self.size_label.setText(_words(error)))

    def start(self, done: Callable[[Path], None], failed: Callable[[str], None]) -> None:
        """Download in a worker; `done(path)` with the checked file, or `failed(sentence)`, on the UI thread."""
        url, extracts, relay = self.address(), self.extracts, self._relay
        self._cancel.clear()
        cancel = self._cancel

        def finished(path: Path) -> None:
            self._task = None
            done(path)

        def broke(error: BaseException) -> None:
            self._task = None
            failed(_words(error))

        self._task = run_in_thread(lambda: extracts.download(url, relay.step.emit, cancel), finished, broke)

    @property
    def running(self) -> bool:
        return self._task is not None

    def cancel(self) -> None:
        self._cancel.set()

    def set_running(self, running: bool) -> None:
        for widget in (self.choice, self.url, self.check_button):
            widget.setEnabled(self.available and not running)


def _words(error: BaseException) -> str:
    if isinstance(error, UserFacingError):
        return f"{error.message} {error.advice}".strip()
    return f"The download failed: {error}"
