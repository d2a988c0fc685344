"""`controltower export orders|shipments|routes|exceptions|kpis --db DB --out FILE`: CSV or XLSX by the file's extension."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..kernel.errors import UserFacingError
from .tables import EXPORTS, export, written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="controltower export", description="Export data to CSV or XLSX.")
    parser.add_argument("what", choices=[*sorted(EXPORTS), "kpis"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True, help="file to write; .csv or .xlsx")
    parser.add_argument("--days", type=_positive, default=None,
                        help="kpis only: the last N days in the shop's time zone, today included (default 7)")
    args = parser.parse_args(argv)
    if args.days is not None and args.what != "kpis":
        parser.error("--days applies to kpis only")  # exits 2
    if not Path(args.db).exists():
        print(f"controltower export: no store at {args.db}", file=sys.stderr)
        return 2
    from ..store import Database

    db = Database(args.db)
    try:
        if args.what == "kpis":
            summary = _export_kpis(db, args.out, args.days or 7)
        else:
            summary = f"{written(db.conn, args.what, export(db.conn, args.what, args.out))} written to {args.out}"
    except (UserFacingError, OSError) as exc:
        print(f"controltower export: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()
    print(summary)
    return 0


def _export_kpis(db, out: str, days: int) -> str:
    from ..control.kpis import KpiService
    from .kpis import export_kpis

    service = KpiService(db, currency=db.get_setting("shop.currency") or "USD")
    return export_kpis(service, service.last_days(days), out, service.zone()).summary()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
