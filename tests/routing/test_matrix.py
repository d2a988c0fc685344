"""Travel times: the offline estimate, and an OSRM table server on 127.0.0.1 with caching and fallback."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from controltower.routing.matrix import OfflineMatrixProvider, OsrmMatrixProvider
from controltower.routing.model import Place

A, B = Place(-122.68, 45.52), Place(-122.68, 45.529)  # 1 km apart, north-south


def test_offline_times_use_the_slowest_hour_planned():
    provider = OfflineMatrixProvider(circuity=1.35)
    night = provider.matrix([A, B], hours=(0, 3))
    rush = provider.matrix([A, B], hours=(7, 10))
    assert 1300 <= night.distance[0][1] <= 1400  # ~1000 m x 1.35 circuity
    assert night.distance[0][0] == 0
    assert rush.duration[0][1] > night.duration[0][1]  # 18 km/h in the morning rush vs 32 at night
    assert rush.duration[0][1] == pytest.approx(night.distance[0][1] / (18 / 3.6), abs=1)


class FakeOsrm(BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self):  # noqa: N802
        FakeOsrm.calls += 1
        n = self.path.split("?")[0].rsplit("/", 1)[1].count(";") + 1
        body = {"code": "Ok", "durations": [[0 if i == j else 300 for j in range(n)] for i in range(n)],
                "distances": [[0 if i == j else 2500.4 for j in range(n)] for i in range(n)]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeOsrm.calls = 0
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_osrm_table_is_used_and_cached_in_the_store(osrm_server, store):
    from controltower.routing.service import StoreMatrixCache

    provider = OsrmMatrixProvider(osrm_server, cache=StoreMatrixCache(store))
    first = provider.matrix([A, B])
    assert first.source == "osrm" and first.distance[0][1] == 2500 and first.duration[1][0] == 300
    again = OsrmMatrixProvider(osrm_server, cache=StoreMatrixCache(store)).matrix([A, B])
    assert again.distance == first.distance
    assert FakeOsrm.calls == 1  # the second answer came from the store


def test_a_dead_server_falls_back_to_offline_times_with_a_visible_warning():
    provider = OsrmMatrixProvider("http://127.0.0.1:9", timeout=0.5)
    matrix = provider.matrix([A, B])
    assert matrix.source == "offline"
    assert "did not answer" in matrix.warning and "offline estimates" in matrix.warning
    assert matrix.distance == OfflineMatrixProvider().matrix([A, B]).distance
