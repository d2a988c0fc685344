"""Shown instead of the main window when the store can't be opened: what is wrong in plain words and, for a damaged
store, the newest good backup with what it holds, to restore in one click (the damaged file is kept aside)."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from ..services.backups import BackupInfo
from ..services.recovery import Recovery, StoreDamaged


def describe_backup(info: BackupInfo) -> str:
    """What a backup holds, for the restore dialogs: when it was taken, orders, the last order, schema version."""
    lines = [info.path.name]
    if info.taken_at is not None:
        lines.append(f"Taken {info.taken_at.astimezone():%A %d %B %Y, %H:%M}")
    last = _local(info.last_order_at)
    lines.append(f"{info.orders:,} orders" + (f", the last one placed {last}" if last else ""))
    lines.append(f"Store version {info.schema_version}")
    return "\n".join(lines)


def _local(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return f"{datetime.fromisoformat(iso).astimezone():%d %B %Y, %H:%M}"
    except ValueError:
        return iso


def _plain(text: str, *, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # paths and SQLite's words are never read as rich text
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


class StoreProblemDialog(QDialog):
    """Accepted once the newest good backup has been restored (the app then opens it); rejected to quit."""

    def __init__(self, recovery: Recovery, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recovery, self.kept_aside = recovery, None
        self.setWindowTitle(f"Control Tower — {recovery.title}")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(_plain(recovery.title, bold=True))
        layout.addWidget(_plain(recovery.problem.message))
        if recovery.problem.advice:
            layout.addWidget(_plain(recovery.problem.advice))
        self.backup = recovery.newest_good_backup()
        buttons = QDialogButtonBox()
        self.restore_button: QPushButton | None = None
        if self.backup is not None:
            layout.addWidget(_plain("The newest good backup:", bold=True))
            layout.addWidget(_plain(describe_backup(self.backup)))
            layout.addWidget(_plain("Restoring it keeps the damaged file beside it, renamed, untouched."))
            self.restore_button = buttons.addButton("Restore this backup", QDialogButtonBox.ButtonRole.AcceptRole)
            self.restore_button.clicked.connect(self._restore)
        elif isinstance(recovery.problem, StoreDamaged):
            layout.addWidget(_plain("No good backup was found beside the store, so there is nothing to restore here."))
        quit_button = buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.clicked.connect(self.reject)
        layout.addWidget(buttons)

    def _restore(self) -> None:
        try:
            self.kept_aside = self.recovery.restore(self.backup)
        except Exception as exc:  # said in the window; the damaged store is still where it was
            QMessageBox.warning(self, "The backup was not restored", str(exc))
            return
        self.accept()


def ask_to_recover(recovery: Recovery, parent: QWidget | None = None) -> bool:
    """Show the problem before any window exists (the event loop is not running yet, so exec() is safe here);
    True when a backup was restored and the store can be opened again."""
    dialog = StoreProblemDialog(recovery, parent)
    return dialog.exec() == QDialog.DialogCode.Accepted
