"""A file being looked at in the import wizard, read and checked in a child process so the window never waits.

The child holds the whole table; the wizard gets the head of the file (headers and the first rows to preview),
and after each check the verdict: counts, rejected rows, and every problem with the cell as written (sent in
slices, so a file where every row is bad never arrives as one large message to unpack on the UI thread).
Re-checks after a mapping change or a fix reuse the table in the child; a big file keeps its check workers.

Poll `messages()` from a timer. Each request gets a number; replies carry it:
  ("loaded", n, TableHead, guessed ImportProfile)   ("problems", n, [RowProblem, ...])
  ("checked", n, CheckSummary)                       ("exported", n, rows written, path)
  ("failed", n, message, advice)
"""
from __future__ import annotations

import atexit
import multiprocessing
import queue as queue_module
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .assemble import PARALLEL_FROM, RowProblem
from .profiles import ImportProfile
from .reading import Table

PREVIEW_ROWS = 500
_PROBLEMS_PER_MESSAGE = 2000


@dataclass
class TableHead(Table):
    """The start of a file: its headers and first rows as read, and how many rows it has in all."""

    total_rows: int = 0


@dataclass
class CheckSummary:
    """The verdict on the whole file with one mapping: what would be imported and what would not, and why."""

    total_rows: int
    ready: int  # orders that would be imported
    rejected_rows: list[int]  # row indexes, in file order
    rejected_orders: int
    problems: list[RowProblem] = field(default_factory=list)  # filled from the "problems" messages

    @property
    def rejected_row_count(self) -> int:
        return len(self.rejected_rows)


class CheckSession:
    """One child process for one wizard: `load(path)`, then `check(profile, fixes)` as often as needed,
    `export_rejects(path)`; `close()` ends it (so does the app's exit, or this process ending)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process that runs Qt
        self._requests = context.Queue()
        self._replies = context.Queue()
        self._process = context.Process(target=_serve, args=(self._requests, self._replies), name="controltower-check")
        self._process.start()
        self._number = 0
        self._ended = False
        atexit.register(self.close)

    def _ask(self, *request) -> int:
        self._number += 1
        self._requests.put((request[0], self._number, *request[1:]))
        return self._number

    def load(self, path: str | Path) -> int:
        return self._ask("load", str(path))

    def check(self, profile: ImportProfile, fixes: dict[tuple[int, int], str]) -> int:
        return self._ask("check", profile, dict(fixes))

    def export_rejects(self, path: str | Path) -> int:
        return self._ask("rejects", str(path))

    def messages(self, limit: int = 50) -> list[tuple]:
        """Replies that have arrived (at most `limit`, so one poll stays short)."""
        found: list[tuple] = []
        while len(found) < limit:
            try:
                found.append(self._replies.get_nowait())
            except queue_module.Empty:
                break
        if not found and not self._ended and not self._process.is_alive():
            self._ended = True
            found.append(("failed", self._number, f"The file check stopped unexpectedly (exit code {self._process.exitcode}).",
                          "Choose the file again."))
        return found

    def close(self) -> None:
        if self._process.is_alive():
            self._requests.put(("stop", 0))
            self._process.join(timeout=2)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=5)
        self._ended = True
        atexit.unregister(self.close)


def _serve(requests, replies) -> None:
    """The child: answers requests in order until told to stop (or its parent is gone)."""
    from contextlib import ExitStack

    from ..kernel.errors import UserFacingError
    from .assemble import gc_paused, prepare
    from .importer import exit_with_parent, worker_pool, write_rejects
    from .profiles import guess_profile
    from .reading import read_table

    exit_with_parent()
    table: Table | None = None
    original: dict[tuple[int, int], str] = {}  # cells as read, for fixes that are taken back
    prepared = None
    pools = ExitStack()
    pool = None
    try:
        while True:
            kind, number, *args = requests.get()
            if kind == "stop":
                return
            try:
                if kind == "load":
                    pools.close()
                    table, prepared, pool = None, None, None
                    with gc_paused():
                        table = read_table(args[0])
                    original, prepared = {}, None
                    pool = pools.enter_context(worker_pool(len(table.rows))) if len(table.rows) >= PARALLEL_FROM else None
                    head = TableHead(table.headers, [list(r) for r in table.rows[:PREVIEW_ROWS]], table.source,
                                     table.encoding, table.delimiter, total_rows=len(table.rows))
                    replies.put(("loaded", number, head, guess_profile(table.headers)))
                elif kind == "check":
                    profile, fixes = args
                    _apply_fixes(table, original, fixes)
                    prepared = prepare(table, profile, pool=pool)
                    for start in range(0, len(prepared.problems), _PROBLEMS_PER_MESSAGE):
                        replies.put(("problems", number, prepared.problems[start:start + _PROBLEMS_PER_MESSAGE]))
                    replies.put(("checked", number, CheckSummary(prepared.total_rows, prepared.ready,
                                                                 prepared.rejected_rows, prepared.rejected_orders)))
                elif kind == "rejects":
                    if table is None or prepared is None:
                        raise RuntimeError("no file has been checked yet")
                    replies.put(("exported", number, write_rejects(args[0], table, prepared.problems, prepared.rejected_rows), args[0]))
            except UserFacingError as exc:
                replies.put(("failed", number, exc.message, exc.advice))
            except OSError as exc:
                replies.put(("failed", number, f"Could not write {Path(str(exc.filename or '')).name or 'the file'}: "
                                                f"{exc.strerror or exc}.", "Choose another folder or file name."))
            except Exception as exc:  # reported to the wizard, never swallowed
                replies.put(("failed", number, f"The check failed: {exc!r}", traceback.format_exc()))
    finally:
        pools.close()


def _apply_fixes(table: Table | None, original: dict[tuple[int, int], str], fixes: dict[tuple[int, int], str]) -> None:
    """Make the table read as the file plus exactly these corrections (earlier ones not repeated are undone)."""
    if table is None:
        raise RuntimeError("no file is loaded")
    for cell in [c for c in original if c not in fixes]:
        row, column = cell
        table.rows[row][column] = original.pop(cell)
    for (row, column), text in fixes.items():
        original.setdefault((row, column), table.rows[row][column])
        table.rows[row][column] = text
