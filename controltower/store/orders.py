"""Orders in the store: batch upsert by the shop's order id, and the paged queries the Orders view makes."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Iterable, NamedTuple

from ..domain import Address, DeliveryOption, GeoPoint, GeoPrecision, Money, Order, OrderLine, ShipmentStatus, TimeWindow
from ..domain.timeutil import from_iso, to_iso, utcnow
from .shop_clock import day_in, shop_zone

# Columns the Orders view may sort by, mapped to SQL (never interpolate user text).
SORTABLE = {
    "order_ref": "order_ref", "created_at": "created_at", "customer_name": "customer_name", "city": "city",
    "delivery_option": "delivery_option", "promised_end": "promised_end", "status": "status",
    "value_minor": "value_minor", "carrier": "carrier", "street": "street", "postcode": "postcode", "parcels": "parcels",
}
_ORDER_FIELDS = (
    "order_ref", "source", "created_at", "updated_at", "customer_name", "phone", "email", "street", "line2", "city",
    "region", "postcode", "country", "lat", "lon", "geo_precision", "geo_confidence", "delivery_option",
    "promised_start", "promised_end", "delivery_date", "parcels", "weight_g", "value_minor", "currency", "notes", "status",
)
ORDER_FIELDS = _ORDER_FIELDS


class OrderRow(NamedTuple):
    """An order as the store lays it out: `values` in ORDER_FIELDS order, `lines` as (sku, name, quantity, unit_price_minor)."""

    values: tuple
    lines: tuple[tuple[str, str, int, int | None], ...] = ()

    @property
    def ref(self) -> str:
        return self.values[0]


def order_values(order_ref: str, source: str, created_at: str, updated_at: str, customer_name: str, phone: str,
                 email: str, street: str, line2: str, city: str, region: str, postcode: str, country: str,
                 delivery_option: str, promised_start: str | None, promised_end: str | None, delivery_date: str | None,
                 parcels: int, weight_g: int, value_minor: int, currency: str, notes: str, lat: float | None = None,
                 lon: float | None = None, geo_precision: str = GeoPrecision.UNKNOWN.value, geo_confidence: float = 0.0,
                 status: str = ShipmentStatus.CREATED.value) -> tuple:
    """One row of the orders table in ORDER_FIELDS order: the one place a stored order is laid out
    (order_row uses it for domain Orders, the importer's check for file rows). Times are ISO UTC text."""
    return (order_ref.strip(), source, created_at, updated_at, customer_name, phone, email, street, line2, city, region,
            postcode, country, lat, lon, geo_precision, geo_confidence, delivery_option, promised_start, promised_end,
            delivery_date, parcels, weight_g, value_minor, currency, notes, status)


def order_row(order: Order, updated_at: str | None, zone: tzinfo) -> OrderRow:
    """The store row of a domain Order; its delivery date is the promise's day in `zone` (the shop's: shop_zone)."""
    window = order.promised_window
    location = order.location
    values = order_values(
        order.order_ref, order.source, to_iso(order.created_at), updated_at or to_iso(utcnow()), order.customer_name,
        order.phone, order.email, order.address.street, order.address.line2, order.address.city, order.address.region,
        order.address.postcode, order.address.country, order.delivery_option.value,
        to_iso(window.start) if window else None, to_iso(window.end) if window else None,
        day_in(zone, window.start).isoformat() if window else None, order.parcels, order.weight_g,
        order.value.amount_minor, order.value.currency, order.notes,
        lat=location.lat if location else None, lon=location.lon if location else None,
        geo_precision=location.precision.value if location else GeoPrecision.UNKNOWN.value,
        geo_confidence=location.confidence if location else 0.0, status=order.status.value)
    lines = tuple((line.sku, line.name, line.quantity, line.unit_price.amount_minor if line.unit_price else None)
                  for line in order.lines)
    return OrderRow(values, lines)


def row_to_order(row: sqlite3.Row | dict, lines: Iterable[OrderLine] = ()) -> Order:
    row = dict(row)
    location = None
    if row["lat"] is not None and row["lon"] is not None:
        location = GeoPoint(row["lat"], row["lon"], GeoPrecision(row["geo_precision"]), row["geo_confidence"])
    window = None
    if row["promised_start"] and row["promised_end"]:
        window = TimeWindow(from_iso(row["promised_start"]), from_iso(row["promised_end"]))
    return Order(
        id=row["id"], order_ref=row["order_ref"], customer_name=row["customer_name"],
        address=Address(row["street"], row["city"], row["postcode"], row["country"], row["line2"], row["region"]),
        delivery_option=DeliveryOption(row["delivery_option"]), created_at=from_iso(row["created_at"]),
        phone=row["phone"], email=row["email"], location=location, promised_window=window, parcels=row["parcels"],
        weight_g=row["weight_g"], value=Money(row["value_minor"], row["currency"]), notes=row["notes"],
        source=row["source"], status=ShipmentStatus(row["status"]), lines=tuple(lines),
    )


@dataclass(frozen=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: dict[str, int] = field(default_factory=dict)


def upsert_orders(conn: sqlite3.Connection, orders: Iterable[Order]) -> UpsertResult:
    """Insert new orders and update changed ones, keyed by order_ref (BulkWriter's rules). Call inside one transaction."""
    now = to_iso(utcnow())
    zone = shop_zone(conn)
    rows = [order_row(order, now, zone) for order in orders]
    writer = BulkWriter(conn, len(rows))
    writer.add([r.values for r in rows], [r.lines for r in rows])
    return writer.finish()


BATCH = 5000
# Per-row full-text triggers cost more than the insert itself; above this many new orders the
# index is filled once per batch instead.
_BULK_FTS_FROM = 500
# Rebuilding the secondary indexes is a sort of the whole table; it wins when the import is big next to the store.
_REBUILD_INDEXES_FROM = 10_000
_FTS_COLUMNS = "order_ref, customer_name, street, city, postcode, phone, email"
_INSERT_WITH_ID_SQL = f"INSERT INTO orders(id, {', '.join(ORDER_FIELDS)}) VALUES ({', '.join('?' * (1 + len(ORDER_FIELDS)))})"
_LINE_SQL = "INSERT INTO order_lines(order_id, sku, name, quantity, unit_price_minor) VALUES (?,?,?,?,?)"
# What saving an order again may change: everything but the order number, its creation time, the app's status, and updated_at.
_KEPT = ("order_ref", "created_at", "status", "updated_at")
_COMPARED = [i for i, f in enumerate(ORDER_FIELDS) if f not in _KEPT]
_UPDATED = [i for i, f in enumerate(ORDER_FIELDS) if f not in ("order_ref", "created_at", "status")]
# A row without a position (a file's, a shop's) keeps the one the app found or the user dropped, while the address is the same.
_GEO = {ORDER_FIELDS.index(f) for f in ("lat", "lon", "geo_precision", "geo_confidence")}
_LAT = ORDER_FIELDS.index("lat")
_ADDRESS = [ORDER_FIELDS.index(f) for f in ("street", "line2", "city", "region", "postcode", "country")]
_UPDATED_KEEP_GEO = [i for i in _UPDATED if i not in _GEO]
_UPDATE_SQL = f"UPDATE orders SET {', '.join(ORDER_FIELDS[i] + ' = ?' for i in _UPDATED)} WHERE id = ?"
_UPDATE_KEEP_GEO_SQL = f"UPDATE orders SET {', '.join(ORDER_FIELDS[i] + ' = ?' for i in _UPDATED_KEEP_GEO)} WHERE id = ?"
_SELECT_KNOWN = f"SELECT order_ref, id, {', '.join(ORDER_FIELDS[i] for i in _COMPARED)} FROM orders WHERE order_ref IN "


class BulkWriter:
    """Saves orders by order number inside an open transaction: new ones inserted, changed ones updated (fields
    and line items; a position found by the app stays while the address is the same), unchanged ones left alone.
    Call `add()` per chunk, then `finish()` once.

    Fast for many orders: new ones in batches with their ids given; a big save into a small store drops the orders
    table's secondary indexes and the per-row full-text trigger, and builds them again at `finish()` (one sort per
    index instead of a B-tree insert per row and index). All inside the caller's transaction, so a crash or an
    exception before the commit leaves the store as it was."""

    def __init__(self, conn: sqlite3.Connection, expected: int) -> None:
        self.conn = conn
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
        for sql in self._indexes:
            self.conn.execute(sql)
        if self._fts_trigger:
            self.conn.execute(self._fts_trigger)
        self._indexes, self._fts_trigger = [], None
        return UpsertResult(self.inserted, self.updated, self.unchanged, self.ids)

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
        keep_geo = same_address and values[_LAT] is None
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


def get_order(conn: sqlite3.Connection, order_id: int) -> Order | None:
    row = conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        return None
    lines = [
        OrderLine(r["sku"], r["name"], r["quantity"], None if r["unit_price_minor"] is None else Money(r["unit_price_minor"], row["currency"]))
        for r in conn.execute("SELECT * FROM order_lines WHERE order_id = ? ORDER BY id", (order_id,))
    ]
    return row_to_order(row, lines)


def set_promise(conn: sqlite3.Connection, order_id: int, window: TimeWindow, delivery_date: str) -> None:
    """A new promised window for the order, on `delivery_date` (the shop's day, ISO)."""
    conn.execute("UPDATE orders SET promised_start = ?, promised_end = ?, delivery_date = ?, updated_at = ? WHERE id = ?",
                 (to_iso(window.start), to_iso(window.end), delivery_date, to_iso(utcnow()), order_id))


def set_delivery_option(conn: sqlite3.Connection, order_id: int, option: DeliveryOption) -> None:
    """How the order reaches the customer now (a failed delivery turned into an in-store pickup)."""
    conn.execute("UPDATE orders SET delivery_option = ?, updated_at = ? WHERE id = ?", (option.value, to_iso(utcnow()), order_id))


def mark_returned(conn: sqlite3.Connection, order_id: int) -> None:
    """The goods are back at the shop."""
    conn.execute("UPDATE orders SET status = 'returned', updated_at = ? WHERE id = ?", (to_iso(utcnow()), order_id))


def mark_cancelled(conn: sqlite3.Connection, order_id: int) -> None:
    """The shop will not send this order (it has no live shipment)."""
    conn.execute("UPDATE orders SET status = 'cancelled', updated_at = ? WHERE id = ?", (to_iso(utcnow()), order_id))


def set_positions(conn: sqlite3.Connection, positions: Iterable[tuple[int, GeoPoint]]) -> None:
    """Where each order's address is on the map: (order id, position with its precision and confidence)."""
    conn.executemany("UPDATE orders SET lat = ?, lon = ?, geo_precision = ?, geo_confidence = ? WHERE id = ?",
                     [(point.lat, point.lon, point.precision.value, point.confidence, order_id) for order_id, point in positions])


def follow_delivery(conn: sqlite3.Connection, shipment_id: int) -> None:
    """Keep the order's status and carrier columns equal to its latest delivery shipment, for the Orders view.

    A replaced shipment settling later (the old carrier's cancel after a re-booking) leaves the order alone."""
    conn.execute(
        "UPDATE orders SET status = s.status, carrier = s.carrier, updated_at = s.updated_at FROM "
        "(SELECT order_id, status, carrier, updated_at FROM shipments WHERE id = ? AND kind = 'delivery' "
        "AND id = (SELECT max(id) FROM shipments latest WHERE latest.order_id = shipments.order_id "
        "AND latest.kind = 'delivery')) AS s WHERE orders.id = s.order_id",
        (shipment_id,),
    )


def set_repeat_rule(conn: sqlite3.Connection, order_id: int, rule: str) -> None:
    """The order's RFC 5545 repeat rule ('FREQ=WEEKLY;BYDAY=FR'; '' for a one-off). Check it first (forecast.recurring)."""
    conn.execute("UPDATE orders SET repeat_rule = ? WHERE id = ?", (rule.strip(), order_id))


class RepeatingOrder(NamedTuple):
    """An order that repeats: its rule, first promised moment (ISO UTC), option and where it goes."""

    id: int
    order_ref: str
    repeat_rule: str
    promised_start: str | None
    created_at: str
    delivery_option: str
    lat: float | None
    lon: float | None
    postcode: str


def repeating_orders(conn: sqlite3.Connection) -> list[RepeatingOrder]:
    """Every order with a repeat rule that is not cancelled (the forecast's recurring known demand)."""
    return [RepeatingOrder._make(row) for row in conn.execute(
        "SELECT id, order_ref, repeat_rule, promised_start, created_at, delivery_option, lat, lon, postcode FROM orders "
        "WHERE repeat_rule <> '' AND status <> 'cancelled' ORDER BY id")]


def demand_rows(conn: sqlite3.Connection, since: str | None = None) -> sqlite3.Cursor:
    """(day, delivery_option, lat, lon, postcode) of every order not cancelled whose shop day (the promise's day, else
    the day it was made) is `since` (ISO date) or later: what the demand forecast counts."""
    return conn.execute(
        "SELECT day, delivery_option, lat, lon, postcode FROM (SELECT COALESCE(delivery_date, substr(created_at, 1, 10)) "
        "AS day, delivery_option, lat, lon, postcode, status FROM orders) WHERE status <> 'cancelled' AND day >= ?",
        (since or "0000-00-00",))


def slot_rows(conn: sqlite3.Connection, since: str) -> sqlite3.Cursor:
    """(delivery_date, delivery_option, promised_start) of orders not cancelled promised on `since` (ISO date) or later."""
    return conn.execute("SELECT delivery_date, delivery_option, promised_start FROM orders "
                        "WHERE delivery_date >= ? AND status <> 'cancelled'", (since,))


def orders_per_day(conn: sqlite3.Connection, since: str, until: str) -> sqlite3.Cursor:
    """(day, orders) for shop days since <= day < until (ISO dates) that have orders not cancelled (demand_rows' days)."""
    return conn.execute(
        "SELECT day, count(*) FROM (SELECT COALESCE(delivery_date, substr(created_at, 1, 10)) AS day, status FROM orders) "
        "WHERE status <> 'cancelled' AND day >= ? AND day < ? GROUP BY day", (since, until))


def usual_region(conn: sqlite3.Connection, last: int = 500) -> str | None:
    """The region (state, province) most of the last `last` orders went to, None when they name none."""
    row = conn.execute("SELECT region, count(*) AS n FROM (SELECT region FROM orders ORDER BY id DESC LIMIT ?) "
                       "WHERE region <> '' GROUP BY region ORDER BY n DESC LIMIT 1", (last,)).fetchone()
    return row[0] if row else None


def get_order_id(conn: sqlite3.Connection, order_ref: str) -> int | None:
    row = conn.execute("SELECT id FROM orders WHERE order_ref = ?", (order_ref,)).fetchone()
    return None if row is None else row[0]


@dataclass(frozen=True)
class OrderQuery:
    """What the Orders view asks for: filters, search, sort. Turned into parameterised SQL only."""

    statuses: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    date_from: str | None = None  # ISO local date, inclusive
    date_to: str | None = None
    search: str = ""
    ids: tuple[int, ...] = ()
    sort: str = "created_at"
    descending: bool = True

    def parts(self) -> list[tuple[str, list]]:
        """Each filter as its own (clause, params); they combine with AND."""
        parts: list[tuple[str, list]] = []
        if self.statuses:
            parts.append((f"status IN ({', '.join('?' * len(self.statuses))})", list(self.statuses)))
        if self.options:
            parts.append((f"delivery_option IN ({', '.join('?' * len(self.options))})", list(self.options)))
        if self.date_from or self.date_to:
            clauses, params = [], []
            if self.date_from:
                clauses.append("delivery_date >= ?")
                params.append(self.date_from)
            if self.date_to:
                clauses.append("delivery_date <= ?")
                params.append(self.date_to)
            parts.append((" AND ".join(clauses), params))
        if self.ids:
            parts.append((f"id IN ({', '.join('?' * len(self.ids))})", list(self.ids)))
        match = fts_query(self.search)
        if match:
            parts.append(("id IN (SELECT rowid FROM orders_fts WHERE orders_fts MATCH ?)", [match]))
        return parts

    def where(self) -> tuple[str, list]:
        parts = self.parts()
        if not parts:
            return "", []
        return " WHERE " + " AND ".join(clause for clause, _ in parts), [p for _, params in parts for p in params]

    def order_by(self) -> str:
        column = SORTABLE.get(self.sort, "created_at")
        direction = "DESC" if self.descending else "ASC"
        return f" ORDER BY {column} {direction}, id {direction}"


def fts_query(text: str) -> str:
    """User search text as a safe FTS5 prefix query: each word quoted, so no FTS syntax leaks through."""
    words = [w.replace('"', "") for w in text.split()]
    return " ".join(f'"{w}"*' for w in words if w)


VIEW_COLUMNS = ("id", "order_ref", "created_at", "customer_name", "street", "city", "postcode", "delivery_option",
                "promised_start", "promised_end", "status", "carrier", "parcels", "value_minor", "currency", "geo_precision")


# The index that serves each sort column; with many matches a page is a walk along it.
_SORT_INDEX = {"created_at": "orders_created", "customer_name": "orders_customer", "city": "orders_city",
               "street": "orders_street", "postcode": "orders_postcode", "promised_end": "orders_promised_end",
               "value_minor": "orders_value", "carrier": "orders_carrier"}
# Up to this many matches, collecting them through the filter's index and sorting is fastest;
# beyond it, matches are dense enough that walking the sort index finds a page almost at once.
SPARSE_MATCHES = 20_000


def page(conn: sqlite3.Connection, query: OrderQuery, offset: int, limit: int) -> list[tuple]:
    """One page of the Orders view, planned so it stays fast on millions of orders whatever the filter and sort."""
    where, params = query.where()
    order_by, hint = query.order_by(), ""
    if where and not query.ids:
        column = SORTABLE.get(query.sort, "created_at")
        if _at_most(conn, query, SPARSE_MATCHES):
            order_by = order_by.replace(f" ORDER BY {column} ", f" ORDER BY +{column} ", 1)  # '+': don't walk the sort index
        elif column in _SORT_INDEX:
            hint = f" INDEXED BY {_SORT_INDEX[column]}"
    sql = f"SELECT {', '.join(VIEW_COLUMNS)} FROM orders{hint}{where}{order_by} LIMIT ? OFFSET ?"
    return [tuple(r) for r in conn.execute(sql, params + [limit, offset])]


def _at_most(conn: sqlite3.Connection, query: OrderQuery, limit: int) -> bool:
    """True when some single filter already matches no more than `limit` orders (each counted on its own index)."""
    for clause, params in query.parts():
        if clause.startswith("id IN (SELECT rowid FROM orders_fts"):
            sql = "SELECT count(*) FROM (SELECT rowid FROM orders_fts WHERE orders_fts MATCH ? LIMIT ?)"
        else:
            sql = f"SELECT count(*) FROM (SELECT 1 FROM orders WHERE {clause} LIMIT ?)"
        if conn.execute(sql, params + [limit + 1]).fetchone()[0] <= limit:
            return True
    return False


def count(conn: sqlite3.Connection, query: OrderQuery) -> int:
    where, params = query.where()
    return conn.execute(f"SELECT count(*) FROM orders{where}", params).fetchone()[0]
