"""Turning a table's rows into Orders: group line-item rows by order number, check every cell, list what was rejected and why."""
from __future__ import annotations

import gc
import html
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from ..domain import Address, DeliveryOption, Money, Order, OrderLine, TimeWindow, utcnow
from . import validation as check
from .profiles import FIELDS, ImportProfile
from .reading import Table
from .validation import CellError

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class ImportCancelled(Exception):
    """The user stopped the import; nothing was saved."""


@dataclass(frozen=True)
class RowProblem:
    """One reason a row was rejected: spreadsheet row number, column header and a plain reason."""

    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class Prepared:
    """A checked file: the orders ready to save and the rows that were rejected."""

    orders: list[Order]
    problems: list[RowProblem]
    rejected_rows: list[int]  # indexes into table.rows, in file order
    total_rows: int
    row_of_order: dict[str, int] = field(default_factory=dict)  # order_ref -> first row index
    rejected_orders: int = 0  # orders (groups of rows) not imported, counting rows without an order number

    @property
    def rejected_row_count(self) -> int:
        return len(self.rejected_rows)


class _Row:
    """Field access on one group of rows (an order and its line items) for one profile."""

    __slots__ = ("rows", "columns", "headers", "single")

    def __init__(self, rows: list[list[str]], columns: dict[str, list[int]], headers: list[str]) -> None:
        self.rows, self.columns, self.headers = rows, columns, headers
        self.single = rows[0] if len(rows) == 1 else None

    def get(self, name: str) -> tuple[str, int]:
        """First non-empty value of a field over the group's rows, and the row (within the group) it came from."""
        indexes = self.columns.get(name)
        if not indexes:
            return "", 0
        row = self.single
        if row is not None:  # most orders are one row: the fast path
            for i in indexes:
                value = row[i]
                if value and not value.isspace():
                    return value, 0
            return "", 0
        for position, row in enumerate(self.rows):
            for i in indexes:
                value = row[i]
                if value and value.strip():
                    return value, position
        return "", 0

    def header(self, name: str) -> str:
        indexes = self.columns.get(name)
        return self.headers[indexes[0]] if indexes else FIELDS.get(name, name)


_gc_lock = threading.Lock()
_gc_pausers = 0


@contextmanager
def gc_paused():
    """No cyclic garbage collection while a big import builds objects (none of them form cycles).

    A full collection walks every live object with the GIL held: with 100,000 orders in memory that froze
    the UI thread for most of a second, several times per import.
    """
    global _gc_pausers
    with _gc_lock:
        _gc_pausers += 1
        if _gc_pausers == 1:
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0:
                gc.enable()


def prepare(table: Table, profile: ImportProfile, progress: Progress | None = None,
            cancel: threading.Event | None = None) -> Prepared:
    """Check every row of `table` read with `profile`; rows of one order number make one order."""
    with gc_paused():
        return _prepare(table, profile, progress, cancel)


def _prepare(table: Table, profile: ImportProfile, progress: Progress | None, cancel: threading.Event | None) -> Prepared:
    columns = profile.resolve(table.headers)
    ref_columns = columns.get("order_ref", [])
    groups: dict[str, list[int]] = {}
    problems: list[RowProblem] = []
    rejected: set[int] = set()
    for index, row in enumerate(table.rows):
        ref = next((row[i].strip() for i in ref_columns if row[i].strip()), "")
        if not ref:
            if any(cell.strip() for cell in row):
                header = table.headers[ref_columns[0]] if ref_columns else FIELDS["order_ref"]
                problems.append(RowProblem(table.row_number(index), header, "order number is missing"))
                rejected.add(index)
            continue
        groups.setdefault(ref, []).append(index)

    orders: list[Order] = []
    row_of_order: dict[str, int] = {}
    total = len(table.rows)
    done = 0
    now = utcnow()
    rejected_orders = len(rejected)
    for ref, indexes in groups.items():
        group = _Row([table.rows[i] for i in indexes], columns, table.headers)
        found: list[tuple[int, str, str]] = []
        order = _build_order(ref, group, profile, now, found)
        if found:
            for position, column, reason in found:
                problems.append(RowProblem(table.row_number(indexes[position]), column, reason))
            rejected.update(indexes)
            rejected_orders += 1
        else:
            orders.append(order)
            row_of_order[ref] = indexes[0]
        done += len(indexes)
        if done % 2000 < len(indexes):
            if cancel is not None and cancel.is_set():
                raise ImportCancelled("import stopped; nothing was saved")
            if progress is not None:
                progress("checking", done, total)
    problems.sort(key=lambda p: p.row)
    if progress is not None:
        progress("checking", total, total)
    return Prepared(orders, problems, sorted(rejected), total, row_of_order, rejected_orders)


