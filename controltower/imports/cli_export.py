"""`controltower export orders|shipments|routes|exceptions --db DB --out FILE`: CSV or XLSX by the file's extension."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError
from .export import EXPORTS, export


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="controltower export", description="Export data to CSV or XLSX.")
    parser.add_argument("what", choices=sorted(EXPORTS))
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True, help="file to write; .csv or .xlsx")
    args = parser.parse_args(argv)
    if not Path(args.db).exists():
        print(f"controltower export: no store at {args.db}", file=sys.stderr)
        return 2
    from ..store import Database

    db = Database(args.db)
    try:
        count = export(db.conn, args.what, args.out)
    except (InputError, OSError) as exc:
        print(f"controltower export: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()
    print(f"{count} {args.what} written to {args.out}")
    return 0
