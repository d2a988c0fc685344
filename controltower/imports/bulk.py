"""Saving many orders in one transaction fast: new orders in batches, known ones compared and updated only when changed.

`BulkWriter` takes checked rows a chunk at a time (so checking and saving can overlap) inside the caller's
transaction. A big import into a small store drops the orders table's secondary indexes and the per-row
full-text trigger, and builds them again at `finish()`: one sort per index instead of a B-tree insert per row
and index. All of it is inside the transaction, so a crash or a cancel leaves the store as it was.
"""
from __future__ import annotations

import sqlite3
import threading
from typing import Callable, Iterable

from ..domain import Order
from ..domain.timeutil import to_iso, utcnow
from ..store.orders import ORDER_FIELDS, OrderRow, UpsertResult, order_row

BATCH = 5000
# Per-row full-text triggers cost more than the insert itself; above this many new orders the
# index is filled once per batch instead.
_BULK_FTS_FROM = 500
# Rebuilding the secondary indexes is a sort of the whole table; it wins when the import is big next to the store.
_REBUILD_INDEXES_FROM = 10_000
_FTS_COLUMNS = "order_ref, customer_name, street, city, postcode, phone, email"
_INSERT_WITH_ID_SQL = f"INSERT INTO orders(id, {', '.join(ORDER_FIELDS)}) VALUES ({', '.join('?' * (1 + len(ORDER_FIELDS)))})"
_LINE_SQL = "INSERT INTO order_lines(order_id, sku, name, quantity, unit_price_minor) VALUES (?,?,?,?,?)"
# What a re-import may change: everything but the order number, its creation time, the app's status, and updated_at.
_KEPT = ("order_ref", "created_at", "status", "updated_at")
_COMPARED = [i for i, f in enumerate(ORDER_FIELDS) if f not in _KEPT]
_UPDATED = [i for i, f in enumerate(ORDER_FIELDS) if f not in ("order_ref", "created_at", "status")]
# A file has no position: the one the app found (or the user dropped) stays while the address is the same.
_GEO = {ORDER_FIELDS.index(f) for f in ("lat", "lon", "geo_precision", "geo_confidence")}
_ADDRESS = [ORDER_FIELDS.index(f) for f in ("street", "line2", "city", "region", "postcode", "country")]
_UPDATED_KEEP_GEO = [i for i in _UPDATED if i not in _GEO]
_UPDATE_SQL = f"UPDATE orders SET {', '.join(ORDER_FIELDS[i] + ' = ?' for i in _UPDATED)} WHERE id = ?"
_UPDATE_KEEP_GEO_SQL = f"UPDATE orders SET {', '.join(ORDER_FIELDS[i] + ' = ?' for i in _UPDATED_KEEP_GEO)} WHERE id = ?"
_SELECT_KNOWN = f"SELECT order_ref, id, {', '.join(ORDER_FIELDS[i] for i in _COMPARED)} FROM orders WHERE order_ref IN "


