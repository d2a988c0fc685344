"""Building an area package from an extract: the address index, the road graph and the basemap, in a child process.

    package = build_area(pbf_path, out_dir, progress)      # in this process (scripts, the child itself)
    build = AreaBuildProcess(pbf_path, out_dir).start()    # the app: a spawned child, cancellable
    build.messages()  # ("progress", stage, done, total) ... then ("done", folder) or ("failed", message, advice)

The parts are built into `<slug>.building/` beside the package and swapped in only when all are done, so a failed
or cancelled build leaves the shop's current package as it was.
"""
from __future__ import annotations

import importlib
import logging
import shutil
import time
import traceback
from pathlib import Path
from typing import Callable

from ..domain.timeutil import utcnow
from ..kernel.child import ChildProcess
from .package import PART_FILES, AreaPackage, slug_for
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
        package = AreaPackage(work, slug_for(pbf_path).replace("-", " ").title(), pbf_path.name, summary.size_bytes,
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


def _run(pbf_path: str, out_dir: str, parts: tuple[str, ...] | None, messages) -> None:
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


class AreaBuildProcess(ChildProcess):
    """One build in a spawned child (never a fork of a process that runs Qt). Poll `messages()` or `wait()`."""

    def __init__(self, pbf_path: str | Path, out_dir: str | Path, parts: tuple[str, ...] | None = None) -> None:
        self.pbf_path, self.out_dir = Path(pbf_path), Path(out_dir)
        # A daemon: it starts no processes of its own, and it must not outlive the app.
        super().__init__(_run, (str(self.pbf_path), str(self.out_dir), parts), name="controltower-area-build",
                         daemon=True, unexpected_end="The area build stopped unexpectedly (exit code {code}).",
                         advice="Try again; the shop's current area is unchanged.")

    def cancel(self) -> None:
        """End the child; its half-built folder is removed and the current package stays as it was."""
        super().cancel()
        shutil.rmtree(self.out_dir.with_name(self.out_dir.name + ".building"), ignore_errors=True)
