"""Building an area package from an extract: the address index, the road graph and the basemap, in a child process.

    package = build_area(pbf_path, out_dir, progress)      # in this process (scripts, the child itself)
    build = AreaBuildProcess(pbf_path, out_dir).start()    # the app: a spawned child, cancellable
    build.messages()  # ("progress", stage, done, total) ... then ("done", folder) or ("failed", message, advice)

The parts are built into `<slug>.building/` beside the package and swapped in only when all are done, so a failed
or cancelled build leaves the shop's current package as it was.
"""
from __future__ import annotations

import atexit
import importlib
import logging
import multiprocessing
import queue as queue_module
import shutil
import time
import traceback
from pathlib import Path
from typing import Callable

from ..domain.timeutil import utcnow
from .package import PART_FILES, AreaPackage
from .source import Progress, read_extract

log = logging.getLogger(__name__)

# (part, module, builder function): each builder is f(pbf_path, out_path, progress) -> dict of what it made.
PARTS = (("addresses", "controltower.area.addresses", "build_address_index"),
         ("roads", "controltower.area.roads", "build_road_graph"),
         ("basemap", "controltower.area.basemap", "build_basemap"))


def _builder(module_name: str, function: str) -> Callable | None:
    """A part's builder, or None when its module is not in this version of the app."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise  # the part is there but a library it needs is missing: a real error, not a skipped part
        return None
    return getattr(module, function)


def build_area(pbf_path: str | Path, out_dir: str | Path, progress: Progress | None = None, *,
               parts: tuple[str, ...] | None = None) -> AreaPackage:
    """Check the extract, build each part (all of PARTS unless named) and write area.json; AreaFileError for a bad file."""
    pbf_path, out_dir = Path(pbf_path), Path(out_dir)
    summary = read_extract(pbf_path, progress)
    work = out_dir.with_name(out_dir.name + ".building")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        made = _build_parts(pbf_path, work, progress, parts)
        package = AreaPackage(work, out_dir.name.replace("-", " ").title(), pbf_path.name, summary.size_bytes,
                              summary.bbox, utcnow(), parts=made)
        package.write()
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _swap_in(work, out_dir)
    return AreaPackage.load(out_dir)


def _build_parts(pbf_path: Path, work: Path, progress: Progress | None, parts: tuple[str, ...] | None) -> dict[str, dict]:
    made: dict[str, dict] = {}
    for part, module_name, function in PARTS:
        if parts is not None and part not in parts:
            continue
        builder = _builder(module_name, function)
        if builder is None:
            log.info("area part %s skipped: %s is not in this version", part, module_name)
            made[part] = {"skipped": f"{module_name} is not in this version of the app"}
            continue
        started = time.perf_counter()
        info = builder(pbf_path, work / PART_FILES[part], progress) or {}
        made[part] = {**info, "seconds": round(time.perf_counter() - started, 3)}
    return made


def _swap_in(work: Path, out_dir: Path) -> None:
    """Replace the old package by the new one with renames only (the old one is gone only once the new one is there)."""
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    work.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


def _run(pbf_path: str, out_dir: str, messages, parts: tuple[str, ...] | None = None) -> None:
    """The child's whole work: every outcome ends as a message, never as silence."""
    from ..kernel.errors import UserFacingError

    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1 or done >= total:  # a few a second: the parent's queue never floods
            last[0] = now
            messages.put(("progress", stage, done, total))

    try:
        package = build_area(pbf_path, out_dir, progress, parts=parts)
        messages.put(("done", str(package.folder)))
    except UserFacingError as exc:
        messages.put(("failed", exc.message, exc.advice))
    except BaseException as exc:  # reported to the parent, never swallowed
        messages.put(("failed", f"The area build failed: {exc!r}", traceback.format_exc()))


class AreaBuildProcess:
    """One build in a spawned child (never a fork of a process that runs Qt). Poll `messages()` or `wait()`."""

    def __init__(self, pbf_path: str | Path, out_dir: str | Path, parts: tuple[str, ...] | None = None) -> None:
        self.pbf_path, self.out_dir = Path(pbf_path), Path(out_dir)
        context = multiprocessing.get_context("spawn")
        self._queue = context.Queue()
        # A daemon: it starts no processes of its own, and it must not outlive the app.
        self._process = context.Process(target=_run, args=(str(self.pbf_path), str(self.out_dir), self._queue, parts),
                                        name="controltower-area-build", daemon=True)
        self.finished = False

    def start(self) -> "AreaBuildProcess":
        self._process.start()
        atexit.register(self.cancel)
        return self

    def messages(self) -> list[tuple]:
        ended = not self._process.is_alive()  # asked before draining: its last message is already in the queue
        found = []
        while True:
            try:
                message = self._queue.get_nowait()
            except queue_module.Empty:
                break
            found.append(message)
            self.finished = self.finished or message[0] in ("done", "failed")
        if ended and not self.finished:
            self.finished = True
            found.append(("failed", f"The area build stopped unexpectedly (exit code {self._process.exitcode}).",
                          "Try again; the shop's current area is unchanged."))
        return found

    def wait(self, timeout: float | None = None) -> list[tuple]:
        """Block until the build ends (scripts and tests); every message."""
        deadline = None if timeout is None else time.monotonic() + timeout
        found = []
        while not self.finished:
            found += self.messages()
            if not self.finished:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError("area build still running")
                time.sleep(0.05)
        self._process.join(timeout=10)
        atexit.unregister(self.cancel)
        return found

    def cancel(self) -> None:
        """End the child; its half-built folder is removed and the current package stays as it was."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=10)
        self.finished = True
        shutil.rmtree(self.out_dir.with_name(self.out_dir.name + ".building"), ignore_errors=True)
        atexit.unregister(self.cancel)
