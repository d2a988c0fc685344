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
QR_SIZE = 54  # points: about 19 mm, what a phone's camera reads at arm's length off a printed sheet


def navigation_link(lat: float, lon: float) -> str:
    """A link that opens turn-by-turn directions to the stop in the phone's maps app (a Google Maps URL: Android and
    iOS open it in Google Maps, or in the browser's map where it is not installed)."""
    return f"https://www.google.com/maps/dir/?api=1&destination={lat:.6f},{lon:.6f}&travelmode=driving"


@dataclass(frozen=True)
class RunSheet:
    vehicle: str
    driver: str
    plan_date: str
    rows: tuple[tuple[str, ...], ...]  # one per stop, in COLUMNS order
    distance_km: float
    start: str
    end: str
    places: tuple[tuple[float, float] | None, ...] = ()  # (lat, lon) of each stop, in row order


def run_sheets(day: "RoutingDay", plan: "Plan", evaluation: Evaluation) -> list[RunSheet]:
    sheets = []
    for report in evaluation.routes:
        if not report.visits:
            continue
        rows, places = [], []
        for n, visit in enumerate(report.visits, start=1):
            info = day.stops[visit.stop]
            place = day.problem.stops[visit.stop].place
            places.append((place.y, place.x))
            window = ""
            if info.promised_window:
                tz = day.local(0).tzinfo
                window = f"{info.promised_window.start.astimezone(tz):%H:%M}-{info.promised_window.end.astimezone(tz):%H:%M}"
            rows.append((str(n), f"{day.local(visit.start):%H:%M}", window, info.order_ref, info.customer_name,
                         info.address, info.phone, str(info.parcels), info.kind, info.notes))
        vehicle = day.vehicles[report.vehicle]
        sheets.append(RunSheet(vehicle.name, vehicle.driver_name, day.plan_date, tuple(rows), report.distance / 1000,
                               f"{day.local(report.start):%H:%M}", f"{day.local(report.end):%H:%M}", tuple(places)))
    return sheets


def _file_stem(sheet: RunSheet) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", f"run-sheet_{sheet.plan_date}_{sheet.vehicle}").strip("_")


def write_csv(sheet: RunSheet, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS + ("Directions",))
        # Leading = + - @ would run as formulas in a spreadsheet: customer text is untrusted.
        writer.writerows([tuple("'" + c if c[:1] in "=+-@" else c for c in row) + (_link(sheet, n),)
                          for n, row in enumerate(sheet.rows)])
    return path


def _link(sheet: RunSheet, n: int) -> str:
    place = sheet.places[n] if n < len(sheet.places) else None
    return navigation_link(*place) if place else ""


def _qr(link: str):
    """A QR code of `link`, QR_SIZE square, as a flowable for a table cell; "" when there is no link."""
    if not link:
        return ""
    from reportlab.graphics.barcode import qr
    from reportlab.graphics.shapes import Drawing

    widget = qr.QrCodeWidget(link, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def write_pdf(sheet: RunSheet, path: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from xml.sax.saxutils import escape

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), title=f"Run sheet {sheet.vehicle} {sheet.plan_date}")
    header = [Paragraph(escape(c), small) for c in COLUMNS + ("Go",)]
    # A QR per stop: the driver's phone camera opens directions to it.
    body = [[Paragraph(escape(c), small) for c in row] + [_qr(_link(sheet, n))] for n, row in enumerate(sheet.rows)]
    table = Table([header] + body, repeatRows=1, colWidths=[28, 36, 60, 58, 100, 170, 80, 36, 46, 102, QR_SIZE + 8])
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
