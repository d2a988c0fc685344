"""Turning a table's rows into orders: group line-item rows by order number, check every cell, list what was rejected and why.

Good orders come out as store rows (store.orders.OrderRow, laid out by order_values) rather than domain Orders:
building 100,000 domain objects only to flatten them again cost a third of a big import. Big files are checked
in slices across worker processes (`pool`), in file order.
"""
from __future__ import annotations

import gc
import html
import re
import threading
from contextlib import contextmanager
from collections import deque
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from typing import Callable, Iterator

from ..domain import utcnow
from ..domain.timeutil import to_iso
from ..exports.tables import unneutralise
from ..store.orders import OrderRow, order_values
from . import validation as check
from .profiles import FIELDS, ImportProfile
from .reading import Table
from .validation import CellError

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class ImportCancelled(Exception):
    """The user stopped the import; nothing was saved."""


def stop_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ImportCancelled("import stopped; nothing was saved")


@dataclass(frozen=True)
class RowProblem:
    """One reason a row was rejected: spreadsheet row number, column header, a plain reason, and the cell as written."""

    row: int
    column: str
    reason: str
    value: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class Prepared:
    """A checked file: the orders ready to save (as store rows) and the rows that were rejected."""

    records: list[OrderRow]
    problems: list[RowProblem]
    rejected_rows: list[int]  # indexes into table.rows, in file order
    total_rows: int
    rejected_orders: int = 0  # orders (groups of rows) not imported, counting rows without an order number

    @property
    def ready(self) -> int:
        """How many orders would be imported."""
        return len(self.records)

    @property
    def rejected_row_count(self) -> int:
        return len(self.rejected_rows)


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


# Below this many rows the check runs where it is called; above it, in worker processes (one per core).
PARALLEL_FROM = 20_000
CHUNK_ROWS = 5_000


@dataclass
class CheckedChunk:
    """One slice of the file checked: its good orders as store rows (values and line items side by side, the
    cheapest shape to send between processes), its problems and rejected rows."""

    values: list[tuple]  # one orders-table row per good order (store.orders.order_values)
    lines: list[tuple]  # each good order's items, (sku, name, quantity, unit price minor)
    problems: list[tuple[int, str, str, str]]  # (spreadsheet row, column, reason, the cell as written)
    rejected_rows: list[int]
    rejected_orders: int
    rows: int  # file rows this chunk covered

    @property
    def records(self) -> list[OrderRow]:
        return [OrderRow(v, lines) for v, lines in zip(self.values, self.lines)]


def prepare(table: Table, profile: ImportProfile, progress: Progress | None = None,
            cancel: threading.Event | None = None, pool: Executor | None = None) -> Prepared:
    """Check every row of `table` read with `profile`; rows of one order number make one order."""
    records: list[OrderRow] = []
    problems: list[RowProblem] = []
    rejected: list[int] = []
    rejected_orders = 0
    with gc_paused():
        for chunk in checked_chunks(table, profile, progress, cancel, pool):
            records += chunk.records
            problems += [RowProblem(*p) for p in chunk.problems]
            rejected += chunk.rejected_rows
            rejected_orders += chunk.rejected_orders
    problems.sort(key=lambda p: p.row)
    rejected.sort()
    return Prepared(records, problems, rejected, len(table.rows), rejected_orders)


@dataclass(frozen=True)
class _Slice:
    """Orders sent to a check: only the columns the profile reads, the rows of each order one after another."""

    refs: list[str]
    sizes: list[int]  # rows per order
    indexes: list[int]  # each row's index in the file
    rows: list[list[str]]


