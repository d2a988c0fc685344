"""Opening the store's SQLite file: checks first (store.health), then pragmas, migrations, transactions."""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from . import files, health, migrations, problems
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
        files.create_private(path)  # owner-only before SQLite creates it; the -wal and -shm take its mode
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed transaction survives power loss, not just a crash.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")  # a checkpointed log shrinks back
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


BIG_WRITE_ROWS = 5_000  # a transaction changing this many rows is folded back into the .db file at once
WAL_SIZE_LIMIT = 16 * 1024 * 1024


class Database:
    """The store's file: one writer connection plus per-thread readers, all migrated.

    Opening checks the file first (store.health: network drive, read-only, empty or not SQLite, newer schema, quick
    integrity check) and raises a store.problems.StoreProblem instead of writing to a file it can't trust."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.damaged: problems.StoreDamaged | None = None  # set when a check finds damage: no write after that
        health.check_before_open(self.path)
        files.make_private(self.path)
        try:
            self.conn = connect(self.path)
            migrations.migrate(self.conn)
        except (sqlite3.Error, OSError) as exc:
            problem = problems.translate(exc, self.path)
            if problem is exc:
                raise
            raise problem from exc
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
            if self.damaged is not None:
                raise self.damaged
            conn = self.conn
            if conn.in_transaction:  # nested: join the outer transaction
                yield conn
                return
            changes_before = conn.total_changes
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    _roll_back(conn)
                    raise
            except sqlite3.Error as exc:  # disk full, read-only, damaged: said as such
                problem = problems.translate(exc, self.path)
                if problem is exc:
                    raise
                if isinstance(problem, problems.StoreDamaged):
                    self.damaged = problem
                raise problem from exc
            if conn.total_changes - changes_before >= BIG_WRITE_ROWS:
                self.checkpoint()

    def checkpoint(self) -> bool:
        """Fold the write-ahead log into the .db file and empty it, without waiting for readers; True when done."""
        conn = self.conn
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error:
            busy = 1
        finally:
            conn.execute("PRAGMA busy_timeout = 30000")
        return not busy

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

    def full_check(self) -> None:
        """SQLite's full integrity check on a read connection of its own (call it from a worker: it reads every
        page). Damage found is kept: from then on every write is refused with StoreDamaged, which is raised."""
        conn = connect(self.path, readonly=True)
        try:
            detail = health.first_problem(conn, "integrity_check")
        finally:
            conn.close()
        if detail:
            self.damaged = problems.damaged(self.path, f"it fails SQLite's integrity check: {detail}")
            raise self.damaged

    def close(self) -> None:
        """Close every connection and fold the write-ahead log back into the file, so the store is one file again:
        a copy of just the .db holds everything committed (committed rows wait in the -wal until a checkpoint)."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
        damaged = self.damaged is not None
        for reader in readers:
            try:
                if damaged:
                    _no_checkpoint_on_close(reader)
                reader.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()
        if damaged:  # a damaged store is never written to, not even by the log folded in at close
            _no_checkpoint_on_close(self.conn)
        else:
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:  # another process still reading: the log is folded in by the last one to close
                pass
        self.conn.close()


def _no_checkpoint_on_close(conn: sqlite3.Connection) -> None:
    """SQLite folds the -wal into the file when the last connection closes; not for this one."""
    try:
        conn.setconfig(sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)
    except sqlite3.Error:
        pass


def _roll_back(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already (it rolls back by itself on a full disk): the error
    that caused it is the one to report, never "cannot rollback - no transaction is active"."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
