"""Files and folders only their owner can read: the store, its -wal/-shm (SQLite gives them the store's mode),
backups, copies and logs are created 0600 in 0700 folders on Linux and macOS."""
from __future__ import annotations

import os
import sys
from pathlib import Path

FILE_MODE, FOLDER_MODE = 0o600, 0o700


def private_folder(folder: Path) -> Path:
    """Make `folder` (and missing parents) owner-only; a folder that already exists is left as the user set it."""
    folder = Path(folder)
    if not folder.exists():
        folder.mkdir(parents=True, mode=FOLDER_MODE, exist_ok=True)
        _chmod(folder, FOLDER_MODE)  # mkdir's mode is filtered by the umask
    return folder


def create_private(path: Path) -> Path:
    """Create `path` empty and owner-only if it does not exist yet, so SQLite (which keeps an existing file's mode)
    never makes it readable by other users first."""
    path = Path(path)
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.close(fd)
    _chmod(path, FILE_MODE)
    return path


def make_private(path: Path) -> None:
    """Take group and other users' access off an existing file of ours (a store made by an older version was 0644);
    the owner's own bits stay, so a file the user made read-only stays read-only."""
    try:
        mode = Path(path).stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o077:
        _chmod(path, mode & 0o700)


def private_by_default() -> None:
    """Every file this process creates from now on is owner-only (exports, logs, the demo folder, messages)."""
    if sys.platform != "win32":
        os.umask(0o077)


def _chmod(path: Path, mode: int) -> None:
    if sys.platform == "win32":
        return
    try:
        os.chmod(path, mode)
    except OSError:  # not our file (another user's shared folder): leave it
        pass
