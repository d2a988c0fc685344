"""Extracts of the shop's area downloaded once from an extract service, kept in <data dir>/areas/downloads/."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from ..area.download import DownloadCancelled, DownloadFailed, download_extract, remote_size
from ..area.package import areas_folder

__all__ = ["ExtractDownloads", "DownloadCancelled", "DownloadFailed"]

OFFLINE = DownloadFailed("Control Tower was started with --offline: nothing can be downloaded.",
                         "Start it without --offline, or choose an extract you already have.")


class ExtractDownloads:
    """The size of an extract before agreeing to it, then the download (run it off the UI thread)."""

    def __init__(self, data_dir: Path, *, offline: bool = False, client=None) -> None:
        self.folder = areas_folder(data_dir) / "downloads"
        self.offline = offline
        self._client = client  # tests: an httpx client of their own

    def size(self, url: str) -> int | None:
        if self.offline:
            raise OFFLINE
        return remote_size(url, self._client)

    def download(self, url: str, progress: Callable[[int, int], None] | None = None,
                 cancelled: threading.Event | None = None) -> Path:
        if self.offline:
            raise OFFLINE
        return download_extract(url, self.folder, progress, cancelled, self._client)
