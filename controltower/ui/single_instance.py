"""One instance per store file: a second start on the same file brings the running window forward."""
from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket


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
        """True when this process is the only one on the store; False when another has it (and was told)."""
        if self.lock.tryLock(100):
            QLocalServer.removeServer(self.key)
            self.server = QLocalServer(self)
            self.server.newConnection.connect(self._on_connection)
            self.server.listen(self.key)
            return True
        self._ask_running_to_activate()
        return False

    def _ask_running_to_activate(self) -> None:
        socket = QLocalSocket()
        socket.connectToServer(self.key)
        if socket.waitForConnected(1000):
            socket.write(b"activate\n")
            socket.waitForBytesWritten(1000)
            socket.disconnectFromServer()

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
