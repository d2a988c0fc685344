"""Writing orders, shipments, routes and exceptions to CSV or XLSX, with formula-looking cells neutralised."""
from __future__ import annotations

import csv
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, Sequence

from ..domain.money import unusual_exponents
from ..kernel.errors import InputError

# A spreadsheet runs a cell starting with these as a formula (CSV injection); a leading quote makes it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int], None]  # rows written so far; it may raise ExportCancelled to stop the export


class ExportCancelled(Exception):
    """The user stopped the export; nothing is left behind."""
PROGRESS_EVERY = 5000
YIELD_EVERY = 50  # rows between moments the export thread lets the UI thread run (PROGRESS_EVERY is a multiple)


# A phone number in E.164 ("+14155550100"): digits after the plus can't run anything, so it stays as written.
_PHONE = re.compile(r"\+\d{6,15}")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run, made inert with a leading apostrophe; numbers, blanks and phone numbers
    pass as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS) and not _PHONE.fullmatch(value):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """A cell of the app's own CSV export as it was before neutralise() guarded it."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) and not _PHONE.fullmatch(value[1:]):
        return value[1:]
    return value


def _major_units(minor: str, currency: str) -> str:
    """SQL for an amount in minor units as a number in major units, by its currency's decimals (yen have none).
    Built from the fixed table of currencies in domain.money, never from user text."""
    cases = "".join(f" WHEN '{code}' THEN {10 ** digits}.0" for code, digits in sorted(unusual_exponents().items()))
    return f"round({minor} / (CASE upper({currency}){cases} ELSE 100.0 END), 3)"


def _carrier_name(code: str) -> str:
    """SQL for a carrier as the shop reads it: its account's name, never its code (domain.carriers.carrier_label)."""
    return (f"COALESCE((SELECT a.name FROM carrier_accounts a WHERE a.code = {code} AND a.name != ''), "
            f"CASE {code} WHEN 'own_fleet' THEN 'Own van' WHEN 'pickup' THEN 'Pickup at the shop' ELSE {code} END)")


def _item_text(column: str) -> str:
    """SQL for an item's name in the Items cell: & and | as HTML entities, so the importer splits it back exactly
    (it splits items only at a ";" before a key, so a name's own ";" stays)."""
    return f"replace(replace({column}, '&', '&amp;'), '|', '&#124;')"


# Every line of an order in one cell, in the packed form the importer reads back (imports.assemble, line_items):
# "sku:P-1|name:Pothos|quantity:3|total:42.0;sku:…", the total in major units of the order's currency.
_ITEMS = ("(SELECT group_concat(item, ';') FROM (SELECT 'sku:' || l.sku || '|name:' || " + _item_text("l.name")
          + " || '|quantity:' || l.quantity || CASE WHEN l.unit_price_minor IS NULL THEN '' ELSE '|total:' || "
          + _major_units("l.unit_price_minor * l.quantity", "o.currency") + " END AS item "
          "FROM order_lines l WHERE l.order_id = o.id ORDER BY l.id))")

# Columns whose digits are text (a leading zero, a leading +): typed as text in a workbook, so Excel keeps them.
TEXT_COLUMNS = frozenset({"Phone", "Postcode", "Order", "Tracking number"})


