"""`controltower import FILE --db DB [--create] [--profile NAME] [--json] [--rejects OUT.csv]`: import orders from a file."""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from ..kernel.errors import InputError, UserFacingError

_STORE_FILES = ("", "-wal", "-shm", "-journal")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # never echo a file's control bytes to the terminal


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="controltower import", description="Import orders from a CSV or XLSX file.")
    parser.add_argument("file")
    parser.add_argument("--db", required=True, help="the store's SQLite file")
    parser.add_argument("--profile", default=None, help="shopify, woocommerce, generic or a saved profile (default: guess)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the result")
    parser.add_argument("--rejects", default=None, help="write rejected rows and reasons to this CSV")
    parser.add_argument("--progress", action="store_true", help="print progress lines on stderr")
    parser.add_argument("--create", action="store_true", help="make a new store at --db when none is there")
    args = parser.parse_args(argv)

    new_store = not Path(args.db).exists()
    if new_store and not args.create:  # a mistyped --db must not quietly become a second store
        return _refuse(args, InputError(f"There is no store at {args.db}, so nothing was imported.",
                                        "Check the path, or add --create to make a new store there."))
    try:
        report = _import(args)
    except UserFacingError as exc:
        if new_store:  # a failed import leaves no empty store behind where there was none
            for suffix in _STORE_FILES:
                Path(args.db + suffix).unlink(missing_ok=True)
        return _refuse(args, exc)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(f"{report.imported} new, {report.updated} updated, {report.unchanged} unchanged, "
              f"{report.rejected} rows rejected ({report.rows} rows read)")
        for problem in report.errors[:50]:
            print(printable(f"  row {problem.row}, {problem.column}: {problem.reason}"))
    return 0


def _import(args):
    """The import itself; raises UserFacingError for anything the user can act on."""
    from ..store import Database
    from .importer import import_table, worker_pool, write_rejects
    from .profiles import guess_profile, load_profile
    from .reading import read_table

    def progress(phase: str, done: int, total: int) -> None:
        if args.progress:
            print(f"{phase} {done}/{total}", file=sys.stderr, flush=True)

    table = read_table(args.file)
    db = Database(args.db)
    try:
        try:
            profile = load_profile(db, args.profile) if args.profile else guess_profile(table.headers)
        except KeyError:
            raise InputError(f"There is no import profile called {args.profile!r}.",
                             "Use shopify, woocommerce, generic or a profile saved in the import wizard.") from None
        if "order_ref" not in profile.resolve(table.headers):
            raise InputError(f"{table.source} has no order number column for the {profile.name} profile "
                             f"(columns: {', '.join(table.headers[:12])}).", "Choose another --profile.")
        with worker_pool(len(table.rows)) as pool:  # checked in workers while the checked part is saved
            report = import_table(db, table, profile, progress=progress, pool=pool)
        if args.rejects and report.rejected_rows:
            write_rejects(args.rejects, table, report.errors, report.rejected_rows)
    finally:
        db.close()
    return report


def _refuse(args, exc: UserFacingError) -> int:
    """One plain sentence (and what to do), on stderr, or as JSON on stdout with --json; exit code 2."""
    message, advice = printable(exc.message), printable(exc.advice)
    if args.json:
        print(json.dumps({"error": message, "advice": advice}, ensure_ascii=False))
    else:
        print(f"controltower import: {message} {advice}".rstrip(), file=sys.stderr)
    return 2


def printable(text: str) -> str:
    """Text from a file made safe for a terminal: control characters shown as '?'."""
    return _UNPRINTABLE.sub("?", text)
