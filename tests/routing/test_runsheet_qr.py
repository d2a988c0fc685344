"""Each stop on a driver's printed run sheet has a QR code that opens directions to it (issue 17, item 7): the PDF
is rendered as a page image, its codes decoded with zbar, and each must lead to that stop's own coordinates as the
store has them, in stop order."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from pyzbar import pyzbar

from controltower.routing.runsheet import RunSheet, navigation_link, write_pdf
from controltower.routing.service import RoutingService
from tests.dispatch.test_labels import render_page

from .test_service import MORNING, planned


def destination(link: str) -> tuple[float, float]:
    lat, lon = parse_qs(urlparse(link).query)["destination"][0].split(",")
    return float(lat), float(lon)


def qr_links(qapp, path) -> list[str]:
    """The QR codes on the PDF's first page, top to bottom."""
    image, _ = render_page(qapp, path, dpi=300)
    codes = [s for s in pyzbar.decode(image) if s.type == "QRCODE"]
    return [s.data.decode() for s in sorted(codes, key=lambda s: s.rect.top)]


def test_each_stops_qr_opens_directions_to_that_stop(qapp, van_day, tmp_path):
    service = RoutingService(van_day, clock=MORNING)
    day = service.load_day("2026-11-26")
    plan = planned(service, day)
    files = service.dispatch(day, plan, frozenset(), tmp_path)
    first_van = next(i for i, r in enumerate(plan.routes) if r)
    name = day.vehicles[first_van].name.replace(" ", "_")
    pdf = next(p for p in files if p.suffix == ".pdf" and name in p.name)
    stored = {ref: (lat, lon) for ref, lat, lon in van_day.query("SELECT order_ref, lat, lon FROM orders")}
    expected = [stored[day.stops[s].order_ref] for s in plan.routes[first_van]]
    links = qr_links(qapp, pdf)
    assert len(links) == len(expected) > 0  # one per stop, none lost in printing
    for link, (lat, lon) in zip(links, expected):
        assert link.startswith("https://www.google.com/maps/dir/?api=1&destination=")
        assert destination(link) == pytest.approx((lat, lon), abs=1e-6)


def test_a_stop_without_a_position_has_no_code_and_the_others_keep_theirs(qapp, tmp_path):
    rows = tuple((str(n), "09:00", "", f"R-{n}", "Ada", "1 Main St", "", "1", "delivery", "") for n in (1, 2))
    sheet = RunSheet("Van 1", "Dana", "2026-11-26", rows, 3.2, "08:00", "10:00", ((60.170833, 24.9375), None))
    links = qr_links(qapp, write_pdf(sheet, tmp_path / "sheet.pdf"))
    assert links == [navigation_link(60.170833, 24.9375)]
    assert destination(links[0]) == (60.170833, 24.9375)
