"""What can be wrong with the store's file, as errors a user can read: damaged, too new, read-only, no permission,
disk full, on a network drive. Each says what happened and what to do; SQLite's own errors are translated here."""
from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from ..kernel.errors import UserFacingError

# SQLite's primary result codes (the low byte of an extended code).
SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_NOTADB = 8, 10, 11, 13, 26
_NEARLY_FULL = 4 * 1024 * 1024  # an I/O error with less room than this left is the disk being full


class StoreProblem(UserFacingError):
    """The store's file (or a copy of it) can't be used or written as it is; `path` is the file."""

    def __init__(self, message: str, advice: str = "", *, path: Path | None = None) -> None:
        super().__init__(message, advice)
        self.path = path


class StoreDamaged(StoreProblem):
    """The file fails SQLite's integrity check, or is not a store at all: it is never written to."""


class StoreReadOnly(StoreProblem, sqlite3.OperationalError):
    """The file, its folder or the drive can't be written (also a sqlite3.OperationalError, as before)."""


class NoPermission(StoreProblem, sqlite3.OperationalError):
    """The operating system refuses this user access to the file or folder."""


class DiskFull(StoreProblem, sqlite3.OperationalError):
    """The disk (or this user's quota, or the file-size limit) has no room for the write; nothing was half-written."""


class StoreOnNetworkDrive(StoreProblem):
    """The file is on a network share, where SQLite's locks can't keep it safe."""


def damaged(path: Path, detail: str) -> StoreDamaged:
    return StoreDamaged(
        f"The store is damaged: {path} — {detail}.",
        "Nothing more was written to it. Restore the newest good backup; the damaged file is kept aside.", path=path)


def read_only(path: Path, why: str = "") -> StoreReadOnly:
    return StoreReadOnly(f"The store is read-only: {path}{f' ({why})' if why else ''}.",
                         "Make the file and its folder writable (or copy the store to a folder you can write), "
                         "then open it again.", path=path)


def disk_full(path: Path, why: str = "") -> DiskFull:
    return DiskFull(f"The disk is full: {path} could not be written{f' ({why})' if why else ''}.",
                    "Nothing was half-written. Free some space on that disk and try again.", path=path)


def no_permission(path: Path) -> NoPermission:
    return NoPermission(f"Permission denied: this user may not write {path}.",
                        "Ask for access to the file and its folder, or open a store in your own folder.", path=path)


def _no_room(path: Path) -> str | None:
    """Why an I/O error while writing means there was no room: "" (the disk is nearly full), the file-size limit
    set for this process, or None when there was room (a failing disk, a removed drive)."""
    try:
        import resource

        if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
            return "this process's file-size limit was reached"
    except (ImportError, ValueError, OSError):
        pass
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return "" if shutil.disk_usage(folder).free < _NEARLY_FULL else None
            except OSError:
                return None
    return None


def translate(exc: BaseException, path: Path) -> BaseException:
    """The StoreProblem an SQLite or OS error means for the file at `path`, or `exc` itself when it is none of them."""
    if isinstance(exc, StoreProblem):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        text = str(exc).lower()
        if code == SQLITE_FULL or "disk is full" in text:
            return disk_full(path)
        if code == SQLITE_READONLY or "readonly database" in text:
            return read_only(path)
        if code in (SQLITE_CORRUPT, SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
            return damaged(path, f"SQLite says: {exc}")
        if code == SQLITE_IOERR or "disk i/o error" in text:
            why = _no_room(path)
            return exc if why is None else disk_full(path, why)
        return exc
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return disk_full(path)
        if exc.errno == errno.EFBIG:
            return disk_full(path, "the file-size limit was reached")
        if exc.errno == errno.EROFS:
            return read_only(path, "the drive is mounted read-only")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return no_permission(path)
    return exc
