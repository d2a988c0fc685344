"""One import of one file: read, check, save in a single transaction, and report what happened."""
from __future__ import annotations

import csv
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..store import audit
from .assemble import ImportCancelled, Prepared, Progress, RowProblem, gc_paused, prepare
from .bulk import save_orders
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
    with gc_paused():
        table = read_table(path)
    return import_table(db, table, profile or guess_profile(table.headers), progress=progress, cancel=cancel, hub=hub)


def import_table(db, table: Table, profile: ImportProfile, *, progress: Progress | None = None,
                 cancel: threading.Event | None = None, hub=None) -> ImportReport:
    prepared = prepare(table, profile, progress, cancel)
    return save_prepared(db, table, profile, prepared, progress=progress, cancel=cancel, hub=hub)


def save_prepared(db, table: Table, profile: ImportProfile, prepared: Prepared, *, progress: Progress | None = None,
                  cancel: threading.Event | None = None, hub=None) -> ImportReport:
    """Save a checked file's good orders in one transaction (a crash or cancel leaves the store as it was)."""
    total = len(prepared.orders)

    def saving(done: int, _total: int) -> None:
        if progress:
            progress("saving", done, total)

    with gc_paused(), db.transaction() as conn:
        result = save_orders(conn, prepared.orders, saving, cancel)
        audit.record(conn, "import", "orders", table.source, after={
            "file": table.source, "profile": profile.name, "imported": result.inserted, "updated": result.updated,
            "unchanged": result.unchanged, "rejected_rows": prepared.rejected_row_count})
    report = ImportReport(
        imported=result.inserted, updated=result.updated, unchanged=result.unchanged,
        rejected=prepared.rejected_row_count, rejected_orders=prepared.rejected_orders, rows=prepared.total_rows,
        errors=prepared.problems, order_ids=result.ids, profile=profile.name, encoding=table.encoding,
        delimiter=table.delimiter,
    )
    if hub is not None and (result.inserted or result.updated):
        ids = sorted(result.ids.values())
        hub.publish("orders.changed", ids=ids if len(ids) <= 500 else None)  # None: listeners reload everything
    return report


def write_rejects(path: str | Path, table: Table, prepared: Prepared) -> int:
    """The rejected rows as a CSV the user can fix and import again: original columns plus the reasons."""
    from .export import neutralise

    reasons: dict[int, list[str]] = {}
    for problem in prepared.problems:
        reasons.setdefault(problem.row, []).append(f"{problem.column}: {problem.reason}")
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Row", *table.headers, "Reason"])
        for index in prepared.rejected_rows:
            number = table.row_number(index)
            writer.writerow([number, *(neutralise(c) for c in table.rows[index]),
                             neutralise("; ".join(reasons.get(number, ["another row of this order was rejected"])))])
    return len(prepared.rejected_rows)
