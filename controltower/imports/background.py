"""Running an import in a child process: the UI never waits on it, and stopping it is simply ending the process.

A thread would share the GIL with the UI and stall it for tens to hundreds of milliseconds on a busy machine;
a process does not. Ending the child mid-save is safe: its open transaction is rolled back by SQLite
(tests/imports/test_import_crash.py kills one on purpose).
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..kernel.child import ChildProcess
from .profiles import ImportProfile


@dataclass(frozen=True)
class ImportJob:
    db_path: str
    file_path: str
    profile: ImportProfile | None = None  # None: guess from the file's columns
    fixes: dict[tuple[int, int], str] = field(default_factory=dict)  # (row index, column index) -> corrected text


def _run(job: ImportJob, messages) -> None:
    from ..kernel.errors import UserFacingError
    from ..store import Database
    from .importer import exit_with_parent, import_table, read_with_workers
    from .profiles import guess_profile

    exit_with_parent()  # the app went away: stop, and the open transaction saves nothing
    try:
        db = Database(job.db_path)
        try:
            with read_with_workers(job.file_path) as (table, pool):
                for (row, column), text in job.fixes.items():
                    table.rows[row][column] = text
                profile = job.profile or guess_profile(table.headers)
                report = import_table(db, table, profile, pool=pool,
                                      progress=lambda phase, done, total: messages.put(("progress", phase, done, total)))
        finally:
            db.close()
        # Without the order ids: unpickling 100,000 of them on the UI thread would stall it; the store has them.
        messages.put(("done", replace(report, order_ids={}, rejected_rows=[]), time.process_time() + _workers_cpu_seconds()))
    except UserFacingError as exc:
        messages.put(("failed", exc.message, exc.advice))
    except BaseException as exc:  # reported to the parent, never swallowed
        messages.put(("failed", f"The import failed: {exc!r}", traceback.format_exc()))


def _workers_cpu_seconds() -> float:
    """CPU time of this process's ended children (the check workers); 0 where the OS can't tell (Windows)."""
    try:
        import resource
    except ImportError:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class ImportProcess(ChildProcess):
    """One import in a spawned child. Poll `messages()` from a timer: ("progress", phase, done, total),
    then ("done", ImportReport, cpu_seconds of the child and its workers) or ("failed", message, advice).
    `cancel()` ends the child and its unfinished transaction leaves the store as it was."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        # Not a daemon: it starts worker processes of its own for big files. It ends itself when this process
        # ends (exit_with_parent), and a normal exit of the app stops it first (atexit, before multiprocessing
        # would wait for it).
        super().__init__(_run, (job,), name="controltower-import", daemon=False,
                         unexpected_end="The import stopped unexpectedly (exit code {code}); nothing was saved.")


def start_import(db_path: str | Path, file_path: str | Path, profile: ImportProfile | None = None,
                 fixes: dict[tuple[int, int], str] | None = None) -> ImportProcess:
    return ImportProcess(ImportJob(str(db_path), str(file_path), profile, dict(fixes or {}))).start()
