"""Unhandled exceptions: a plain dialog with 'Copy report' instead of a silent exit."""
from __future__ import annotations

import logging
import platform
import sys
import traceback

from PySide6.QtWidgets import QApplication, QMessageBox

from .. import __version__
from ..logs import scrub

log = logging.getLogger(__name__)


def crash_report(exc_type, exc, tb) -> str:
    """Traceback and versions; customer data (emails, phones) and secrets are masked."""
    import PySide6

    lines = traceback.format_exception(exc_type, exc, tb)
    header = (f"Control Tower {__version__}\nPython {platform.python_version()} on {platform.platform()}\n"
              f"PySide6 {PySide6.__version__}\n\n")
    return scrub(header + "".join(lines))


class CrashDialog(QMessageBox):
    def __init__(self, report: str, parent=None) -> None:
        super().__init__(parent)
        self.report = report
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle("Control Tower hit a problem")
        self.setText("Something went wrong inside Control Tower. Your data is safe: everything saved before this is kept.\n\n"
                     "If it happens again, press “Copy report” and send it to your support contact.")
        self.setDetailedText(report)
        self.copy_button = self.addButton("Copy report", QMessageBox.ButtonRole.ActionRole)
        self.copy_button.clicked.disconnect()
        self.copy_button.clicked.connect(self.copy_report)
        self.addButton(QMessageBox.StandardButton.Close)

    def copy_report(self) -> None:
        QApplication.clipboard().setText(self.report)


_open_dialogs: list[CrashDialog] = []


def install_excepthook() -> None:
    """Route unhandled exceptions (including those raised in Qt slots) to the log and the crash dialog."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            return previous(exc_type, exc, tb)
        report = crash_report(exc_type, exc, tb)
        log.error("unhandled exception\n%s", report)
        if QApplication.instance() is None:
            return previous(exc_type, exc, tb)
        dialog = CrashDialog(report)
        _open_dialogs.append(dialog)
        dialog.finished.connect(lambda *_: _open_dialogs.remove(dialog) if dialog in _open_dialogs else None)
        dialog.open()  # never exec(): the qasync loop keeps running

    sys.excepthook = hook