def checked_chunks(table: Table, profile: ImportProfile, progress: Progress | None = None,
                   cancel: threading.Event | None = None, pool: Executor | None = None) -> Iterator[CheckedChunk]:
    """The file checked a slice at a time, in file order: the first slice is the rows without an order number,
    then orders in slices of about CHUNK_ROWS rows, checked in `pool` (worker processes) when one is given."""
    if not profile.timezone:
        raise ValueError("the profile reads bare times in no zone: check with profile.in_zone(the shop's zone)")
    columns = profile.resolve(table.headers)
    used = sorted({i for indexes in columns.values() for i in indexes})
    headers = [table.headers[i] for i in used]
    groups, missing = _group(table, columns.get("order_ref", []))
    total = len(table.rows)
    if missing:
        header = table.headers[columns["order_ref"][0]] if columns.get("order_ref") else FIELDS["order_ref"]
        yield CheckedChunk([], [], [(table.row_number(i), header, "order number is missing", "") for i in missing], missing,
                           len(missing), len(missing))
    now = to_iso(utcnow())
    done = len(missing)
    slices = _slices(table, groups, used)
    if pool is None:
        results = (check_slice(headers, profile, now, s) for s in slices)
    else:
        results = _shared_checks(pool, slices, headers, profile, now)
    try:
        for chunk in results:
            stop_if_cancelled(cancel)
            done += chunk.rows
            if progress is not None:
                progress("checking", done, total)
            yield chunk
    finally:
        results.close()
    if progress is not None:
        progress("checking", total, total)


def _shared_checks(pool: Executor, slices: Iterator[_Slice], headers: list[str], profile: ImportProfile,
                   now: str) -> Iterator[CheckedChunk]:
    """Slices checked by the workers and, whenever the next result isn't ready, by this process too: the caller
    saves between results, so neither it nor the workers sit idle. Results come in file order."""
    ahead = 2 * getattr(pool, "_max_workers", 2)  # slices queued at the workers
    pending: deque = deque()  # futures, or chunks checked here, in file order
    slices = iter(slices)
    exhausted = False

    def top_up() -> None:
        nonlocal exhausted
        while not exhausted and sum(1 for p in pending if isinstance(p, Future)) < ahead:
            part = next(slices, None)
            if part is None:
                exhausted = True
            else:
                pending.append(pool.submit(check_slice, headers, profile, now, part))

    try:
        top_up()
        while pending:
            head = pending[0]
            if isinstance(head, Future) and not head.done() and not exhausted:
                part = next(slices, None)  # the workers are busy: check the next slice here meanwhile
                if part is None:
                    exhausted = True
                else:
                    pending.append(check_slice(headers, profile, now, part))
                continue
            pending.popleft()
            yield head.result() if isinstance(head, Future) else head
            top_up()
    finally:
        for item in pending:
            if isinstance(item, Future):
                item.cancel()


def _group(table: Table, ref_columns: list[int]) -> tuple[dict[str, list[int]], list[int]]:
    """Row indexes per order number (in order of first appearance), and the non-blank rows with no order number."""
    groups: dict[str, list[int]] = {}
    missing: list[int] = []
    if len(ref_columns) == 1:
        column = ref_columns[0]
        refs = [row[column].strip() for row in table.rows]
    else:
        refs = [next((row[i].strip() for i in ref_columns if row[i].strip()), "") for row in table.rows]
    for index, ref in enumerate(refs):
        if ref:
            indexes = groups.get(ref)
            if indexes is None:
                groups[ref] = [index]
            else:
                indexes.append(index)
        elif any(cell.strip() for cell in table.rows[index]):
            missing.append(index)
    return groups, missing


def _slices(table: Table, groups: dict[str, list[int]], used: list[int]) -> Iterator[_Slice]:
    """Orders in slices of about CHUNK_ROWS file rows, each row cut down to the `used` columns."""
    rows = table.rows
    refs: list[str] = []
    sizes: list[int] = []
    indexes: list[int] = []
    for ref, group in groups.items():
        refs.append(ref)
        sizes.append(len(group))
        indexes += group
        if len(indexes) >= CHUNK_ROWS:
            yield _Slice(refs, sizes, indexes, _project(rows, indexes, used))
            refs, sizes, indexes = [], [], []
    if refs:
        yield _Slice(refs, sizes, indexes, _project(rows, indexes, used))


def _project(rows: list[list[str]], indexes: list[int], used: list[int]) -> list[list[str]]:
    if len(used) == len(rows[indexes[0]]) and used == list(range(len(used))):
        return [rows[i] for i in indexes]
    getter = itemgetter(*used) if len(used) > 1 else (lambda row: (row[used[0]],))
    return [getter(rows[i]) for i in indexes]


