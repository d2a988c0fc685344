"""The Export menu's actions: ask for a file, write it in a worker with progress in the status bar, then say how it went."""
from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QProgressBar, QPushButton

from ...kernel.errors import UserFacingError
from ...services.exports import ExportCancelled
from ...services.exports import ExportService
from ..tasks import run_in_thread

log = logging.getLogger(__name__)

FILTERS = "Excel workbook (*.xlsx);;CSV, comma-separated (*.csv)"
# What each menu entry exports: (data name, menu text, the word for its rows).
KINDS = (("orders", "&Orders…", "orders"), ("shipments", "&Shipments…", "shipments"), ("routes", "&Routes…", "route stops"),
         ("exceptions", "&Exceptions…", "exception cases"), ("kpis", "&KPIs…", "KPIs"))


class _Progress(QObject):
    """Emitted from the worker; Qt queues it to the UI thread."""

    total = Signal(int)
    rows = Signal(int)


class ExportActions(QObject):
    """`ExportActions(window, export_service, kpi_panel)`; `actions()` gives the Export menu's entries.

    KPIs are exported for the period the KPI panel shows, with the panel's own service (the same numbers)."""

    finished = Signal(str)  # the message shown when a file was written
    failed = Signal(str)  # the message shown when it was not
    cancelled = Signal(str)  # the status bar note when the user stopped it

    def __init__(self, window: QMainWindow, service: ExportService, kpi_panel=None) -> None:
        super().__init__(window)
        self.window, self.service, self.kpi_panel = window, service, kpi_panel
        self.message: QMessageBox | None = None  # the last result shown, kept so it is not collected while open
        self.stops: list[threading.Event] = []  # one per running export; set() stops it at its next few thousand rows
        QCoreApplication.instance().aboutToQuit.connect(self.cancel_all)  # no half-written file left at exit

    def actions(self) -> list[tuple]:
        """(text, slot, shortcut, tip) per entry, for the main window's File > Export menu."""
        return [(text, (lambda _checked=False, w=what: self.export(w)), None, f"Write {noun} to a CSV or Excel file")
                for what, text, noun in KINDS if what != "kpis" or self.kpi_panel is not None]

    def export(self, what: str) -> None:
        """Ask where to write `what`, then write it in a worker."""
        path = self._ask_path(what)
        if path is not None:
            self.start(what, path)

    def start(self, what: str, path: Path) -> None:
        noun = dict((w, n) for w, _, n in KINDS)[what]
        bar = QProgressBar(maximumWidth=160, maximum=0, textVisible=False)  # busy until the row count is known
        stop = threading.Event()
        cancel = QPushButton("Cancel export", toolTip=f"Stop writing {path.name}; nothing is left behind")
        cancel.clicked.connect(stop.set)
        widgets = (bar, cancel) if what != "kpis" else (bar,)  # KPIs take a moment: nothing to stop
        for widget in widgets:
            self.window.statusBar().addPermanentWidget(widget)
        self.window.statusBar().showMessage(f"Exporting {noun} to {path.name}…")
        progress = _Progress(self)
        progress.total.connect(lambda total: bar.setMaximum(max(total, 1)))
        progress.rows.connect(bar.setValue)
        self.stops.append(stop)

        def finish() -> None:
            self.stops.remove(stop)
            for widget in widgets:
                self.window.statusBar().removeWidget(widget)
                widget.deleteLater()
            progress.deleteLater()
            self.window.statusBar().clearMessage()

        def done(summary: str) -> None:
            finish()
            self._show(QMessageBox.Icon.Information, "Export finished", summary)
            self.finished.emit(summary)

        def failed(exc: BaseException) -> None:
            finish()
            if isinstance(exc, ExportCancelled):
                note = f"Export of {noun} cancelled; {path.name} was not written."
                self.window.statusBar().showMessage(note, 10_000)
                self.cancelled.emit(note)
                return
            text = f"{noun.capitalize()} could not be exported. {_plain(exc)}"
            self._show(QMessageBox.Icon.Warning, "Export failed", text)
            self.failed.emit(text)

        run_in_thread(self._work(what, path, noun, progress, stop), done, failed)

    def cancel_all(self) -> None:
        for stop in self.stops:
            stop.set()

    def _work(self, what: str, path: Path, noun: str, progress: _Progress, stop: threading.Event) -> Callable[[], str]:
        """The job for a worker thread (the service reads with the worker's own connection, never the UI thread's)."""
        exports = self.service
        if what == "kpis":
            kpis, period = self.kpi_panel.service, self.kpi_panel.period()

            def write_kpis() -> str:
                label = period.label[:1].lower() + period.label[1:]  # "last 7 days", "today", "01 Nov to 14 Nov"
                return exports.write_kpis(kpis, period, path).summary() + f" ({label})."
            return write_kpis

        def report(rows: int) -> None:
            if stop.is_set():
                raise ExportCancelled()
            progress.rows.emit(rows)

        def rows() -> str:
            progress.total.emit(exports.count(what))
            count = exports.write(what, path, progress=report)
            return f"{count:,} {noun} written to {path}."
        return rows

    def _ask_path(self, what: str) -> Path | None:
        settings = QSettings()
        folder = settings.value("exports/folder", str(Path.home()), str)
        suggested = str(Path(folder) / f"{what}-{date.today().isoformat()}.xlsx")
        chosen, chosen_filter = QFileDialog.getSaveFileName(self.window, f"Export {what}", suggested, FILTERS)
        if not chosen:
            return None
        path = Path(chosen)
        if not path.suffix:  # no extension typed: the one of the filter picked
            path = path.with_suffix(".csv" if "*.csv" in (chosen_filter or "") else ".xlsx")
        settings.setValue("exports/folder", str(path.parent))
        return path

    def _show(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        # open(), not exec(): a result must not start a nested event loop (qasync).
        self.message = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.window)
        self.message.open()


def _plain(exc: BaseException) -> str:
    """What went wrong in words; the traceback goes to the log, never to the user."""
    log.error("export failed: %s", getattr(exc, "__traceback_text__", repr(exc)))
    if isinstance(exc, UserFacingError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ") + "."
    return f"Something went wrong ({type(exc).__name__}: {exc}). The details are in the log."
