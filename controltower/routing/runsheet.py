"""Each driver's run sheet in stop order, written as CSV and PDF (reportlab)."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .evaluator import Evaluation

if TYPE_CHECKING:
    from .model import Plan
    from .service import RoutingDay

COLUMNS = ("Stop", "Arrive", "Window", "Order", "Customer", "Address", "Phone", "Parcels", "Kind", "Notes")


@dataclass(frozen=True)
class RunSheet:
    vehicle: str
    driver: str
    plan_date: str
    rows: tuple[tuple[str, ...], ...]  # one per stop, in COLUMNS order
    distance_km: float
    start: str
    end: str


def run_sheets(day: "RoutingDay", plan: "Plan", evaluation: Evaluation) -> list[RunSheet]:
    sheets = []
    for report in evaluation.routes:
        if not report.visits:
            continue
        rows = []
        for n, visit in enumerate(report.visits, start=1):
            info = day.stops[visit.stop]
            window = ""
            if info.promised_window:
                tz = day.local(0).tzinfo
                window = f"{info.promised_window.start.astimezone(tz):%H:%M}-{info.promised_window.end.astimezone(tz):%H:%M}"
            rows.append((str(n), f"{day.local(visit.start):%H:%M}", window, info.order_ref, info.customer_name,
                         info.address, info.phone, str(info.parcels), info.kind, info.notes))
        vehicle = day.vehicles[report.vehicle]
        sheets.append(RunSheet(vehicle.name, vehicle.driver_name, day.plan_date, tuple(rows), report.distance / 1000,
                               f"{day.local(report.start):%H:%M}", f"{day.local(report.end):%H:%M}"))
    return sheets


def _file_stem(sheet: RunSheet) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", f"run-sheet_{sheet.plan_date}_{sheet.vehicle}").strip("_")


def write_csv(sheet: RunSheet, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        # Leading = + - @ would run as formulas in a spreadsheet: customer text is untrusted.
        writer.writerows([tuple("'" + c if c[:1] in "=+-@" else c for c in row) for row in sheet.rows])
    return path


def write_pdf(sheet: RunSheet, path: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from xml.sax.saxutils import escape

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), title=f"Run sheet {sheet.vehicle} {sheet.plan_date}")
    header = [Paragraph(escape(c), small) for c in COLUMNS]
    body = [[Paragraph(escape(c), small) for c in row] for row in sheet.rows]
    table = Table([header] + body, repeatRows=1, colWidths=[30, 40, 65, 60, 110, 190, 85, 40, 50, 110])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    title = f"{sheet.vehicle} — {sheet.driver or 'no driver set'} — {sheet.plan_date}"
    summary = f"{len(sheet.rows)} stops, {sheet.distance_km:.1f} km, leave {sheet.start}, back {sheet.end}"
    doc.build([Paragraph(escape(title), styles["Heading2"]), Paragraph(escape(summary), styles["BodyText"]),
               Spacer(1, 8), table])
    return path


def export_run_sheets(sheets: list[RunSheet], folder: str | Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet in sheets:
        stem = _file_stem(sheet)
        written.append(write_csv(sheet, folder / f"{stem}.csv"))
        written.append(write_pdf(sheet, folder / f"{stem}.pdf"))
    return written
