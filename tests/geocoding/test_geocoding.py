"""Geocoding: offline postcode centroids per country, the store cache, Nominatim's rules, unplaced addresses reported."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from controltower.domain import Address, DeliveryOption, GeoPrecision, Order
from controltower.geocoding import (CachedGeocoder, NominatimGeocoder, OfflinePostcodeGeocoder, build_geocoder,
                                    geocode_orders)
from controltower.store.orders import get_order, upsert_orders

OFFLINE = OfflinePostcodeGeocoder()


@pytest.mark.parametrize("address, near", [
    (Address("350 Fifth Avenue", "New York", "10118", "US"), (40.75, -73.99)),
    (Address("10 Downing Street", "London", "SW1A 2AA", "GB"), (51.50, -0.13)),
    (Address("24 Sussex Dr", "Ottawa", "K1M 1M4", "CA"), (45.45, -75.68)),
    (Address("Friedrichstraße 123", "Berlin", "10117", "DE"), (52.52, 13.39)),
    (Address("8 Rue du Faubourg Saint-Honoré", "Paris", "75008", "FR"), (48.87, 2.33)),
    (Address("1 Macquarie St", "Sydney", "2000", "AU"), (-33.86, 151.20)),
])
def test_offline_postcode_centroids_in_each_bundled_country(address, near):
    point = OFFLINE.locate(address)
    assert point is not None
    assert abs(point.lat - near[0]) < 0.1 and abs(point.lon - near[1]) < 0.1
    assert point.precision is GeoPrecision.POSTCODE and point.precision.is_approximate


def test_offline_falls_back_to_the_town_then_gives_up():
    by_town = OFFLINE.locate(Address("1 Hauptstraße", "Düsseldorf", "", "DE"))
    assert by_town is not None and by_town.precision is GeoPrecision.CITY
    assert OFFLINE.locate(Address("1 Nowhere Rd", "Atlantis", "99999", "ZZ")) is None
    assert {"US", "GB", "CA", "DE", "FR", "AU"} <= OFFLINE.countries()


class FakeNominatim(BaseHTTPRequestHandler):
    """A Nominatim /search on 127.0.0.1 that knows one street; records every request."""

    requests: list = []
    status = 200

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        type(self).requests.append((time.monotonic(), url.path, query, self.headers.get("User-Agent")))
        if type(self).status != 200:
            self.send_response(type(self).status)
            self.end_headers()
            return
        body = []
        if query.get("street", "").lower() == "1 infinite loop":
            body = [{"place_id": 1, "lat": "37.33182", "lon": "-122.03118", "category": "building", "type": "house",
                     "place_rank": 30, "importance": 0.3, "display_name": "1 Infinite Loop, Cupertino"}]
        elif query.get("street", "").lower() == "main street":
            body = [{"place_id": 2, "lat": "37.3", "lon": "-122.0", "category": "highway", "type": "residential",
                     "place_rank": 26, "display_name": "Main Street"}]
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def nominatim():
    FakeNominatim.requests = []
    FakeNominatim.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNominatim)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeNominatim
    server.shutdown()
    server.server_close()


def test_nominatim_is_asked_once_per_address_politely(store, nominatim):
    url, fake = nominatim
    geocoder = CachedGeocoder(store, [NominatimGeocoder(url, min_interval=0.3), OfflinePostcodeGeocoder()])
    address = Address("1 Infinite Loop", "Cupertino", "95014", "US")

    async def run():
        first = await geocoder.geocode(address)
        again = await geocoder.geocode(Address("1 INFINITE LOOP", "cupertino", "95014", "US"))  # same address, typed differently
        street = await geocoder.geocode(Address("Main Street", "Cupertino", "95014", "US"))
        return first, again, street

    first, again, street = asyncio.run(run())
    assert first.precision is GeoPrecision.ROOFTOP and abs(first.lat - 37.33182) < 1e-6
    assert again == first
    assert street.precision is GeoPrecision.STREET
    assert len(fake.requests) == 2  # the second look-up came from the cache
    (t1, path, query, agent), (t2, *_rest) = fake.requests
    assert path == "/search" and query["format"] == "jsonv2" and query["countrycodes"] == "us"
    assert agent.startswith("ControlTower/")
    assert t2 - t1 >= 0.29  # one request per interval


def test_when_the_service_is_down_the_offline_data_places_the_order_and_nothing_wrong_is_cached(store, nominatim):
    url, fake = nominatim
    fake.status = 503
    geocoder = CachedGeocoder(store, [NominatimGeocoder(url, min_interval=0), OfflinePostcodeGeocoder()])
    point = asyncio.run(geocoder.geocode(Address("1 Infinite Loop", "Cupertino", "95014", "US")))
    assert point.precision is GeoPrecision.POSTCODE
    assert "failing (HTTP 503)" in geocoder.last_errors[0]


def test_public_nominatim_is_never_used_for_a_batch(store):
    public = NominatimGeocoder()
    assert public.interactive_only
    geocoder = CachedGeocoder(store, [public, OfflinePostcodeGeocoder()])
    # No network here: were the public server asked, this would raise or wait; it is skipped instead.
    point = asyncio.run(geocoder.geocode(Address("1 Macquarie St", "Sydney", "2000", "AU")))
    assert point.precision is GeoPrecision.POSTCODE


def _order(ref, street, city, code, country):
    return Order(ref, "Customer " + ref, Address(street, city, code, country), DeliveryOption.STANDARD,
                 datetime(2025, 10, 1, tzinfo=timezone.utc))


def test_geocode_orders_saves_positions_and_reports_unplaced_addresses(store):
    with store.transaction() as conn:
        ids = upsert_orders(conn, [_order("A", "1 Rue X", "Paris", "75008", "FR"), _order("B", "1 Nowhere", "Atlantis", "00000", "ZZ"),
                                   _order("C", "Königsallee 1", "Düsseldorf", "40212", "DE")]).ids
    report = asyncio.run(geocode_orders(store, build_geocoder(store)))
    assert (report.placed, report.approximate) == (2, 2)
    assert [(u.order_ref, u.order_id) for u in report.unplaced] == [("B", ids["B"])]
    assert "check the street, postcode and country" in report.unplaced[0].reason
    paris = get_order(store.conn, ids["A"])
    assert paris.location.precision is GeoPrecision.POSTCODE and abs(paris.location.lat - 48.87) < 0.05
    # the miss is remembered: asking again does not ask again
    assert store.scalar("SELECT count(*) FROM geocode_cache WHERE precision = 'unknown'") == 1
