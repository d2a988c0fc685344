"""Labels and documents: our 4x6 label's barcodes decode back to the order; carrier labels are kept with the shipment."""
from __future__ import annotations

from datetime import datetime

import pytest
from pyzbar import pyzbar

from controltower.dispatch.labels import LABEL_SIZE, manifest_pdf, own_label_pdf, pick_list_pdf, save_carrier_label
from controltower.domain import UTC, OrderLine, Shipment, ShipmentStatus
from controltower.store.shipments import create_shipment, get_shipment

from .conftest import add_orders, make_order, shop_settings, window


def render_page(qapp, path, dpi=200):
    """The PDF's first page as a grayscale PIL image, rendered by Qt's own PDF engine."""
    from PIL import Image
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument(None)
    assert document.load(str(path)) == QPdfDocument.Error.None_
    points = document.pagePointSize(0)
    rendered = document.render(0, QSize(int(points.width() * dpi / 72), int(points.height() * dpi / 72)))
    image = QImage(rendered.size(), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))  # the page renders on transparency; paper is white
    painter = QPainter(image)
    painter.drawImage(0, 0, rendered)
    painter.end()
    image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    stride = image.bytesPerLine()
    raw = bytes(image.constBits())
    pil = Image.frombytes("L", (image.width(), image.height()), raw, "raw", "L", stride)
    document.close()
    return pil, points


def test_own_label_barcodes_decode_to_the_order(qapp, tmp_path):
    order = make_order("CB-10042", window=window("2026-11-25T14:00", "2026-11-25T16:00"), parcels=2)
    path = own_label_pdf(order, shop_settings(), tmp_path / "label.pdf")
    image, points = render_page(qapp, path)
    assert (round(points.width()), round(points.height())) == (round(LABEL_SIZE[0]), round(LABEL_SIZE[1]))
    decoded = {(symbol.type, symbol.data.decode()) for symbol in pyzbar.decode(image)}
    assert ("CODE128", "CB-10042") in decoded
    assert ("QRCODE", "CB-10042") in decoded


def test_carrier_label_is_saved_with_the_shipment(store, shop, tmp_path):
    ids = add_orders(store, make_order("L1"))
    with store.transaction() as conn:
        shipment_id = create_shipment(conn, Shipment(ids["L1"], "easypost"))
        path = save_carrier_label(conn, shipment_id, b"^XA^FDhello^FS^XZ", "zpl", tmp_path / "labels")
    assert path.read_bytes() == b"^XA^FDhello^FS^XZ" and path.suffix == ".zpl"
    assert get_shipment(store.conn, shipment_id).label_path == str(path)
    with pytest.raises(ValueError):
        save_carrier_label(store.conn, shipment_id, b"", "GIF", tmp_path)


def test_pick_list_and_manifest_are_pdfs_listing_the_orders(store, shop, tmp_path):
    from dataclasses import replace

    order = replace(make_order("P1"), lines=(OrderLine("SKU-9", "Atlas of <b>Maps</b>", 2),))
    ids = add_orders(store, order, make_order("P2"))
    when = datetime(2026, 11, 25, 15, tzinfo=UTC)
    pick = pick_list_pdf([order], tmp_path / "pick.pdf", when)
    with store.transaction() as conn:
        shipments = [create_shipment(conn, Shipment(ids[ref], "zippy", tracking_number=f"Z{ref}")) for ref in ("P1", "P2")]
    manifest = manifest_pdf(store.conn, "zippy", "Zippy Express", shipments, tmp_path / "manifest.pdf", when)
    from PySide6.QtPdf import QPdfDocument

    for path, expected in ((pick, ["P1", "Atlas of <b>Maps</b>", "SKU-9"]), (manifest, ["ZP1", "ZP2", "2 shipments"])):
        document = QPdfDocument(None)
        document.load(str(path))
        text = document.getAllText(0).text()
        for word in expected:
            assert word in text, (path.name, word)
        document.close()


def test_zpl_label_goes_raw_to_a_thermal_printer(tmp_path):
    import socket
    import threading

    from controltower.dispatch.labels import own_label_zpl, send_raw

    order = make_order("CB-77", window=window("2026-11-25T14:00", "2026-11-25T16:00"))
    order = type(order)(**{**order.__dict__, "customer_name": "Eve ^XZ~JR"})  # printer commands in a name stay text
    zpl = own_label_zpl(order, shop_settings())
    assert zpl.startswith(b"^XA") and zpl.rstrip().endswith(b"^XZ") and zpl.count(b"^XZ") == 1
    assert b"^BCN,200,Y,N,N^FDCB-77^FS" in zpl and b"^FDLA,CB-77^FS" in zpl
    received = bytearray()
    with socket.create_server(("127.0.0.1", 0)) as server:  # a printer's raw port
        def accept():
            connection, _ = server.accept()
            with connection:
                while chunk := connection.recv(4096):
                    received.extend(chunk)
        reader = threading.Thread(target=accept)
        reader.start()
        send_raw(zpl, "127.0.0.1", server.getsockname()[1])
        reader.join(5)
    assert bytes(received) == zpl


def test_labels_of_carrier_bookings_are_fetched_by_url_and_kept(store, shop, tmp_path):
    import asyncio
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from controltower.carriers.base import Capability, Label
    from controltower.dispatch.service import DispatchService

    from .conftest import QuotingCarrier

    class LabelServer(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"%PDF-1.4 carrier label"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), LabelServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    class LabelCarrier(QuotingCarrier):
        capabilities = frozenset({Capability.QUOTE, Capability.LABEL})

        async def label(self, tracking_ref):
            return Label("PDF", url=f"http://127.0.0.1:{server.server_address[1]}/labels/{tracking_ref}.pdf")

    order_id = add_orders(store, make_order("LB-1"))["LB-1"]
    with store.transaction() as conn:
        shipment_id = create_shipment(conn, Shipment(order_id, "parcelco", external_id="shp_123"))
    with store.transaction() as conn:  # a booked courier shipment: couriers give no labels
        courier_id = create_shipment(conn, Shipment(order_id, "zippy", ShipmentStatus.BOOKED, external_id="del_9"))
        conn.execute("UPDATE shipments SET status = 'booked' WHERE id = ?", (shipment_id,))
    service = DispatchService(store, adapters=lambda: [LabelCarrier("parcelco", {}), QuotingCarrier("zippy", {})],
                              documents_dir=tmp_path)
    try:
        saved, problems = asyncio.run(service.collect_labels())
    finally:
        server.shutdown()
    assert problems == {courier_id: "zippy gives no labels"}
    assert str(saved[shipment_id]) == get_shipment(store.conn, shipment_id).label_path
    assert saved[shipment_id].read_bytes() == b"%PDF-1.4 carrier label"
    assert asyncio.run(service.collect_labels()) == ({}, {courier_id: "zippy gives no labels"})  # fetched once
