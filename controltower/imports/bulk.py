"""Saving checked orders for an import: in batches through the store's BulkWriter, with progress and a way to stop."""
from __future__ import annotations

import sqlite3
import threading
from typing import Callable, Iterable

from ..domain import Order
from ..domain.timeutil import to_iso, utcnow
from ..store.orders import BATCH, BulkWriter, OrderRow, UpsertResult, order_row
from ..store.shop_clock import shop_zone
from .assemble import stop_if_cancelled


def save_rows(conn: sqlite3.Connection, rows: list[OrderRow], progress: Callable[[int, int], None] | None = None,
              cancel: threading.Event | None = None) -> UpsertResult:
    """Insert new orders and update changed ones by order number. Call inside a transaction."""
    writer = BulkWriter(conn, len(rows))
    for start in range(0, len(rows), BATCH):
        stop_if_cancelled(cancel)
        batch = rows[start:start + BATCH]
        writer.add([r.values for r in batch], [r.lines for r in batch])
        if progress:
            progress(min(start + BATCH, len(rows)), len(rows))
    stop_if_cancelled(cancel)
    return writer.finish()


def save_orders(conn: sqlite3.Connection, orders: Iterable[Order],
                progress: Callable[[int, int], None] | None = None,
                cancel: threading.Event | None = None) -> UpsertResult:
    """Domain Orders (from a shop's API) saved like an import's rows. Call inside a transaction."""
    now = to_iso(utcnow())
    zone = shop_zone(conn)  # each order's delivery date is the shop's day of its promise
    return save_rows(conn, [order_row(order, now, zone) for order in orders], progress, cancel)
