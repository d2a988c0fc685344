"""Orders in the store: batch upsert by the shop's order id, and the paged queries the Orders view makes."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from typing import Iterable, NamedTuple

from ..domain import Address, DeliveryOption, GeoPoint, GeoPrecision, Money, Order, OrderLine, ShipmentStatus, TimeWindow
from ..domain.timeutil import from_iso, to_iso, utcnow

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
# Fields a re-import may change; status and carrier belong to the app once an order is in.
_UPDATABLE = [f for f in _ORDER_FIELDS if f not in ("order_ref", "created_at", "status")]


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
    (order_to_row uses it for domain Orders, the bulk importer for checked file rows). Times are ISO UTC text."""
    return (order_ref.strip(), source, created_at, updated_at, customer_name, phone, email, street, line2, city, region,
            postcode, country, lat, lon, geo_precision, geo_confidence, delivery_option, promised_start, promised_end,
            delivery_date, parcels, weight_g, value_minor, currency, notes, status)


def order_row(order: Order, updated_at: str | None = None, local_date: str | None = None) -> OrderRow:
    window = order.promised_window
    location = order.location
    values = order_values(
        order.order_ref, order.source, to_iso(order.created_at), updated_at or to_iso(utcnow()), order.customer_name,
        order.phone, order.email, order.address.street, order.address.line2, order.address.city, order.address.region,
        order.address.postcode, order.address.country, order.delivery_option.value,
        to_iso(window.start) if window else None, to_iso(window.end) if window else None,
        local_date or (window.start.date().isoformat() if window else None), order.parcels, order.weight_g,
        order.value.amount_minor, order.value.currency, order.notes,
        lat=location.lat if location else None, lon=location.lon if location else None,
        geo_precision=location.precision.value if location else GeoPrecision.UNKNOWN.value,
        geo_confidence=location.confidence if location else 0.0, status=order.status.value)
    lines = tuple((line.sku, line.name, line.quantity, line.unit_price.amount_minor if line.unit_price else None)
                  for line in order.lines)
    return OrderRow(values, lines)


def order_to_row(order: Order, local_date: str | None = None) -> dict:
    return dict(zip(_ORDER_FIELDS, order_row(order, local_date=local_date).values))


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
    """Insert new orders and update changed ones, keyed by order_ref. Call inside one transaction."""
    inserted = updated = unchanged = 0
    ids: dict[str, int] = {}
    insert_sql = f"INSERT INTO orders({', '.join(_ORDER_FIELDS)}) VALUES ({', '.join('?' * len(_ORDER_FIELDS))})"
    update_sql = f"UPDATE orders SET {', '.join(f + ' = ?' for f in _UPDATABLE)} WHERE id = ?"
    compare = [f for f in _UPDATABLE if f != "updated_at"]
    for order in orders:
        row = order_to_row(order)
        existing = conn.execute(f"SELECT id, {', '.join(compare)} FROM orders WHERE order_ref = ?", (row["order_ref"],)).fetchone()
        if existing is None:
            order_id = conn.execute(insert_sql, [row[f] for f in _ORDER_FIELDS]).lastrowid
            inserted += 1
        else:
            order_id = existing["id"]
            if all(existing[f] == row[f] for f in compare):
                unchanged += 1
                ids[row["order_ref"]] = order_id
                continue
            conn.execute(update_sql, [row[f] for f in _UPDATABLE] + [order_id])
            conn.execute("DELETE FROM order_lines WHERE order_id = ?", (order_id,))
            updated += 1
        conn.executemany(
            "INSERT INTO order_lines(order_id, sku, name, quantity, unit_price_minor) VALUES (?,?,?,?,?)",
            [(order_id, line.sku, line.name, line.quantity, line.unit_price.amount_minor if line.unit_price else None)
             for line in order.lines],
        )
        ids[row["order_ref"]] = order_id
    return UpsertResult(inserted, updated, unchanged, ids)


def get_order(conn: sqlite3.Connection, order_id: int) -> Order | None:
    row = conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        return None
    lines = [
        OrderLine(r["sku"], r["name"], r["quantity"], None if r["unit_price_minor"] is None else Money(r["unit_price_minor"], row["currency"]))
        for r in conn.execute("SELECT * FROM order_lines WHERE order_id = ? ORDER BY id", (order_id,))
    ]
    return row_to_order(row, lines)


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
