"""`controltower import FILE --db DB [--profile NAME] [--json] [--rejects OUT.csv]`: import orders from a file."""
from __future__ import annotations

import argparse
import json
import sys

from ..kernel.errors import InputError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="controltower import", description="Import orders from a CSV or XLSX file.")
    parser.add_argument("file")
    parser.add_argument("--db", required=True, help="the store's SQLite file")
    parser.add_argument("--profile", default=None, help="shopify, woocommerce, generic or a saved profile (default: guess)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the result")
    parser.add_argument("--rejects", default=None, help="write rejected rows and reasons to this CSV")
    parser.add_argument("--progress", action="store_true", help="print progress lines on stderr")
    args = parser.parse_args(argv)

    from ..store import Database
    from .importer import import_table, worker_pool, write_rejects
    from .profiles import guess_profile, load_profile
    from .reading import read_table

    def progress(phase: str, done: int, total: int) -> None:
        if args.progress:
            print(f"{phase} {done}/{total}", file=sys.stderr, flush=True)

    try:
        table = read_table(args.file)
    except InputError as exc:
        print(f"controltower import: {exc}", file=sys.stderr)
        return 2
    db = Database(args.db)
    try:
        try:
            profile = load_profile(db, args.profile) if args.profile else guess_profile(table.headers)
        except KeyError:
            print(f"controltower import: no profile called {args.profile!r}", file=sys.stderr)
            return 2
        if "order_ref" not in profile.resolve(table.headers):
            print(f"controltower import: {table.source} has no order number column for the {profile.name} profile "
                  f"(columns: {', '.join(table.headers[:12])}). Choose another --profile.", file=sys.stderr)
            return 2
        with worker_pool(len(table.rows)) as pool:  # checked in workers while the checked part is saved
            report = import_table(db, table, profile, progress=progress, pool=pool)
        if args.rejects and report.rejected_rows:
            write_rejects(args.rejects, table, report.errors, report.rejected_rows)
    finally:
        db.close()
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(f"{report.imported} new, {report.updated} updated, {report.unchanged} unchanged, "
              f"{report.rejected} rows rejected ({report.rows} rows read)")
        for problem in report.errors[:50]:
            print(f"  row {problem.row}, {problem.column}: {problem.reason}")
    return 0
