"""Backups and copies of the store with SQLite's online backup API, each checked before it counts, pruning that keeps
the newest good one, and a restore that checks before it replaces anything."""
from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..domain.timeutil import utcnow
from . import carrier_accounts, files, health, migrations, problems, settings
from .carrier_accounts import StoredAccount
from .problems import StoreProblem

PREFIX = "controltower-backup-"


class RestoreRefused(RuntimeError):
    """The chosen file is not a store this app can safely restore; nothing was replaced."""


class BackupFailed(StoreProblem):
    """A backup or copy could not be made or did not pass its check; nothing was left behind and no backup was removed."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds, shown before it is restored."""

    path: Path
    schema_version: int
    orders: int
    last_order_at: str | None = None  # the newest order's creation time (UTC, ISO 8601), None without orders
    taken_at: datetime | None = None  # from the file's name; None for a file named otherwise


def folder_for(store_path: Path) -> Path:
    """Where the backups of the store at `store_path` are kept."""
    return Path(store_path).parent / "backups"


def copy_store(source: sqlite3.Connection, target: Path) -> Path:
    """One self-contained, owner-only copy of the store at `target`, checked before it counts.

    Made with SQLite's backup API (consistent while the app keeps writing; the copy has no -wal), written as
    `target.partial` and renamed only after it passes the full integrity check. Whatever goes wrong (disk full,
    a copy that fails its check, a damaged source) leaves no partial file behind and raises a StoreProblem:
    StoreDamaged when the source itself is damaged, DiskFull, StoreReadOnly, or BackupFailed."""
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    try:
        files.private_folder(target.parent)
        partial.unlink(missing_ok=True)
        files.create_private(partial)
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest, pages=1024)  # in steps, so writers are not held off for the whole copy
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        # The copy holds the source's pages byte for byte, so checking it checks the source's snapshot too, with
        # half the reading; a failed copy is then traced to the source or to the copy.
        problem = health.file_problem(partial)
        if problem:
            raise _bad_copy(source, target, problem)
        partial.replace(target)
    except BaseException as exc:
        for leftover in (partial, Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)
        translated = problems.translate(exc, target)
        if translated is exc:
            raise
        raise translated from exc
    return target


def _bad_copy(source: sqlite3.Connection, target: Path, problem: str) -> StoreProblem:
    detail = health.first_problem(source, "integrity_check")
    if detail:
        store_path = Path(source.execute("PRAGMA database_list").fetchone()[2] or "the store")
        damaged = problems.damaged(store_path, f"it fails SQLite's integrity check: {detail}")
        damaged.advice = "It was not backed up, and every earlier backup is kept. " + damaged.advice
        return damaged
    return BackupFailed(f"The copy {target.name} did not pass its integrity check ({problem}), so it was deleted.",
                        "The store itself is sound; check the backup disk and try again.", path=target)


def backup_now(source: sqlite3.Connection, folder: Path, *, now: datetime | None = None) -> Path:
    """A checked copy of the live store in `folder`, taken while the app keeps writing (see copy_store)."""
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    return copy_store(source, Path(folder) / f"{PREFIX}{stamp}.db")


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{PREFIX}*.db"))


def newest_good(folder: Path) -> Path | None:
    """The newest backup that passes the full integrity check now (older ones are checked only when needed)."""
    for path in reversed(backups(folder)):
        if health.file_problem(path) is None:
            return path
    return None


def prune(folder: Path, keep_days: int, *, now: datetime | None = None, known_good: Path | None = None) -> list[Path]:
    """Delete backups older than `keep_days`, never the newest one nor the newest that passes its check
    (`known_good`, when the caller has just checked it; else found by checking from the newest back)."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    candidates = [path for path in backups(folder)[:-1] if (_taken_at(path) or cutoff) < cutoff]
    if not candidates:
        return []
    keep = known_good or newest_good(folder)
    removed = []
    for path in candidates:
        if path != keep:
            path.unlink()
            removed.append(path)
    return removed


def daily_backup_if_due(source: sqlite3.Connection, folder: Path, keep_days: int = 14, *, now: datetime | None = None) -> Path | None:
    """Back up once a day (the app's backup job asks every hour); backups past `keep_days` are pruned."""
    now = now or utcnow()
    existing = backups(folder)
    latest = _taken_at(existing[-1]) if existing else None
    made = None
    if latest is None or now - latest >= timedelta(hours=24):
        made = backup_now(source, folder, now=now)
    prune(folder, keep_days, now=now, known_good=made)  # without a new one, prune checks before it deletes
    return made


def _taken_at(path: Path) -> datetime | None:
    try:
        return datetime.strptime(path.stem[len(PREFIX):], "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def inspect(path: Path) -> BackupInfo:
    """Check a file before restoring it: readable SQLite, passes integrity_check, a Control Tower store, not newer."""
    if not path.is_file():
        raise RestoreRefused(f"{path} does not exist.")
    try:
        conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
        try:
            problem = health.first_problem(conn)
            if problem:
                raise RestoreRefused(f"{path.name} is damaged (integrity check: {problem}). Choose another backup.")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"orders", "shipments", "schema_migrations"} <= tables:
                raise RestoreRefused(f"{path.name} is not a Control Tower store.")
            orders, last_order_at = conn.execute("SELECT count(*), max(created_at) FROM orders").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(f"{path.name} is not a readable store ({exc}). Choose another backup.") from exc
    if version > migrations.latest_version():
        raise RestoreRefused(f"{path.name} was made by a newer Control Tower (schema {version}); update the app first.")
    return BackupInfo(path, version, orders, last_order_at, _taken_at(path))


def newest_restorable(folder: Path) -> BackupInfo | None:
    """The newest backup in `folder` that can be restored (inspect: the full check and a store this version
    reads), older ones tried in turn, with what it holds; None if none can."""
    for path in reversed(backups(folder)):
        try:
            return inspect(path)
        except RestoreRefused:
            continue
    return None


def restore(backup: Path, target: Path, *, now: datetime | None = None, kept_as: str = "replaced") -> Path:
    """Replace the store at `target` with `backup` after checking it; returns where the replaced file was kept
    (`<name>.<kept_as>-<stamp>.db`). A damaged store (kept_as="damaged") is moved aside with its -wal as it is,
    never opened for writing; a sound one has its log folded in first.

    The app must have closed its connections to `target` first.
    """
    inspect(backup)
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    kept = target.with_name(f"{target.stem}.{kept_as}-{stamp}{target.suffix}")
    staged = target.with_name(target.name + ".restoring")
    shutil.copy2(backup, staged)
    files.make_private(staged)
    if target.exists() and kept_as == "damaged":
        target.replace(kept)
        wal = Path(f"{target}-wal")
        if wal.exists():
            wal.replace(Path(f"{kept}-wal"))
    elif target.exists():
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
