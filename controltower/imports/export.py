"""Writing orders, shipments, routes and exceptions to CSV or XLSX, with formula-looking cells neutralised."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import InputError

# A spreadsheet runs a cell starting with these as a formula (CSV injection); a leading quote makes it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run, made inert with a leading apostrophe; numbers and blanks pass as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


# What each export holds: the columns (header, SQL expression) and the query's tail. Never user text in SQL.
EXPORTS: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "orders": ((
        ("Order", "o.order_ref"), ("Created (UTC)", "o.created_at"), ("Customer", "o.customer_name"),
        ("Phone", "o.phone"), ("Email", "o.email"), ("Street", "o.street"), ("Line 2", "o.line2"), ("City", "o.city"),
        ("Region", "o.region"), ("Postcode", "o.postcode"), ("Country", "o.country"), ("Latitude", "o.lat"),
        ("Longitude", "o.lon"), ("Position precision", "o.geo_precision"), ("Delivery option", "o.delivery_option"),
        ("Deliver from (UTC)", "o.promised_start"), ("Deliver by (UTC)", "o.promised_end"), ("Parcels", "o.parcels"),
        ("Weight (g)", "o.weight_g"), ("Value", "printf('%.2f', o.value_minor / 100.0)"), ("Currency", "o.currency"),
        ("Status", "o.status"), ("Carrier", "o.carrier"), ("Source", "o.source"), ("Notes", "o.notes"),
        ("Items", "(SELECT group_concat(l.quantity || ' x ' || l.name, '; ') FROM order_lines l WHERE l.order_id = o.id)"),
    ), "FROM orders o ORDER BY o.created_at, o.id"),
    "shipments": ((
        ("Order", "o.order_ref"), ("Customer", "o.customer_name"), ("Kind", "s.kind"), ("Carrier", "s.carrier"),
        ("Service", "s.service"), ("Tracking number", "s.tracking_number"), ("Status", "s.status"),
        ("Status as of (UTC)", "s.status_as_of"), ("Promised by (UTC)", "s.promised_by"), ("ETA (UTC)", "s.eta"),
        ("Cost", "CASE WHEN s.cost_minor IS NULL THEN NULL ELSE printf('%.2f', s.cost_minor / 100.0) END"),
        ("Currency", "s.currency"), ("Created (UTC)", "s.created_at"), ("Last event (UTC)", "s.last_event_at"),
    ), "FROM shipments s JOIN orders o ON o.id = s.order_id ORDER BY s.created_at, s.id"),
    "routes": ((
        ("Date", "r.plan_date"), ("Route", "r.id"), ("Vehicle", "v.name"), ("Route status", "r.status"),
        ("Stop", "st.sequence"), ("Order", "o.order_ref"), ("Customer", "o.customer_name"), ("Street", "o.street"),
        ("City", "o.city"), ("Postcode", "o.postcode"), ("Planned arrival (UTC)", "st.planned_arrival"),
        ("Actual arrival (UTC)", "st.actual_arrival"), ("Stop status", "st.status"),
        ("Route distance (km)", "printf('%.1f', r.distance_m / 1000.0)"), ("Route duration (min)", "r.duration_s / 60"),
    ), "FROM routes r JOIN vehicles v ON v.id = r.vehicle_id LEFT JOIN stops st ON st.route_id = r.id "
       "LEFT JOIN orders o ON o.id = st.order_id ORDER BY r.plan_date, r.id, st.sequence"),
    "exceptions": ((
        ("Opened (UTC)", "e.opened_at"), ("Kind", "e.kind"), ("Severity", "e.severity"), ("Order", "o.order_ref"),
        ("Customer", "o.customer_name"), ("Summary", "e.summary"), ("Suggested action", "e.suggested_action"),
        ("Resolved (UTC)", "e.resolved_at"), ("Resolution", "e.resolution"), ("Snoozed until (UTC)", "e.snoozed_until"),
    ), "FROM exceptions e LEFT JOIN orders o ON o.id = e.order_id ORDER BY e.opened_at, e.id"),
}


def export_rows(conn, what: str) -> tuple[list[str], list[tuple]]:
    if what not in EXPORTS:
        raise InputError(f"Nothing called “{what}” can be exported.", f"Choose one of: {', '.join(EXPORTS)}.")
    columns, tail = EXPORTS[what]
    sql = f"SELECT {', '.join(expr for _, expr in columns)} {tail}"
    return [name for name, _ in columns], [tuple(r) for r in conn.execute(sql)]


def export(conn, what: str, path: str | Path) -> int:
    """Write one export to `path` (.csv or .xlsx by its extension); returns the number of data rows."""
    headers, rows = export_rows(conn, what)
    write_table(path, headers, rows, sheet_title=what.capitalize())
    return len(rows)


def write_table(path: str | Path, headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str = "Sheet") -> None:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(path, headers, rows, sheet_title)
    elif suffix in (".csv", ".txt", ""):
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # the BOM makes Excel read UTF-8
            writer = csv.writer(handle)
            writer.writerow([neutralise(h) for h in headers])
            writer.writerows([neutralise(v) for v in row] for row in rows)
    else:
        raise InputError(f"Can't write a {suffix} file.", "Name the file .csv or .xlsx.")


def _write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])

    def cells(values: Sequence) -> list:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            out.append(cell)
        return out

    sheet.append(cells(headers))
    for row in rows:
        sheet.append(cells(row))
    workbook.save(path)
