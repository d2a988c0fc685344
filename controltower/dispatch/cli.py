"""`controltower quote --db DB ORDER_ID [--json]`: every way to send one order, side by side, and the one chosen."""
from __future__ import annotations

import argparse
import json
import sys

from ..kernel.errors import UserFacingError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="controltower quote", description=__doc__.split(":", 1)[1].strip())
    parser.add_argument("--db", required=True, help="the Control Tower store file")
    parser.add_argument("order", help="the order's id in the store, or the shop's order number")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON, one entry per way")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from ..store import Database
    from .service import DispatchService

    db = Database(args.db)
    try:
        order_id = _resolve(db, args.order)
        if order_id is None:
            print(f"No order {args.order!r} in {args.db}.", file=sys.stderr)
            return 2
        comparison = DispatchService(db).compare_now(order_id)
    except UserFacingError as error:
        print(str(error), file=sys.stderr)
        return 1
    finally:
        db.close()
    if args.json:
        ways = [{"order_ref": comparison.order.order_ref, **entry} for entry in comparison.to_json()]
        print(json.dumps(ways, indent=2))
    else:
        _print_table(comparison)
    return 0


def _resolve(db, text: str) -> int | None:
    by_ref = db.scalar("SELECT id FROM orders WHERE order_ref = ?", (text,))
    if by_ref is not None:
        return by_ref
    if text.isdigit():
        return db.scalar("SELECT id FROM orders WHERE id = ?", (int(text),))
    return None


def _print_table(comparison) -> None:
    print(f"Order {comparison.order.order_ref}: {comparison.decision.reason}")
    for entry in comparison.to_json():
        mark = "*" if entry["chosen"] else " "
        price = f"{entry['price']} {entry['currency']}" if entry["price"] is not None else "—"
        print(f" {mark} {entry['name'][:22]:<22} {entry['service'][:14]:<14} {price:>12}  "
              f"eta {entry['estimated_delivery'] or '—':<25} {entry['reason']}")