# What each export holds: the columns (header, SQL expression) and the query's tail. Never user text in SQL.
# Amounts and distances are numbers (rounded in SQL), so a spreadsheet can add them up.
EXPORTS: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "orders": ((
        ("Order", "o.order_ref"), ("Created (UTC)", "o.created_at"), ("Customer", "o.customer_name"),
        ("Phone", "o.phone"), ("Email", "o.email"), ("Street", "o.street"), ("Line 2", "o.line2"), ("City", "o.city"),
        ("Region", "o.region"), ("Postcode", "o.postcode"), ("Country", "o.country"), ("Latitude", "o.lat"),
        ("Longitude", "o.lon"), ("Position precision", "o.geo_precision"), ("Delivery option", "o.delivery_option"),
        ("Deliver from (UTC)", "o.promised_start"), ("Deliver by (UTC)", "o.promised_end"), ("Parcels", "o.parcels"),
        ("Weight (g)", "o.weight_g"), ("Value", _major_units("o.value_minor", "o.currency")), ("Currency", "o.currency"),
        ("Status", "o.status"), ("Carrier", _carrier_name("o.carrier")), ("Source", "o.source"), ("Notes", "o.notes"),
        ("Items", _ITEMS),
    ), "FROM orders o ORDER BY o.created_at, o.id"),
    "shipments": ((
        ("Order", "o.order_ref"), ("Customer", "o.customer_name"), ("Kind", "s.kind"), ("Carrier", _carrier_name("s.carrier")),
        ("Service", "s.service"), ("Tracking number", "s.tracking_number"), ("Status", "s.status"),
        ("Status as of (UTC)", "s.status_as_of"), ("Promised by (UTC)", "s.promised_by"), ("ETA (UTC)", "s.eta"),
        ("Cost", _major_units("s.cost_minor", "s.currency")),
        ("Currency", "s.currency"), ("Created (UTC)", "s.created_at"), ("Last event (UTC)", "s.last_event_at"),
    ), "FROM shipments s JOIN orders o ON o.id = s.order_id ORDER BY s.created_at, s.id"),
    "routes": ((
        ("Date", "r.plan_date"), ("Route", "r.id"), ("Vehicle", "v.name"), ("Route status", "r.status"),
        ("Stop", "st.sequence"), ("Order", "o.order_ref"), ("Customer", "o.customer_name"), ("Street", "o.street"),
        ("City", "o.city"), ("Postcode", "o.postcode"), ("Planned arrival (UTC)", "st.planned_arrival"),
        ("Actual arrival (UTC)", "st.actual_arrival"), ("Stop status", "st.status"),
        ("Route distance (km)", "round(r.distance_m / 1000.0, 1)"), ("Route duration (min)", "r.duration_s / 60"),
    ), "FROM routes r JOIN vehicles v ON v.id = r.vehicle_id LEFT JOIN stops st ON st.route_id = r.id "
       "LEFT JOIN orders o ON o.id = st.order_id ORDER BY r.plan_date, r.id, st.sequence"),
    "exceptions": ((
        ("Opened (UTC)", "e.opened_at"), ("Kind", "e.kind"), ("Severity", "e.severity"), ("Order", "o.order_ref"),
        ("Customer", "o.customer_name"), ("Summary", "e.summary"), ("Suggested action", "e.suggested_action"),
        ("Resolved (UTC)", "e.resolved_at"), ("Resolution", "e.resolution"), ("Snoozed until (UTC)", "e.snoozed_until"),
    ), "FROM exceptions e LEFT JOIN orders o ON o.id = e.order_id ORDER BY e.opened_at, e.id"),
}


@dataclass(frozen=True)
class ExportTable:
    """One table of an export: a sheet in a workbook, or one CSV file."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]


def _columns(what: str) -> tuple[tuple[tuple[str, str], ...], str]:
    if what not in EXPORTS:
        raise InputError(f"Nothing called “{what}” can be exported.", f"Choose one of: {', '.join(EXPORTS)}.")
    return EXPORTS[what]


def export_rows(conn, what: str) -> tuple[list[str], Iterator[tuple]]:
    """The headers and a cursor over the rows (streamed: a million orders never sit in memory at once)."""
    columns, tail = _columns(what)
    cursor = conn.execute(f"SELECT {', '.join(expr for _, expr in columns)} {tail}")
    return [name for name, _ in columns], (tuple(row) for row in cursor)


def count_rows(conn, what: str) -> int:
    """How many rows an export will have, for a progress bar."""
    _, tail = _columns(what)
    return conn.execute(f"SELECT count(*) {tail.split(' ORDER BY ')[0]}").fetchone()[0]


_WRITTEN = {"orders": "orders", "shipments": "shipments", "exceptions": "exception cases"}


def written(conn, what: str, rows: int) -> str:
    """What `rows` rows of an export are, in words: a routes export has a row per stop ("1,067 stops on 312 routes")."""
    if what != "routes":
        return f"{rows:,} {_WRITTEN.get(what, what)}"
    _, tail = _columns(what)
    stops, routes = conn.execute(f"SELECT count(st.id), count(DISTINCT r.id) {tail.split(' ORDER BY ')[0]}").fetchone()
    return f"{stops:,} stop{'s' * (stops != 1)} on {routes:,} route{'s' * (routes != 1)}"


def export(conn, what: str, path: str | Path, progress: Progress | None = None) -> int:
    """Write one export to `path` (.csv or .xlsx by its extension); returns the number of data rows."""
    headers, rows = export_rows(conn, what)
    counted = _Counted(rows, progress)
    write_tables(path, [ExportTable(what.capitalize(), headers, counted)])
    return counted.count


def write_table(path: str | Path, headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str = "Sheet") -> None:
    write_tables(path, [ExportTable(sheet_title, headers, rows)])


def write_tables(path: str | Path, tables: Sequence[ExportTable]) -> list[Path]:
    """Write tables to `path`: an .xlsx gets one sheet per table; a .csv gets the first table, and each further one
    goes to a file beside it named after the table (orders.csv, orders-scorecard.csv). Returns the files written.

    Each file is written under a temporary name and moved into place, so a failed export never leaves half a file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        targets = [(path, list(tables))]
    elif suffix in (".csv", ".txt", ""):
        targets = [(path if i == 0 else sibling_path(path, table.title), [table]) for i, table in enumerate(tables)]
    else:
        raise InputError(f"Can't write a {suffix} file.", "Name the file .csv or .xlsx.")
    written = []
    for target, contents in targets:
        partial = target.with_name(f".{target.name}.part")
        try:
            # Opened before any row is read, so an unwritable place fails at once, before the work.
            if suffix == ".xlsx":
                with open(partial, "wb") as handle:
                    _write_xlsx(handle, contents)
            else:
                with open(partial, "w", newline="", encoding="utf-8-sig") as handle:  # the BOM makes Excel read UTF-8
                    _write_csv(handle, contents[0])
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise InputError(f"Can't write {target}: {exc.strerror or exc}.",
                             "Choose a folder that exists and that you can write to, and close the file if a "
                             "spreadsheet has it open.") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        written.append(target)
    return written


