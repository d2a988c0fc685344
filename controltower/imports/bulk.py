"""Saving many orders in one transaction fast: new orders in batches, existing ones through store.orders.upsert_orders."""
from __future__ import annotations

import sqlite3
import threading
from typing import Callable

from ..domain import Order
from ..store.orders import _ORDER_FIELDS, UpsertResult, order_to_row, upsert_orders

BATCH = 5000
# Per-row full-text triggers cost more than the insert itself; above this many new orders the
# index is filled once per batch instead (inside the same transaction, so a crash undoes both).
_BULK_FTS_FROM = 500
_FTS_COLUMNS = "order_ref, customer_name, street, city, postcode, phone, email"


def save_orders(conn: sqlite3.Connection, orders: list[Order],
                progress: Callable[[int, int], None] | None = None,
                cancel: threading.Event | None = None) -> UpsertResult:
    """Insert new orders and update changed ones by order_ref (same rules as upsert_orders). Call inside a transaction."""
    existing = _existing_refs(conn, [o.order_ref.strip() for o in orders])
    known = [o for o in orders if o.order_ref.strip() in existing]
    new = [o for o in orders if o.order_ref.strip() not in existing]
    ids: dict[str, int] = {}
    result = upsert_orders(conn, known) if known else UpsertResult()
    ids.update(result.ids)
    total = len(orders)
    done = len(known)
    if progress:
        progress(done, total)
    trigger_sql = _suspend_fts_trigger(conn) if len(new) >= _BULK_FTS_FROM else None
    insert_sql = f"INSERT INTO orders({', '.join(_ORDER_FIELDS)}) VALUES ({', '.join('?' * len(_ORDER_FIELDS))})"
    for start in range(0, len(new), BATCH):
        if cancel is not None and cancel.is_set():
            from .assemble import ImportCancelled

            raise ImportCancelled("import stopped; nothing was saved")
        batch = new[start:start + BATCH]
        first_id = (conn.execute("SELECT max(id) FROM orders").fetchone()[0] or 0) + 1
        conn.executemany(insert_sql, ([row[f] for f in _ORDER_FIELDS] for row in map(order_to_row, batch)))
        batch_ids = {r[1]: r[0] for r in conn.execute("SELECT id, order_ref FROM orders WHERE id >= ?", (first_id,))}
        if trigger_sql:
            conn.execute(f"INSERT INTO orders_fts(rowid, {_FTS_COLUMNS}) SELECT id, {_FTS_COLUMNS} FROM orders WHERE id >= ?",
                         (first_id,))
        conn.executemany(
            "INSERT INTO order_lines(order_id, sku, name, quantity, unit_price_minor) VALUES (?,?,?,?,?)",
            [(batch_ids[o.order_ref.strip()], line.sku, line.name, line.quantity,
              line.unit_price.amount_minor if line.unit_price else None) for o in batch for line in o.lines],
        )
        ids.update(batch_ids)
        done += len(batch)
        if progress:
            progress(done, total)
    if trigger_sql:
        conn.execute(trigger_sql)
    return UpsertResult(result.inserted + len(new), result.updated, result.unchanged, ids)


def _existing_refs(conn: sqlite3.Connection, refs: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(refs), 900):
        chunk = refs[start:start + 900]
        found.update(r[0] for r in conn.execute(
            f"SELECT order_ref FROM orders WHERE order_ref IN ({', '.join('?' * len(chunk))})", chunk))
    return found


def _suspend_fts_trigger(conn: sqlite3.Connection) -> str | None:
    """Drop the per-row FTS insert trigger for this transaction; returns the SQL that puts it back."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'orders_fts_insert'").fetchone()
    if row is None:
        return None
    conn.execute("DROP TRIGGER orders_fts_insert")
    return row[0]
