"""'Keep my delivery area for offline use': size first, then a cancellable download with progress."""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ...maps.tiles import (
    MAX_AREA_TILES, OSM_NO_DOWNLOAD, Area, AreaDownload, TileFetcher, download_area, estimate_area,
)
from ..tasks import run_in_thread


class _Progress(QObject):
    step = Signal(int, int, int)  # done, total, bytes; emitted on the worker, received on the UI thread


class OfflineAreaDialog(QDialog):
    """Shows how big an area is, downloads it only if the tile source allows, and can be cancelled."""

    finished_download = Signal(object)  # the AreaDownload

    def __init__(self, fetcher: TileFetcher, area: Area, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keep this area for offline use")
        self.fetcher, self.area = fetcher, area
        self._cancel = threading.Event()
        self._task = None
        self.min_zoom = QSpinBox(minimum=3, maximum=18, value=10)
        self.max_zoom = QSpinBox(minimum=3, maximum=19, value=16)
        self.estimate = QLabel(wordWrap=True)
        self.notice = QLabel(wordWrap=True)
        self.progress = QProgressBar(visible=False)
        self.download = QPushButton("Download")
        self.cancel = QPushButton("Cancel download", enabled=False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.download, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        source = fetcher.source
        form.addRow("Tile source", QLabel(source.name if source else "none (offline)"))
        form.addRow("From zoom", self.min_zoom)
        form.addRow("To zoom (street detail)", self.max_zoom)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.estimate)
        layout.addWidget(self.notice)
        layout.addWidget(self.progress)
        layout.addWidget(buttons)
        self._relay = _Progress(self)
        self._relay.step.connect(self._show_progress)
        self.min_zoom.valueChanged.connect(self._update_estimate)
        self.max_zoom.valueChanged.connect(self._update_estimate)
        self.download.clicked.connect(self.start)
        self.cancel.clicked.connect(self._cancel.set)
        self._update_estimate()

    def _allowed(self) -> bool:
        source = self.fetcher.source
        if source is None:
            self.notice.setText("No tile source is set. Choose one in Settings first.")
            return False
        if not source.allows_offline_download:
            self.notice.setText(OSM_NO_DOWNLOAD if source.name == "OpenStreetMap"
                                else f"{source.name} does not allow saving areas for offline use.")
            return False
        return True

    def _update_estimate(self) -> None:
        low, high = self.min_zoom.value(), max(self.min_zoom.value(), self.max_zoom.value())
        found = estimate_area(self.fetcher.cache, self.area, low, high)
        self.estimate.setText(f"{found.tiles:,} tiles, {found.tiles - found.to_download:,} already saved; "
                              f"about {found.approx_megabytes:,} MB to download.")
        allowed = self._allowed()
        if allowed and found.tiles > MAX_AREA_TILES:
            self.notice.setText(f"That is more than {MAX_AREA_TILES:,} tiles: choose a smaller area or fewer zoom levels.")
            allowed = False
        elif allowed:
            self.notice.setText("")
        self.download.setEnabled(allowed and self._task is None and found.to_download > 0)

    def start(self) -> None:
        low, high = self.min_zoom.value(), max(self.min_zoom.value(), self.max_zoom.value())
        self._cancel.clear()
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.download.setEnabled(False)
        self.cancel.setEnabled(True)
        relay, cancel = self._relay, self._cancel
        self._task = run_in_thread(
            lambda: download_area(self.fetcher, self.area, low, high, progress=relay.step.emit, cancelled=cancel),
            self._done, self._failed,
        )

    def _show_progress(self, done: int, total: int, size: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)
        self.progress.setFormat(f"%v of %m tiles · {size / 1_000_000:.1f} MB")

    def _done(self, result: AreaDownload) -> None:
        self._task = None
        self.cancel.setEnabled(False)
        verb = "Stopped" if result.cancelled else "Saved"
        failed = f", {result.failed:,} not available" if result.failed else ""
        self.notice.setText(f"{verb}: {result.fetched:,} new tiles ({result.bytes_fetched / 1_000_000:.1f} MB), "
                            f"{result.already_cached:,} already saved{failed}.")
        self._update_estimate_quietly()
        self.finished_download.emit(result)

    def _failed(self, error: BaseException) -> None:
        self._task = None
        self.cancel.setEnabled(False)
        self.notice.setText(str(error))
        self._update_estimate_quietly()

    def _update_estimate_quietly(self) -> None:
        notice = self.notice.text()
        self._update_estimate()
        self.notice.setText(notice)

    def reject(self) -> None:
        self._cancel.set()  # closing stops a running download
        super().reject()