def sibling_path(path: Path, title: str) -> Path:
    """Where a further table of a CSV export goes: beside the first, named after the table."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "table"
    return path.with_name(f"{path.stem}-{slug}{path.suffix}")


def _write_csv(handle: IO[str], table: ExportTable) -> None:
    writer = csv.writer(handle)
    writer.writerow([neutralise(h) for h in table.headers])
    writer.writerows([neutralise(v) for v in row] for row in table.rows)


XLSX_MAX_ROWS = 1_048_576  # Excel's rows per sheet; a longer table continues on "Orders (2)", header repeated


def _write_xlsx(handle: IO[bytes], tables: Sequence[ExportTable]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    try:
        _fill_workbook(workbook, tables)
    except BaseException:
        _abandon(workbook)
        raise
    workbook.save(handle)


def _fill_workbook(workbook, tables: Sequence[ExportTable]) -> None:
    for table in tables:
        title = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:26]
        text_columns = [i for i, name in enumerate(table.headers) if name in TEXT_COLUMNS]
        sheet, part, filled, header = None, 0, XLSX_MAX_ROWS, []
        for row in table.rows:
            if filled == XLSX_MAX_ROWS:
                part += 1
                sheet = workbook.create_sheet(title if part == 1 else f"{title} ({part})")
                header = [_xlsx_value(sheet, h) for h in table.headers]
                sheet.append(header)
                filled = 1
            # Plain values (not a cell object each) write twice as fast: a cell object only where it matters.
            values = [_xlsx_value(sheet, v) for v in row]
            for i in text_columns:
                values[i] = _text_cell(sheet, values[i])
            sheet.append(values)
            filled += 1
        if sheet is None:  # no rows: the header alone
            sheet = workbook.create_sheet(title)
            sheet.append([_xlsx_value(sheet, h) for h in table.headers])


def _abandon(workbook) -> None:
    """Close the sheets' half-written temporary files (cancelled or failed export), so none stays on disk and no
    half-open XML writer complains when it is collected."""
    for sheet in workbook.worksheets:
        try:
            sheet.close()
            sheet._writer.cleanup()
        except Exception:  # best effort: the export's own error is the one to report
            pass


def _xlsx_value(sheet, value: object) -> object:
    """A value without the control characters XML can't hold (openpyxl refuses the whole file for one). A workbook
    cell is typed, so text is stored as text, never run and never given an apostrophe: openpyxl alone would make a
    formula of text starting with "=", so that text goes in a cell typed as a string. The control characters go
    first, so "\x07=cmd" is typed text too once its bell is gone."""
    if isinstance(value, str):
        value = _XML_ILLEGAL.sub("", value)
        if value.startswith("="):
            return _text_cell(sheet, value)
    return value


def _text_cell(sheet, value: object) -> object:
    """A cell holding `value` as text, formatted as text ("@"): Excel keeps 02134 and +1415… as typed."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell

    if value is None or isinstance(value, Cell):
        return value
    cell = WriteOnlyCell(sheet, str(value))
    cell.data_type, cell.number_format = "s", "@"
    return cell


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class _Counted:
    """Rows passed through, counted, with a progress call every few thousand."""

    def __init__(self, rows: Iterable[Sequence], progress: Progress | None) -> None:
        self.rows, self.progress, self.count = rows, progress, 0

    def __iter__(self) -> Iterator[Sequence]:
        for row in self.rows:
            self.count += 1
            if self.count % YIELD_EVERY == 0:
                # Hand the GIL over now and then: the UI thread needs it several times per event-loop turn, and
                # waiting the interpreter's 5 ms switch interval each time added up to 30-100 ms stalls.
                time.sleep(0)
                if self.progress is not None and self.count % PROGRESS_EVERY == 0:
                    self.progress(self.count)
            yield row
        if self.progress is not None:
            self.progress(self.count)
