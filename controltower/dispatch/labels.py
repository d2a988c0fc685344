"""Labels and documents: carrier labels kept with the shipment, our own 4x6 label with barcodes, pick lists, manifests."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Sequence

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4, inch
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from ..domain import Order
from ..store.shipments import update_booking
from .settings import ShopSettings

LABEL_SIZE = (4 * inch, 6 * inch)
_EXTENSIONS = {"PDF": ".pdf", "PNG": ".png", "ZPL": ".zpl"}


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or "label"


def save_carrier_label(conn: sqlite3.Connection, shipment_id: int, data: bytes, label_format: str, folder: Path) -> Path:
    """Keep a carrier's label (PDF, PNG or ZPL, as it came) next to the store and record it on the shipment."""
    extension = _EXTENSIONS.get(label_format.upper())
    if extension is None:
        raise ValueError(f"unknown label format {label_format!r}; expected PDF, PNG or ZPL")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"shipment-{shipment_id}{extension}"
    path.write_bytes(data)
    update_booking(conn, shipment_id, label_path=str(path))
    return path


def own_label_pdf(order: Order, settings: ShopSettings, path: Path, carrier: str = "Own van", route_text: str = "") -> Path:
    """Our 4x6 label for own-van and pickup orders: addresses, a Code 128 and a QR code of the order number."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = LABEL_SIZE
    pdf = canvas.Canvas(str(path), pagesize=LABEL_SIZE)
    pdf.setTitle(f"Label {order.order_ref}")
    margin = 0.2 * inch
    y = height - margin - 10
    pdf.setFont("Helvetica", 8)
    for line in ("FROM", settings.shop_name, settings.shop_street, f"{settings.shop_city} {settings.shop_postcode}"):
        if line.strip():
            pdf.drawString(margin, y, line[:60])
            y -= 10
    pdf.line(margin, y, width - margin, y)
    y -= 18
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(margin, y, order.customer_name[:32])
    pdf.setFont("Helvetica", 12)
    for line in (order.address.street, order.address.line2, f"{order.address.postcode} {order.address.city}".strip(), order.phone):
        if line.strip():
            y -= 16
            pdf.drawString(margin, y, line[:40])
    y -= 20
    pdf.setFont("Helvetica-Bold", 11)
    when = ""
    if order.promised_window:
        start = order.promised_window.start.astimezone(settings.tz)
        end = order.promised_window.end.astimezone(settings.tz)
        when = f"{start:%a %d %b %H:%M}-{end:%H:%M}"
    pdf.drawString(margin, y, f"{carrier}  {when}  {order.parcels} parcel(s)"[:60])
    if route_text:
        y -= 14
        pdf.drawString(margin, y, route_text[:60])
    # Code 128 across the width: what a handheld scanner reads.
    bar_height = 0.9 * inch
    barcode = code128.Code128(order.order_ref, barHeight=bar_height, barWidth=1.2, humanReadable=True)
    barcode.drawOn(pdf, max((width - barcode.width) / 2, margin / 2), 1.75 * inch)
    # QR for phones: the same order number.
    size = 1.35 * inch
    widget = qr.QrCodeWidget(order.order_ref)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, margin, 0.2 * inch)
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawRightString(width - margin, 0.75 * inch, order.order_ref[:14])
    pdf.showPage()
    pdf.save()
    return path


def _zpl_text(text: str, limit: int = 40) -> str:
    """Untrusted text made safe for a ZPL field: no command characters (^ ~), plain ASCII."""
    cleaned = text.replace("^", " ").replace("~", " ").encode("ascii", "replace").decode()
    return cleaned[:limit]


def own_label_zpl(order: Order, settings: ShopSettings, carrier: str = "Own van") -> bytes:
    """The same 4x6 label in ZPL II for a thermal printer at 203 dpi (812 x 1218 dots)."""
    when = ""
    if order.promised_window:
        start = order.promised_window.start.astimezone(settings.tz)
        when = f"{start:%a %d %b %H:%M}-{order.promised_window.end.astimezone(settings.tz):%H:%M}"
    lines = [
        "^XA", "^CI28", "^PW812", "^LL1218",
        f"^FO40,30^A0N,24,24^FDFROM {_zpl_text(settings.shop_name)}^FS",
        f"^FO40,60^A0N,24,24^FD{_zpl_text(settings.shop_street)}, {_zpl_text(settings.shop_city)}^FS",
        "^FO40,100^GB732,3,3^FS",
        f"^FO40,130^A0N,48,48^FD{_zpl_text(order.customer_name, 28)}^FS",
        f"^FO40,195^A0N,36,36^FD{_zpl_text(order.address.street)}^FS",
        f"^FO40,240^A0N,36,36^FD{_zpl_text(order.address.postcode + ' ' + order.address.city)}^FS",
        f"^FO40,300^A0N,30,30^FD{_zpl_text(carrier)}  {when}  {order.parcels} parcel(s)^FS",
        f"^FO60,420^BY3^BCN,200,Y,N,N^FD{_zpl_text(order.order_ref)}^FS",
        f"^FO40,760^BQN,2,8^FDLA,{_zpl_text(order.order_ref)}^FS",
        f"^FO420,900^A0N,60,60^FD{_zpl_text(order.order_ref, 14)}^FS",
        "^XZ",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def send_raw(data: bytes, host: str, port: int = 9100, timeout_s: float = 10.0) -> None:
    """Send a label straight to a network thermal printer (raw port 9100, as Zebra and most label printers take)."""
    import socket

    with socket.create_connection((host, port), timeout=timeout_s) as connection:
        connection.sendall(data)


def _table_pdf(path: Path, title: str, header: Sequence[str], rows: Sequence[Sequence[str]], footer: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=title)
    heading = Table([[title]], colWidths=[doc.width])
    heading.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica-Bold", 14)]))
    table = Table([list(header), *[[str(c) for c in row] for row in rows]], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9), ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("GRID", (0, 0), (-1, -1), 0.25, "#999999"), ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story = [heading, Spacer(1, 6 * mm), table]
    if footer:
        story += [Spacer(1, 12 * mm), Table([[footer]], colWidths=[doc.width])]
    doc.build(story)
    return path


def pick_list_pdf(orders: Sequence[Order], path: Path, when: datetime) -> Path:
    """What to take off the shelves: one row per order line, grouped by order, with a tick column."""
    rows = []
    for order in orders:
        lines = order.lines or ()
        if not lines:
            rows.append([order.order_ref, order.customer_name, "", f"{order.parcels} parcel(s)", "", "[ ]"])
        for line in lines:
            rows.append([order.order_ref, order.customer_name, line.sku, line.name, str(line.quantity), "[ ]"])
    return _table_pdf(path, f"Pick list — {when:%a %d %b %Y %H:%M}", ("Order", "Customer", "SKU", "Item", "Qty", "Picked"), rows)


def manifest_pdf(conn: sqlite3.Connection, carrier: str, carrier_name: str, shipment_ids: Sequence[int], path: Path,
                 when: datetime) -> Path:
    """The handover sheet for one carrier collection: every parcel, with a line for the driver's signature."""
    rows = []
    parcels = 0
    for shipment_id in shipment_ids:
        row = conn.execute("SELECT s.tracking_number, s.service, o.order_ref, o.customer_name, o.postcode, o.parcels, o.weight_g "
                           "FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.id = ? AND s.carrier = ?",
                           (shipment_id, carrier)).fetchone()
        if row is None:
            continue
        parcels += row["parcels"]
        rows.append([row["order_ref"], row["tracking_number"] or "(pending)", row["service"], row["customer_name"],
                     row["postcode"], str(row["parcels"]), f"{row['weight_g'] / 1000:.1f}"])
    footer = f"{len(rows)} shipments, {parcels} parcels handed to {carrier_name}.   Driver signature: ____________________"
    return _table_pdf(path, f"Handover manifest — {carrier_name} — {when:%a %d %b %Y %H:%M}",
                      ("Order", "Tracking", "Service", "Customer", "Postcode", "Parcels", "kg"), rows, footer)