def _build_order(ref: str, group: _Row, profile: ImportProfile, now: datetime,
                 found: list[tuple[int, str, str]]) -> Order | None:
    """One order from its rows; every problem goes into `found` as (row in group, column, reason)."""

    def take(name: str, parse, *args):
        text, position = group.get(name)
        try:
            return parse(text, *args)
        except CellError as exc:
            found.append((position, group.header(name), str(exc)))
            return None

    def required(name: str, what: str) -> str:
        text, position = group.get(name)
        if not text.strip():
            found.append((position, group.header(name), f"{what} is missing"))
        return one_line(text)

    name = " ".join(group.get("customer_name")[0].split())
    if not name:
        name = " ".join(" ".join(group.get(p)[0] for p in ("first_name", "last_name")).split())
    if not name:
        found.append((0, group.header("customer_name") if "customer_name" in group.columns else group.header("first_name"),
                      "customer name is missing"))
    option = check.delivery_option(group.get("delivery_option")[0], profile.default_option)
    if option == "pickup":  # collected in store: the customer's address is not needed (Shopify leaves it blank)
        street, city = one_line(group.get("street")[0]), one_line(group.get("city")[0])
    else:
        street, city = required("street", "street address"), required("city", "city")
    country = take("country", check.country_code, profile.default_country) or profile.default_country
    code = (take("postcode", check.postcode, country) or "") if option != "pickup" or group.get("postcode")[0].strip() else ""
    phone = take("phone", check.phone, country) or ""
    email = take("email", check.email) or ""
    currency = take("currency", check.currency, profile.default_currency) or profile.default_currency
    created = take("created_at", check.moment, profile.timezone, profile.date_order)
    window = _window(group, profile, found)
    parcels = take("parcels", check.quantity, "parcels")
    weight = take("weight", check.weight_grams, profile.weight_unit) or 0
    lines = _lines(group, profile, currency, found)
    value_text, _ = group.get("value")
    value = take("value", check.money, currency) if value_text.strip() else _lines_total(lines, currency)
    if window is not None and option == "standard" and "delivery_option" not in group.columns:
        option = "scheduled"
    if found:
        return None
    return Order(
        order_ref=ref, customer_name=name,
        address=Address(street, city, code, country, one_line(group.get("line2")[0]), one_line(group.get("region")[0])),
        delivery_option=DeliveryOption(option), created_at=created or now, phone=phone, email=email,
        promised_window=window, parcels=parcels or 1, weight_g=weight, value=value or Money.zero(currency),
        notes=group.get("notes")[0].strip(), source=profile.source, lines=tuple(lines),
    )


def one_line(text: str) -> str:
    """A cell typed over several lines (a multi-line address) as one line, its lines joined by commas."""
    if "\n" not in text and "\r" not in text and "  " not in text and "\t" not in text:
        return text.strip()
    return ", ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _window(group: _Row, profile: ImportProfile, found: list) -> TimeWindow | None:
    start_text, start_pos = group.get("promised_start")
    end_text, end_pos = group.get("promised_end")
    if not start_text and not end_text:
        return None
    try:
        start = check.moment(start_text, profile.timezone, profile.date_order)
    except CellError as exc:
        found.append((start_pos, group.header("promised_start"), str(exc)))
        return None
    try:
        end = check.moment(end_text, profile.timezone, profile.date_order)
    except CellError as exc:
        found.append((end_pos, group.header("promised_end"), str(exc)))
        return None
    if start is None and end is None:
        return None
    if start is not None and end is None:
        start, end = check.whole_day(start) if len(start_text.strip()) <= 10 else (start, start)
    elif start is None:
        start = end.replace(hour=0, minute=0, second=0) if end.hour or end.minute else check.whole_day(end)[0]
        if len(end_text.strip()) <= 10:
            end = check.whole_day(end)[1]
    if end < start:
        found.append((end_pos, group.header("promised_end"), "deliver-by time is before the deliver-from time"))
        return None
    return TimeWindow(start, end)


_ITEM_SPLIT = re.compile(r";(?=\s*(?:id|name|product_id|sku|quantity):)")


def _lines(group: _Row, profile: ImportProfile, currency: str, found: list) -> list[OrderLine]:
    lines: list[OrderLine] = []
    packed, packed_pos = group.get("line_items")
    if packed.strip():
        # Items are joined by ";" but names may hold HTML entities (&ndash;): split only before a key.
        for item in _ITEM_SPLIT.split(packed):
            if not item.strip():
                continue
            parts = dict(p.split(":", 1) for p in item.split("|") if ":" in p)
            try:
                qty = check.quantity(parts.get("quantity", ""), "item quantity")
                total = check.money(parts.get("total", ""), currency)
            except CellError as exc:
                found.append((packed_pos, group.header("line_items"), str(exc)))
                continue
            unit = Money(total.amount_minor // qty, currency) if total.amount_minor else None
            lines.append(OrderLine(parts.get("sku", "").strip(), html.unescape(parts.get("name", "").strip()), qty, unit))
        return lines
    item_fields = [f for f in ("line_sku", "line_name", "line_quantity", "line_price") if f in group.columns]
    if not item_fields:
        return lines
    for position, row in enumerate(group.rows):
        single = group if group.single is not None else _Row([row], group.columns, group.headers)
        sku, name = single.get("line_sku")[0].strip(), single.get("line_name")[0].strip()
        qty_text, price_text = single.get("line_quantity")[0], single.get("line_price")[0]
        if not (sku or name or qty_text.strip()):
            continue
        try:
            qty = check.quantity(qty_text, "item quantity")
        except CellError as exc:
            found.append((position, single.header("line_quantity"), str(exc)))
            continue
        try:
            price = check.money(price_text, currency) if price_text.strip() else None
        except CellError as exc:
            found.append((position, single.header("line_price"), str(exc)))
            continue
        lines.append(OrderLine(sku, html.unescape(name) if "&" in name else name, qty, price))
    return lines


def _lines_total(lines: list[OrderLine], currency: str) -> Money:
    return Money(sum(line.unit_price.amount_minor * line.quantity for line in lines
                     if line.unit_price is not None and line.unit_price.currency == currency), currency)
