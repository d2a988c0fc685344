"""Versioned forward migrations: numbered SQL files applied in order, each in one transaction."""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources

from .problems import StoreProblem

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaTooNew(StoreProblem, RuntimeError):
    """The file was written by a newer Control Tower than this one (refused before anything is written to it)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    found = []
    for entry in resources.files("controltower.store").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def latest_version() -> int:
    return max((m.version for m in available()), default=0)


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'").fetchone()
    if not exists:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def check_not_newer(conn: sqlite3.Connection) -> None:
    version = current_version(conn)
    if version > latest_version():
        raise SchemaTooNew(
            f"this database was written by a newer Control Tower (schema {version}, this app knows up to "
            f"{latest_version()}).", "Update the app to open it."
        )


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every migration not yet applied; returns the versions applied now."""
    check_not_newer(conn)
    done = applied_versions(conn)
    applied_now = []
    for migration in available():
        if migration.version in done:
            continue
        # executescript commits first, so the migration brackets itself explicitly.
        script = (
            "BEGIN IMMEDIATE;\n"
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);\n"
            f"{migration.sql}\n"
            f"INSERT INTO schema_migrations(version, name, applied_at) VALUES ({migration.version}, "
            f"'{migration.name}', '{datetime.now(timezone.utc).isoformat(timespec='seconds')}');\n"
            f"PRAGMA user_version = {max(migration.version, current_version(conn))};\n"
            "COMMIT;"
        )
        try:
            conn.executescript(script)
        except Exception:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied_now.append(migration.version)
    return applied_now
