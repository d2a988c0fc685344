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
        not_asked = carriers_not_asked(db)
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
    for name, why in not_asked:  # on stderr with --json, so the JSON on stdout stays one list of ways
        print(f"Not asked: {name}: {why}.", file=sys.stderr if args.json else sys.stdout)
    return 0


def carriers_not_asked(db) -> list[tuple[str, str]]:
    """(name, why) for each carrier account the comparison could not ask, so a short table is never a silent one."""
    from ..carriers import registry
    from ..domain.models import CarrierKind
    from ..store import carrier_accounts

    skipped = []
    for account in carrier_accounts.all_accounts(db.reader()):
        if account.kind in (CarrierKind.OWN_FLEET.value, CarrierKind.PICKUP.value):
            continue  # priced in the store, always in the table
        name = account.name or account.code
        if not account.enabled:
            skipped.append((name, "turned off; add its key and turn it on in Settings > Carriers"))
            continue
        try:
            registry.factory_for(account.code)
        except KeyError:
            why = ("a sandbox courier answers only while the demo app runs (controltower --demo)"
                   if account.code.startswith("sandbox:") else "this copy of Control Tower has no adapter for it")
            skipped.append((name, why))
    return skipped


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
