"""A store that checks itself: what is refused before the file is opened for writing (a network drive, a read-only or
empty file, something that isn't SQLite, a newer schema, a failed quick check) and the full integrity check."""
from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from . import migrations, problems
from .problems import StoreDamaged, StoreOnNetworkDrive

SQLITE_HEADER = b"SQLite format 3\x00"
# Filesystem types (Linux /proc/mounts, macOS mount) that live on another computer.
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "afpfs", "webdav", "davfs", "ncpfs",
                       "9p", "afs", "ceph", "glusterfs", "lustre", "sshfs", "fuse.sshfs", "fuse.rclone", "fuse.s3fs",
                       "fuse.gcsfuse", "fuse.curlftpfs", "fuse.glusterfs"}
_MAC_MOUNT = re.compile(r"^(?P<device>.+?) on (?P<point>.+) \((?P<type>[^,)]+)")


def check_before_open(path: Path) -> None:
    """Raise the StoreProblem that forbids writing to the store at `path`; a file that doesn't exist yet passes
    (it becomes a new store). Nothing here writes to the file or switches its journal mode."""
    path = Path(path)
    reason = network_drive(path)
    if reason:
        raise StoreOnNetworkDrive(
            f"The store is on a network drive ({reason}): {path}.",
            "SQLite's file locks are not reliable over a network share, so the store could be damaged. Keep the store "
            "on this computer's own disk (File > Save a copy puts a copy on the share).", path=path)
    if not path.exists():
        return
    if not path.is_file():
        raise StoreDamaged(f"{path} is a folder, not a store.", "Choose the store's .db file.", path=path)
    refuse_read_only(path)
    with open(path, "rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if not header:
        raise problems.damaged(path, "the file is empty (0 bytes) — it holds no store")
    if header != SQLITE_HEADER:
        raise problems.damaged(path, "it is not an SQLite database: the file is damaged or another kind of file")
    conn = sqlite3.connect(path, isolation_level=None)  # no journal-mode change: the file stays as it was
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        version = migrations.current_version(conn)
        if version > migrations.latest_version():
            raise migrations.SchemaTooNew(
                f"This store was written by a newer Control Tower (schema {version}; this app knows up to "
                f"{migrations.latest_version()}): {path}.", "Update the app to open it; nothing was changed.", path=path)
        detail = first_problem(conn, "quick_check")
    except sqlite3.DatabaseError as exc:
        raise problems.translate(exc, path) from exc
    finally:
        conn.close()
    if detail:
        raise problems.damaged(path, f"it fails SQLite's integrity check: {detail}")


def first_problem(conn: sqlite3.Connection, check: str = "integrity_check") -> str | None:
    """None when SQLite's `quick_check` or full `integrity_check` passes, else what it found (first lines)."""
    try:
        rows = [row[0] for row in conn.execute(f"PRAGMA {check}(3)")]  # noqa: S608 — one of two fixed names
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if rows == ["ok"] else " ".join("; ".join(rows).split())[:300]  # one line, short enough to read


def file_problem(path: Path) -> str | None:
    """The full integrity check of the SQLite file at `path` (a backup, a copy), read-only; None when it passes."""
    try:
        conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        return first_problem(conn)
    finally:
        conn.close()


def refuse_read_only(path: Path) -> None:
    """The store and its folder must be writable (the folder holds the -wal and -shm files)."""
    for target, what in ((path, "the file"), (path.parent, "its folder")):
        mode = target.stat().st_mode
        if not os.access(target, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise problems.read_only(path, f"{what} is not writable")
    if _read_only_mount(path):
        raise problems.read_only(path, "the drive is mounted read-only")


def _read_only_mount(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):
        return False


# ---------------------------------------------------------------------------------------------- network drives
def network_drive(path: Path, *, platform: str = sys.platform, mounts: list[tuple[str, str]] | None = None) -> str | None:
    """Why `path` is on a network drive ("nfs4", "a Windows network share"), or None when it is on a local disk."""
    if platform == "win32":
        return _windows_network_drive(path)
    fs_type = filesystem_type(path, mounts if mounts is not None else mount_table(platform))
    if fs_type and (fs_type in NETWORK_FILESYSTEMS or fs_type.startswith(("nfs", "smb", "cifs")) or "sshfs" in fs_type):
        return fs_type
    return None


def filesystem_type(path: Path, mounts: list[tuple[str, str]]) -> str | None:
    """The type of the filesystem holding `path`: the mount point that is its longest prefix."""
    target = _existing(Path(path)).as_posix().rstrip("/") or "/"
    best, best_type = "", None
    for point, fs_type in mounts:
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, fs_type
    return best_type


def mount_table(platform: str = sys.platform) -> list[tuple[str, str]]:
    """(mount point, filesystem type) for every mount: /proc/mounts on Linux, `mount` on macOS and the BSDs."""
    try:
        if platform.startswith("linux"):
            return parse_proc_mounts(Path("/proc/mounts").read_text(encoding="utf-8", errors="replace"))
        output = subprocess.run(["mount"], capture_output=True, text=True, timeout=5).stdout
        return parse_mac_mount(output)
    except (OSError, subprocess.SubprocessError):
        return []


def parse_proc_mounts(text: str) -> list[tuple[str, str]]:
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:  # spaces in a mount point are written \040
            mounts.append((re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1]), fields[2]))
    return mounts


def parse_mac_mount(text: str) -> list[tuple[str, str]]:
    """`//me@nas/share on /Volumes/share (smbfs, nodev, nosuid, mounted by me)` -> ("/Volumes/share", "smbfs")."""
    return [(m.group("point"), m.group("type")) for m in map(_MAC_MOUNT.match, text.splitlines()) if m]


def _windows_network_drive(path: Path) -> str | None:
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return "a Windows network share"
    try:
        import ctypes

        root = os.path.splitdrive(os.path.abspath(text))[0] + "\\"
        if ctypes.windll.kernel32.GetDriveTypeW(root) == 4:  # DRIVE_REMOTE: a mapped network drive
            return f"mapped network drive {root}"
    except (AttributeError, OSError):
        pass
    return None


def _existing(path: Path) -> Path:
    """`path` with its existing part's links resolved (a store not made yet is judged by its folder's drive)."""
    path = path.absolute()
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate.resolve() / path.relative_to(candidate)
    return path
