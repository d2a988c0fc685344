"""One import of one file: read, check, save in a single transaction, and report what happened."""
from __future__ import annotations

import csv
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..store import audit
from ..store.orders import BulkWriter
from ..store.shop_clock import shop_zone_name
from . import assemble
from .assemble import ImportCancelled, Prepared, Progress, RowProblem, checked_chunks, gc_paused, stop_if_cancelled
from .bulk import save_rows
from .profiles import ImportProfile, guess_profile
from .reading import Table, read_table

__all__ = ["ImportReport", "ImportCancelled", "import_file", "import_table", "save_prepared", "write_rejects"]


@dataclass(frozen=True)
class ImportReport:
    """What an import did; `errors` lists every rejected cell (row, column, reason)."""

    imported: int
    updated: int
    unchanged: int
    rejected: int  # rows of the file that were not imported
    rejected_orders: int
    rows: int
    errors: list[RowProblem] = field(default_factory=list)
    order_ids: dict[str, int] = field(default_factory=dict)
    rejected_rows: list[int] = field(default_factory=list)  # indexes into the table's rows, in file order
    profile: str = ""
    encoding: str = ""
    delimiter: str = ""

    def as_dict(self) -> dict:
        return {
            "imported": self.imported, "updated": self.updated, "unchanged": self.unchanged,
            "rejected": self.rejected, "rejected_orders": self.rejected_orders, "rows": self.rows,
            "profile": self.profile, "encoding": self.encoding, "delimiter": self.delimiter,
            "errors": [p.as_dict() for p in self.errors],
        }


def import_file(db, path: str | Path, profile: ImportProfile | None = None, *, progress: Progress | None = None,
                cancel: threading.Event | None = None, hub=None) -> ImportReport:
    """Import a CSV/XLSX file of orders; good rows are saved together, bad rows are reported. Safe to run off the UI thread."""
    if progress:
        progress("reading", 0, 1)
    with read_with_workers(path) as (table, pool):
        return import_table(db, table, profile or guess_profile(table.headers), progress=progress, cancel=cancel,
                            hub=hub, pool=pool)


def import_table(db, table: Table, profile: ImportProfile, *, progress: Progress | None = None,
                 cancel: threading.Event | None = None, hub=None, pool: Executor | None = None) -> ImportReport:
    """Check and save in one go: each slice of the file is saved while the next is checked, all in one transaction.
    Times written without an offset are the shop's (its zone from store.shop_clock), unless the profile names one."""
    profile = profile.in_zone(shop_zone_name(db.reader()))
    with worker_pool(len(table.rows) if pool is None else 0) as own_pool:
        pool = pool or own_pool
        problems: list[RowProblem] = []
        rejected_rows: list[int] = []
        rejected_orders = 0
        rows = len(table.rows)
        total = rows + rows // 20  # the last twentieth: rebuilding indexes after a big import
        done = 0
        with gc_paused(), db.transaction() as conn:
            writer = BulkWriter(conn, rows)
            for chunk in checked_chunks(table, profile, None, cancel, pool):
                writer.add(chunk.values, chunk.lines)
                problems += [RowProblem(*p) for p in chunk.problems]
                rejected_rows += chunk.rejected_rows
                rejected_orders += chunk.rejected_orders
                done += chunk.rows
                if progress:
                    progress("saving", done, total)
            stop_if_cancelled(cancel)
            result = writer.finish()
            _record(conn, table, profile, result, len(rejected_rows))
        if progress:
            progress("saving", total, total)
    problems.sort(key=lambda p: p.row)
    rejected_rows.sort()
    return _report(table, profile, result, problems, rejected_rows, rejected_orders, hub)


def save_prepared(db, table: Table, profile: ImportProfile, prepared: Prepared, *, progress: Progress | None = None,
                  cancel: threading.Event | None = None, hub=None) -> ImportReport:
    """Save a checked file's good orders in one transaction (a crash or cancel leaves the store as it was)."""
    total = len(prepared.records)

    def saving(done: int, _total: int) -> None:
        if progress:
            progress("saving", done, total)

    with gc_paused(), db.transaction() as conn:
        result = save_rows(conn, prepared.records, saving, cancel)
        _record(conn, table, profile, result, prepared.rejected_row_count)
    return _report(table, profile, result, prepared.problems, prepared.rejected_rows, prepared.rejected_orders, hub)


def _record(conn, table: Table, profile: ImportProfile, result, rejected_rows: int) -> None:
    audit.record(conn, "import", "orders", table.source, after={
        "file": table.source, "profile": profile.name, "imported": result.inserted, "updated": result.updated,
        "unchanged": result.unchanged, "rejected_rows": rejected_rows})


def _report(table: Table, profile: ImportProfile, result, problems: list[RowProblem], rejected_rows: list[int],
            rejected_orders: int, hub) -> ImportReport:
    report = ImportReport(
        imported=result.inserted, updated=result.updated, unchanged=result.unchanged, rejected=len(rejected_rows),
        rejected_orders=rejected_orders, rows=len(table.rows), errors=problems, order_ids=result.ids,
        rejected_rows=rejected_rows, profile=profile.name, encoding=table.encoding, delimiter=table.delimiter,
    )
    if hub is not None and (result.inserted or result.updated):
        ids = sorted(result.ids.values())
        hub.publish("orders.changed", ids=ids if len(ids) <= 500 else None)  # None: listeners reload everything
    return report


def exit_with_parent() -> None:
    """In a spawned worker: end this process when the one that started it ends (killed, crashed or closed),
    so a stopped import never leaves workers behind."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@contextmanager
def read_with_workers(path: str | Path) -> Iterator[tuple[Table, Executor | None]]:
    """The file read, and worker processes to check it (a big file only), started while it is read."""
    with worker_pool(expected_rows(path)) as pool:
        with gc_paused():
            table = read_table(path)
        yield table, pool


def expected_rows(path: str | Path) -> int:
    """A guess at a file's row count from its size (about 100 bytes a row), to start workers before reading it."""
    try:
        return Path(path).stat().st_size // 100
    except OSError:
        return 0


def check_workers(rows: int) -> int:
    """How many worker processes check a file of `rows` rows: none for a small file or a one-core computer, else one
    per core but one (the saving process checks too whenever it would otherwise wait), at most four."""
    if rows < assemble.PARALLEL_FROM:
        return 0
    return max(0, min((os.cpu_count() or 1) - 1, 4))


@contextmanager
def worker_pool(rows: int) -> Iterator[Executor | None]:
    """Worker processes for checking a big file (check_workers), or None when the file is small or there is one core.

    Spawned, never forked: the app's process runs Qt. Ending the pool ends its workers, also on errors."""
    workers = check_workers(rows)
    if not workers:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=exit_with_parent)
    try:
        for _ in range(workers):  # start them now, so they load while the caller reads the file
            pool.submit(int)
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def write_rejects(path: str | Path, table: Table, problems: list[RowProblem], rejected_rows: list[int]) -> int:
    """The rejected rows (indexes into table.rows) as a CSV the user can fix and import again: the original columns
    plus the reasons from `problems`."""
    from ..exports.tables import neutralise

    reasons: dict[int, list[str]] = {}
    for problem in problems:
        reasons.setdefault(problem.row, []).append(f"{problem.column}: {problem.reason}")
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Row", *table.headers, "Reason"])
        for index in rejected_rows:
            number = table.row_number(index)
            writer.writerow([number, *(neutralise(c) for c in table.rows[index]),
                             neutralise("; ".join(reasons.get(number, ["another row of this order was rejected"])))])
    return len(rejected_rows)