class BulkWriter:
    """Saves OrderRows by order number inside an open transaction: new ones inserted, changed ones updated
    (fields and line items), unchanged ones left alone. Call `add()` per chunk, then `finish()` once."""

    def __init__(self, conn: sqlite3.Connection, expected: int, cancel: threading.Event | None = None) -> None:
        self.conn = conn
        self.cancel = cancel
        self.inserted = self.updated = self.unchanged = 0
        self.ids: dict[str, int] = {}
        self._fts_trigger: str | None = None
        self._indexes: list[str] = []
        if expected >= _REBUILD_INDEXES_FROM:
            stored = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
            if expected * 2 >= stored:
                self._indexes = _drop_secondary_indexes(conn)
        if expected >= _BULK_FTS_FROM:
            self._fts_trigger = _suspend_fts_trigger(conn)

    def add(self, values: list[tuple], lines: list[tuple]) -> None:
        """Save orders given side by side: `values[i]` an orders-table row (order_values), `lines[i]` its items."""
        for start in range(0, len(values), BATCH):
            self._check_cancel()
            batch, batch_lines = values[start:start + BATCH], lines[start:start + BATCH]
            known = self._known(batch)
            if not known:
                self._insert(batch, batch_lines)
                continue
            new = [i for i, v in enumerate(batch) if v[0] not in known]
            self._insert([batch[i] for i in new], [batch_lines[i] for i in new])
            stored_lines = self._stored_lines([stored[0] for stored in known.values()])
            for row, row_lines in zip(batch, batch_lines):
                stored = known.get(row[0])
                if stored is not None:
                    self._update(row, row_lines, stored, stored_lines.get(stored[0], []))

    def finish(self) -> UpsertResult:
        self._check_cancel()
        for sql in self._indexes:
            self.conn.execute(sql)
        if self._fts_trigger:
            self.conn.execute(self._fts_trigger)
        self._indexes, self._fts_trigger = [], None
        return UpsertResult(self.inserted, self.updated, self.unchanged, self.ids)

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            from .assemble import ImportCancelled

            raise ImportCancelled("import stopped; nothing was saved")

    def _known(self, batch: list[tuple]) -> dict[str, tuple]:
        """Order number -> (id, compared fields...) for the batch's orders already in the store."""
        refs = [v[0] for v in batch]
        found: dict[str, tuple] = {}
        for start in range(0, len(refs), 900):
            chunk = refs[start:start + 900]
            for row in self.conn.execute(f"{_SELECT_KNOWN}({', '.join('?' * len(chunk))})", chunk):
                found[row[0]] = tuple(row)[1:]
        return found

    def _stored_lines(self, ids: list[int]) -> dict[int, list[tuple]]:
        lines: dict[int, list[tuple]] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            for row in self.conn.execute(
                    "SELECT order_id, sku, name, quantity, unit_price_minor FROM order_lines "
                    f"WHERE order_id IN ({', '.join('?' * len(chunk))}) ORDER BY order_id, id", chunk):
                lines.setdefault(row[0], []).append(tuple(row)[1:])
        return lines

    def _insert(self, new: list[tuple], lines: list[tuple]) -> None:
        if not new:
            return
        conn = self.conn
        # Ids given, not read back: this transaction is the only writer, so the next ones are free.
        first_id = (conn.execute("SELECT max(id) FROM orders").fetchone()[0] or 0) + 1
        conn.executemany(_INSERT_WITH_ID_SQL, [(first_id + i, *values) for i, values in enumerate(new)])
        batch_ids = {values[0]: first_id + i for i, values in enumerate(new)}
        if self._fts_trigger:
            conn.execute(f"INSERT INTO orders_fts(rowid, {_FTS_COLUMNS}) SELECT id, {_FTS_COLUMNS} FROM orders WHERE id >= ?",
                         (first_id,))
        conn.executemany(_LINE_SQL, [(batch_ids[v[0]], *line) for v, items in zip(new, lines) for line in items])
        self.ids.update(batch_ids)
        self.inserted += len(new)

    def _update(self, values: tuple, items: tuple, stored: tuple, lines: list[tuple]) -> None:
        order_id = stored[0]
        self.ids[values[0]] = order_id
        was = dict(zip(_COMPARED, stored[1:]))
        same_address = all(was[i] == values[i] for i in _ADDRESS)
        keep_geo = same_address and values[ORDER_FIELDS.index("lat")] is None
        if all(was[i] == values[i] for i in _COMPARED if not (keep_geo and i in _GEO)) \
                and lines == [tuple(x) for x in items]:
            self.unchanged += 1
            return
        if keep_geo:
            self.conn.execute(_UPDATE_KEEP_GEO_SQL, [values[i] for i in _UPDATED_KEEP_GEO] + [order_id])
        else:
            self.conn.execute(_UPDATE_SQL, [values[i] for i in _UPDATED] + [order_id])
        self.conn.execute("DELETE FROM order_lines WHERE order_id = ?", (order_id,))
        self.conn.executemany(_LINE_SQL, [(order_id, *line) for line in items])
        self.updated += 1


def save_rows(conn: sqlite3.Connection, rows: list[OrderRow], progress: Callable[[int, int], None] | None = None,
              cancel: threading.Event | None = None) -> UpsertResult:
    """Insert new orders and update changed ones by order number. Call inside a transaction."""
    writer = BulkWriter(conn, len(rows), cancel)
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        writer.add([r.values for r in batch], [r.lines for r in batch])
        if progress:
            progress(min(start + BATCH, len(rows)), len(rows))
    return writer.finish()


def save_orders(conn: sqlite3.Connection, orders: Iterable[Order],
                progress: Callable[[int, int], None] | None = None,
                cancel: threading.Event | None = None) -> UpsertResult:
    """Domain Orders (from a shop's API) saved like an import's rows. Call inside a transaction."""
    now = to_iso(utcnow())
    return save_rows(conn, [order_row(order, now) for order in orders], progress, cancel)


def _drop_secondary_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the orders table's own indexes (not the order-number one, which finds known orders); returns their SQL."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' "
                        "AND sql IS NOT NULL").fetchall()
    for name, _sql in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def _suspend_fts_trigger(conn: sqlite3.Connection) -> str | None:
    """Drop the per-row FTS insert trigger for this transaction; returns the SQL that puts it back."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'orders_fts_insert'").fetchone()
    if row is None:
        return None
    conn.execute("DROP TRIGGER orders_fts_insert")
    return row[0]
