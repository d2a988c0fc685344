"""Opening the store's SQLite file: pragmas, migrations, transactions."""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from . import migrations
from .shop_clock import shop_zone

if TYPE_CHECKING:
    import sqlite_utils


def default_path() -> Path:
    """The user's real store, in the platform's data folder."""
    from platformdirs import user_data_path

    return user_data_path("ControlTower", "ControlTower") / "controltower.db"


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the store's pragmas; one per thread."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed transaction survives power loss, not just a crash.
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


class Database:
    """The store's file: one writer connection plus per-thread readers, all migrated."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.conn = connect(self.path)
        migrations.migrate(self.conn)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    @cached_property
    def db(self) -> "sqlite_utils.Database":
        """sqlite-utils over the writer connection, made on first use: importing sqlite-utils takes ~0.7 s
        (it loads pandas when installed), which would otherwise delay the window's first paint."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @property
    def schema_version(self) -> int:
        return migrations.current_version(self.conn)

    def reader(self) -> sqlite3.Connection:
        """A connection for the calling thread (workers never share the UI thread's one)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        with self._write_lock:
            conn = self.conn
            if conn.in_transaction:  # nested: join the outer transaction
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple | dict = ()):
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return default if value is None else value

    def set_setting(self, key: str, value: str) -> None:
        from . import settings

        with self.transaction() as conn:
            settings.put(conn, {key: value})

    def shop_timezone(self) -> tzinfo:
        """The shop's time zone (store.shop_clock: the one set in Settings, else the computer's). Safe from any thread."""
        return shop_zone(self.reader())

    def integrity_ok(self) -> bool:
        return self.scalar("PRAGMA integrity_check") == "ok"

    def close(self) -> None:
        """Close every connection and fold the write-ahead log back into the file, so the store is one file again:
        a copy of just the .db holds everything committed (committed rows wait in the -wal until a checkpoint)."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            try:
                reader.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:  # another process still reading: the log is folded in by the last one to close
            pass
        self.conn.close()
