"""Backups of the store with SQLite's online backup API, and a restore that checks before it replaces anything."""
from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..domain.timeutil import utcnow
from . import carrier_accounts, migrations, settings
from .carrier_accounts import StoredAccount

PREFIX = "controltower-backup-"


class RestoreRefused(RuntimeError):
    """The chosen file is not a store this app can safely restore; nothing was replaced."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    schema_version: int
    orders: int


def backup_now(source: sqlite3.Connection, folder: Path, *, now: datetime | None = None) -> Path:
    """A consistent copy of the live store, taken while the app keeps writing."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    target = folder / f"{PREFIX}{stamp}.db"
    partial = target.with_suffix(".db.partial")
    dest = sqlite3.connect(partial)
    try:
        source.backup(dest, pages=1024)  # in steps, so writers are not held off for the whole copy
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()
    partial.replace(target)
    return target


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{PREFIX}*.db"))


def prune(folder: Path, keep_days: int, *, now: datetime | None = None) -> list[Path]:
    """Delete backups older than `keep_days` (the newest one is always kept)."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    removed = []
    for path in backups(folder)[:-1]:
        taken = _taken_at(path)
        if taken is not None and taken < cutoff:
            path.unlink()
            removed.append(path)
    return removed


def daily_backup_if_due(source: sqlite3.Connection, folder: Path, keep_days: int = 14, *, now: datetime | None = None) -> Path | None:
    """Back up once a day; called at start-up and from a timer."""
    now = now or utcnow()
    existing = backups(folder)
    latest = _taken_at(existing[-1]) if existing else None
    made = None
    if latest is None or now - latest >= timedelta(hours=24):
        made = backup_now(source, folder, now=now)
    prune(folder, keep_days, now=now)
    return made


def _taken_at(path: Path) -> datetime | None:
    try:
        from datetime import timezone

        return datetime.strptime(path.stem[len(PREFIX):], "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def inspect(path: Path) -> BackupInfo:
    """Check a file before restoring it: readable SQLite, passes integrity_check, a Control Tower store, not newer."""
    if not path.is_file():
        raise RestoreRefused(f"{path} does not exist.")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise RestoreRefused(f"{path.name} is damaged (integrity check: {check}). Choose another backup.")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"orders", "shipments", "schema_migrations"} <= tables:
                raise RestoreRefused(f"{path.name} is not a Control Tower store.")
            orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(f"{path.name} is not a readable store ({exc}). Choose another backup.") from exc
    if version > migrations.latest_version():
        raise RestoreRefused(f"{path.name} was made by a newer Control Tower (schema {version}); update the app first.")
    return BackupInfo(path, version, orders)


def restore(backup: Path, target: Path, *, now: datetime | None = None) -> Path:
    """Replace the store at `target` with `backup` after checking it; returns where the replaced file was kept.

    The app must have closed its connections to `target` first.
    """
    inspect(backup)
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    kept = target.with_name(f"{target.stem}.replaced-{stamp}{target.suffix}")
    staged = target.with_name(target.name + ".restoring")
    shutil.copy2(backup, staged)
    if target.exists():
        source = sqlite3.connect(target)  # fold the WAL into the kept copy so nothing is left behind in -wal
        try:
            source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            source.close()
        target.replace(kept)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    staged.replace(target)
    return kept


def export_settings(conn: sqlite3.Connection) -> str:
    """Settings and carrier account options as JSON; secrets are in the keychain and never part of it."""
    data = {
        "format": "controltower-settings/1",
        "settings": {r[0]: r[1] for r in conn.execute("SELECT key, value FROM settings ORDER BY key")},
        "carrier_accounts": [dict(zip(("code", "name", "kind", "enabled", "settings_json"), r)) for r in
                             conn.execute("SELECT code, name, kind, enabled, settings_json FROM carrier_accounts ORDER BY code")],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def import_settings(conn: sqlite3.Connection, text: str) -> int:
    """Apply an exported settings file in one transaction; refuses anything that looks like a secret."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a settings file: {exc}") from exc
    if data.get("format") != "controltower-settings/1":
        raise ValueError("not a Control Tower settings file")
    values = data.get("settings", {})
    conn.execute("BEGIN IMMEDIATE")
    try:
        settings.put(conn, values)
        carrier_accounts.add(conn, [StoredAccount(a["code"], a["name"], a["kind"], bool(a["enabled"]),
                                                  json.loads(a["settings_json"] or "{}"))
                                    for a in data.get("carrier_accounts", [])])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(values)