def check_slice(headers: list[str], profile: ImportProfile, now: str, part: _Slice) -> CheckedChunk:
    """Check one slice of orders (runs in a worker process for big files, so it takes and returns plain data)."""
    with gc_paused():
        checker = _Checker(headers, profile, now)
        values: list[tuple] = []
        lines: list[tuple] = []
        problems: list[tuple[int, str, str, str]] = []
        rejected: list[int] = []
        rejected_orders = 0
        rows, indexes = part.rows, part.indexes
        at = 0
        for ref, size in zip(part.refs, part.sizes):
            found: list[tuple[int, str, str, str]] = []
            record = checker.check(ref, rows[at:at + size], found)
            if found:
                problems += [(indexes[at + position] + 2, column, reason, value) for position, column, reason, value in found]
                rejected += indexes[at:at + size]
                rejected_orders += 1
            else:
                values.append(record.values)
                lines.append(record.lines)
            at += size
        return CheckedChunk(values, lines, problems, rejected, rejected_orders, len(indexes))


class _Checker:
    """Checks the rows of one order against a profile and lays a good one out as a store row."""

    def __init__(self, headers: list[str], profile: ImportProfile, now: str) -> None:
        self.profile = profile
        self.headers = headers
        self.columns = profile.resolve(headers)
        self.field_columns = list(self.columns.items())
        self.now = now
        self.has_option = "delivery_option" in self.columns
        self.item_fields = any(f in self.columns for f in ("line_sku", "line_name", "line_quantity", "line_price"))
        self._iso: dict[datetime, str] = {}

    def header(self, name: str) -> str:
        indexes = self.columns.get(name)
        return self.headers[indexes[0]] if indexes else FIELDS.get(name, name)

    def iso(self, moment: datetime) -> str:
        """UTC ISO text of a time (the same cell text gives the same datetime: most files repeat dates a lot)."""
        text = self._iso.get(moment)
        if text is None:
            if len(self._iso) > 50_000:
                self._iso.clear()
            text = self._iso[moment] = to_iso(moment)
        return text

    def check(self, ref: str, rows: list[list[str]], found: list[tuple[int, str, str, str]]) -> OrderRow | None:
        """One order from its rows; every problem goes into `found` as (row in group, column, reason, cell text)."""
        columns, profile = self.columns, self.profile
        if profile.guarded:
            rows = [[unneutralise(value) for value in row] for row in rows]
        if len(rows) == 1:  # most orders: one row, each field read once up front
            row = rows[0]
            cells: dict[str, str] = {}
            for name, indexes in self.field_columns:
                for i in indexes:
                    value = row[i]
                    if value and not value.isspace():
                        cells[name] = value
                        break
            cell = cells.get

            def get(name: str) -> tuple[str, int]:
                return cell(name, ""), 0
        else:
            def get(name: str) -> tuple[str, int]:
                """First non-blank value of a field over the order's rows, and which of its rows it came from."""
                for position, row in enumerate(rows):
                    for i in columns.get(name, ()):
                        value = row[i]
                        if value and not value.isspace():
                            return value, position
                return "", 0

        def take(name: str, parse, *args):
            text, position = get(name)
            try:
                return parse(text, *args)
            except CellError as exc:
                found.append((position, self.header(name), str(exc), text))
                return None

        def required(name: str, what: str) -> str:
            text, position = get(name)
            if not text or text.isspace():
                found.append((position, self.header(name), f"{what} is missing", text))
            return one_line(text)

        name = " ".join(get("customer_name")[0].split())
        if not name:
            name = " ".join(" ".join(get(p)[0] for p in ("first_name", "last_name")).split())
        if not name:
            found.append((0, self.header("customer_name") if "customer_name" in columns else self.header("first_name"),
                          "customer name is missing", ""))
        option = check.delivery_option(get("delivery_option")[0], profile.default_option)
        if option == "pickup":  # collected in store: the customer's address is not needed (Shopify leaves it blank)
            street, city = one_line(get("street")[0]), one_line(get("city")[0])
        else:
            street, city = required("street", "street address"), required("city", "city")
        country = take("country", check.country_code, profile.default_country) or profile.default_country
        postcode_text = get("postcode")[0]
        code = (take("postcode", check.postcode, country) or "") if option != "pickup" or postcode_text.strip() else ""
        phone = take("phone", check.phone, country) or ""
        email = take("email", check.email) or ""
        currency = take("currency", check.currency, profile.default_currency) or profile.default_currency
        created = take("created_at", check.moment, profile.timezone, profile.date_order)
        window = self._window(get, found)
        parcels = take("parcels", check.quantity, "parcels")
        weight = take("weight", check.weight_grams, profile.weight_unit) or 0
        lines = self._lines(rows, get, currency, found)
        value_text, _ = get("value")
        if value_text.strip():
            value = take("value", check.money_minor, currency) or 0
        else:
            value = sum(unit * qty for _sku, _name, qty, unit in lines if unit is not None)
        if window is not None and option == "standard" and not self.has_option:
            option = "scheduled"
        if found:
            return None
        start, end = window if window is not None else (None, None)
        values = order_values(
            ref, profile.source, self.iso(created) if created else self.now, self.now, name, phone, email, street,
            one_line(get("line2")[0]), city, one_line(get("region")[0]), code, country, option,
            self.iso(start) if start else None, self.iso(end) if end else None,
            start.date().isoformat() if start else None, parcels or 1, weight, value, currency, get("notes")[0].strip())
        return OrderRow(values, tuple(lines))

    def _window(self, get, found: list) -> tuple[datetime, datetime] | None:
        profile = self.profile
        start_text, start_pos = get("promised_start")
        end_text, end_pos = get("promised_end")
        if not start_text and not end_text:
            return None
        try:
            start = check.moment(start_text, profile.timezone, profile.date_order)
        except CellError as exc:
            found.append((start_pos, self.header("promised_start"), str(exc), start_text))
            return None
        try:
            end = check.moment(end_text, profile.timezone, profile.date_order)
        except CellError as exc:
            found.append((end_pos, self.header("promised_end"), str(exc), end_text))
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
            found.append((end_pos, self.header("promised_end"), "deliver-by time is before the deliver-from time", end_text))
            return None
        return start, end

    def _lines(self, rows: list[list[str]], get, currency: str, found: list) -> list[tuple[str, str, int, int | None]]:
        """The order's items as (sku, name, quantity, unit price in minor units or None)."""
        lines: list[tuple[str, str, int, int | None]] = []
        packed, packed_pos = get("line_items")
        if packed.strip():
            # Items are joined by ";" but names may hold HTML entities (&ndash;): split only before a key.
            for item in _ITEM_SPLIT.split(packed):
                if not item.strip():
                    continue
                parts = dict(p.split(":", 1) for p in item.split("|") if ":" in p)
                try:
                    qty = check.quantity(parts.get("quantity", ""), "item quantity")
                    total = check.money_minor(parts.get("total", ""), currency)
                except CellError as exc:
                    found.append((packed_pos, self.header("line_items"), str(exc), packed))
                    continue
                lines.append((parts.get("sku", "").strip(), html.unescape(parts.get("name", "").strip()), qty,
                              total // qty if total else None))
            return lines
        if not self.item_fields:
            return lines
        columns = self.columns
        sku_i, name_i = columns.get("line_sku", ()), columns.get("line_name", ())
        qty_i, price_i = columns.get("line_quantity", ()), columns.get("line_price", ())
        for position, row in enumerate(rows):
            sku, name = _first(row, sku_i).strip(), _first(row, name_i).strip()
            qty_text, price_text = _first(row, qty_i), _first(row, price_i)
            if not (sku or name or qty_text.strip()):
                continue
            try:
                qty = check.quantity(qty_text, "item quantity")
            except CellError as exc:
                found.append((position, self.header("line_quantity"), str(exc), qty_text))
                continue
            try:
                price = check.money_minor(price_text, currency) if price_text.strip() else None
            except CellError as exc:
                found.append((position, self.header("line_price"), str(exc), price_text))
                continue
            lines.append((sku, html.unescape(name) if "&" in name else name, qty, price))
        return lines


def _first(row: list[str], indexes) -> str:
    for i in indexes:
        value = row[i]
        if value and not value.isspace():
            return value
    return ""


def one_line(text: str) -> str:
    """A cell typed over several lines (a multi-line address) as one line, its lines joined by commas."""
    if "\n" not in text and "\r" not in text and "  " not in text and "\t" not in text:
        return text.strip()
    return ", ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


_ITEM_SPLIT = re.compile(r";(?=\s*(?:id|name|product_id|sku|quantity):)")
