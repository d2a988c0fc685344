"""Downloading an OpenStreetMap extract once, from an extract service whose terms allow it (Geofabrik, BBBike).

    size = remote_size("https://download.geofabrik.de/europe/monaco-latest.osm.pbf")   # bytes, before agreeing
    path = download_extract(url, folder, progress=lambda done, total: ..., cancelled=event)

The file is written beside its final name as .part and renamed only when complete and checked (precheck), so a
broken or cancelled download never looks like an extract. Run it off the UI thread.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from ..kernel.errors import UserFacingError
from .source import precheck

CHUNK = 256 * 1024


class DownloadFailed(UserFacingError):
    """The extract could not be fetched."""


class DownloadCancelled(UserFacingError):
    """The user stopped the download."""


def _file_name(url: str) -> str:
    parts = urlsplit(url)
    name = unquote(parts.path.rsplit("/", 1)[-1])
    if parts.scheme not in ("http", "https") or not name.lower().endswith(".osm.pbf") or "/" in name or "\\" in name:
        raise DownloadFailed(f"{url} is not the address of an .osm.pbf extract.",
                             "Copy the link of a .osm.pbf file from the extract service, e.g. "
                             "https://download.geofabrik.de/europe/finland-latest.osm.pbf.")
    return name


def _client(client):
    if client is not None:
        return client, False
    import httpx

    from ..maps.tiles import USER_AGENT

    return httpx.Client(timeout=30, follow_redirects=True, headers={"User-Agent": USER_AGENT}), True


def remote_size(url: str, client=None) -> int | None:
    """The extract's size in bytes as the server announces it (None when it does not say)."""
    import httpx

    _file_name(url)
    client, own = _client(client)
    try:
        response = client.head(url)
    except httpx.HTTPError as error:
        raise DownloadFailed(f"The extract service can't be reached ({type(error).__name__}).",
                             "Check the connection and the address.") from error
    finally:
        if own:
            client.close()
    if response.status_code != 200:
        raise DownloadFailed(f"The extract service has no file at that address (HTTP {response.status_code}).",
                             "Check the address on the service's page.")
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


def download_extract(url: str, folder: str | Path, progress: Callable[[int, int], None] | None = None,
                     cancelled: threading.Event | None = None, client=None) -> Path:
    """Fetch the extract into `folder` (progress(bytes so far, total or 0)); returns the checked file."""
    import httpx

    name = _file_name(url)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target, partial = folder / name, folder / (name + ".part")
    client, own = _client(client)
    try:
        with client.stream("GET", url) as response, partial.open("wb") as out:
            if response.status_code != 200:
                raise DownloadFailed(f"The extract service refused the download (HTTP {response.status_code}).",
                                     "Check the address on the service's page and try again.")
            total = int(response.headers.get("content-length", "0") or 0)
            done = 0
            for chunk in response.iter_bytes(CHUNK):
                if cancelled is not None and cancelled.is_set():
                    raise DownloadCancelled("The download was stopped.", "Nothing was kept; start it again any time.")
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        if total and done != total:
            raise DownloadFailed(f"The download stopped part way ({done:,} of {total:,} bytes).",
                                 "Try again; the service may be busy.")
        partial.replace(target)
        try:
            return precheck(target)  # a service's error page saved under the extract's name is refused here
        except UserFacingError:
            target.unlink(missing_ok=True)
            raise
    except httpx.HTTPError as error:
        raise DownloadFailed(f"The download failed ({type(error).__name__}).",
                             "Check the connection and try again.") from error
    finally:
        partial.unlink(missing_ok=True)
        if own:
            client.close()
