"""One instance per store file: a second start on the same file brings the running window forward."""
from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from ..kernel.errors import UserFacingError


class LockProblem(UserFacingError):
    """The store's lock could not be taken, and not because another copy of the app has it open."""


def _key(db_path: Path) -> str:
    return "controltower-" + hashlib.sha1(str(Path(db_path).resolve()).encode()).hexdigest()[:16]


class SingleInstance(QObject):
    """Holds a lock beside the store; `activated` fires when another start asks this one to come forward."""

    activated = Signal()

    def __init__(self, db_path: Path, parent=None) -> None:
        super().__init__(parent)
        self.key = _key(db_path)
        self.lock = QLockFile(str(Path(db_path).resolve()) + ".lock")
        self.lock.setStaleLockTime(0)  # a lock left by a crashed process is detected by its dead pid
        self.server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True when this process is the only one on the store; False when another has it and answered (it was
        asked to come forward). Raises LockProblem when the lock could not be taken for any other reason."""
        folder = Path(self.lock.fileName()).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)  # a first start: the store's folder does not exist yet
        except OSError as exc:
            raise LockProblem(f"Control Tower cannot create the folder {folder}: {exc.strerror or exc}.",
                              "Choose a store in a folder you can write to (--db PATH).") from exc
        if self.lock.tryLock(100):
            QLocalServer.removeServer(self.key)
            self.server = QLocalServer(self)
            self.server.newConnection.connect(self._on_connection)
            self.server.listen(self.key)
            return True
        error = self.lock.error()
        if error == QLockFile.LockError.LockFailedError and self._ask_running_to_activate():
            return False
        if error == QLockFile.LockError.PermissionError:
            raise LockProblem(f"Control Tower cannot write in {folder} (read-only, or not yours).",
                              "Choose a store in a folder you can write to (--db PATH).")
        if error == QLockFile.LockError.LockFailedError:
            raise LockProblem(f"The store {self.lock.fileName()[:-5]} is locked by another program that does not answer.",
                              "Close other copies of Control Tower; if none runs, restart the computer.")
        raise LockProblem(f"Control Tower could not lock its store in {folder} (the disk may be full or unavailable).",
                          "Free some space or choose another folder (--db PATH).")

    def _ask_running_to_activate(self) -> bool:
        """Ask the copy that holds the store to come forward; True when it answered."""
        socket = QLocalSocket()
        socket.connectToServer(self.key)
        if not socket.waitForConnected(1000):
            return False
        socket.write(b"activate\n")
        socket.waitForBytesWritten(1000)
        socket.disconnectFromServer()
        return True

    def _on_connection(self) -> None:
        while self.server is not None and self.server.hasPendingConnections():
            connection = self.server.nextPendingConnection()
            connection.readyRead.connect(lambda c=connection: self._read(c))

    def _read(self, connection: QLocalSocket) -> None:
        if bytes(connection.readAll()).startswith(b"activate"):
            self.activated.emit()
        connection.disconnectFromServer()

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
        self.lock.unlock()
