"""The tile cache and fetcher: MBTiles on disk, a polite client, areas kept for offline use only where allowed."""
from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from controltower.domain.timeutil import utcnow
from controltower.maps.tiles import (
    OPENSTREETMAP, Area, AreaTooLarge, OfflineDownloadNotAllowed, TileCache, TileFetcher, TileServerUnreachable,
    TileSource, TileUnavailable, download_area, estimate_area, expiry_from_headers, load_tile_source, open_tiles,
    save_tile_source, tile_xy, tiles_in_area,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"tile-bytes" * 50


class FakeTileServer:
    """A tile server on 127.0.0.1 that records what it was asked and how."""

    def __init__(self, cache_control: str = "max-age=604800", etag: str = '"v1"') -> None:
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                if self.path.startswith("/missing"):
                    self.send_response(404)
                    self.end_headers()
                    return
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("Cache-Control", cache_control)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                if cache_control:
                    self.send_header("Cache-Control", cache_control)
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(PNG)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def source(self, allows_offline_download: bool = True) -> TileSource:
        return TileSource("Test tiles", self.url + "/{z}/{x}/{y}.png", "© test", allows_offline_download, max_zoom=18)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = FakeTileServer()
    yield running
    running.close()


@pytest.fixture
def cache(tmp_path):
    tiles = TileCache(tmp_path / "tiles.mbtiles")
    yield tiles
    tiles.close()


def test_cache_is_a_real_mbtiles_file_with_rows_counted_from_the_south(cache, tmp_path):
    cache.put(3, 2, 1, PNG, utcnow() + timedelta(days=7))
    assert cache.get(3, 2, 1).data == PNG
    conn = sqlite3.connect(tmp_path / "tiles.mbtiles")
    assert conn.execute("SELECT zoom_level, tile_column, tile_row FROM tiles").fetchall() == [(3, 2, 6)]
    assert dict(conn.execute("SELECT name, value FROM metadata"))["format"] == "png"


def test_a_user_supplied_mbtiles_file_is_read_only_and_always_fresh(tmp_path):
    conn = sqlite3.connect(tmp_path / "shop-area.mbtiles")
    conn.executescript("CREATE TABLE metadata (name, value); CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data);")
    conn.execute("INSERT INTO tiles VALUES (1, 0, 1, ?)", (PNG,))  # row 1 from the south is y=0 at zoom 1
    conn.commit()
    supplied = TileCache(tmp_path / "shop-area.mbtiles", readonly=True)
    tile = supplied.get(1, 0, 0)
    assert tile.data == PNG and tile.is_fresh(utcnow() + timedelta(days=3650))
    assert TileFetcher(supplied, None).tile(1, 0, 0) == PNG


def test_fetching_sends_our_user_agent_and_caches_the_tile(cache, server):
    fetcher = TileFetcher(cache, server.source())
    assert fetcher.tile(5, 10, 12) == PNG
    assert fetcher.tile(5, 10, 12) == PNG
    assert len(server.requests) == 1  # the second view came from the cache
    assert server.requests[0]["path"] == "/5/10/12.png"
    agent = server.requests[0]["user-agent"]
    assert agent.startswith("ControlTower/") and "python-httpx/" not in agent and "Mozilla" not in agent
    assert "cache-control" not in server.requests[0]  # never ask the server to bypass its caches
    assert cache.stats() == (1, len(PNG))


def test_a_stale_tile_is_revalidated_with_its_etag(cache, server):
    cache.put(4, 1, 1, PNG, utcnow() - timedelta(seconds=1), etag='"v1"')
    fetcher = TileFetcher(cache, server.source())
    assert fetcher.tile(4, 1, 1) == PNG
    assert server.requests[0]["if-none-match"] == '"v1"'
    assert cache.get(4, 1, 1).is_fresh(utcnow())  # the 304 extended it


def test_offline_serves_stale_tiles_and_says_so_when_there_is_none(cache):
    dead = TileSource("Down", "http://127.0.0.1:9/{z}/{x}/{y}.png", "")
    fetcher = TileFetcher(cache, dead, client=httpx.Client(timeout=2))
    cache.put(2, 1, 1, PNG, utcnow() - timedelta(days=30))
    assert fetcher.tile(2, 1, 1) == PNG
    with pytest.raises(TileServerUnreachable) as error:
        fetcher.tile(2, 2, 2)
    assert "offline background" in error.value.advice


def test_without_a_source_only_the_cache_answers(cache):
    with pytest.raises(TileUnavailable, match="not been saved for offline use"):
        TileFetcher(cache, None).tile(1, 1, 1)


def test_expiry_follows_the_server_else_seven_days():
    now = utcnow()
    assert expiry_from_headers(httpx.Headers({"cache-control": "public, max-age=3600"}), now) == now + timedelta(hours=1)
    assert expiry_from_headers(httpx.Headers({"expires": "Wed, 21 Oct 2037 07:28:00 GMT"}), now).year == 2037
    assert expiry_from_headers(httpx.Headers({}), now) == now + timedelta(days=7)


def test_area_tiles_cover_the_box():
    assert tile_xy(0, 0, 1) == (1, 1)
    portland = Area(45.45, -122.75, 45.60, -122.50)
    tiles = list(tiles_in_area(portland, 10, 12))
    assert {z for z, _, _ in tiles} == {10, 11, 12}
    assert len(tiles) < 40
    assert all(tile_xy(45.52, -122.68, z)[0] in {x for zz, x, _ in tiles if zz == z} for z in (10, 11, 12))


def test_openstreetmap_refuses_area_downloads(cache, server):
    fetcher = TileFetcher(cache, OPENSTREETMAP, client=httpx.Client(transport=httpx.MockTransport(lambda r: 1 / 0)))
    with pytest.raises(OfflineDownloadNotAllowed) as error:
        download_area(fetcher, Area(45.45, -122.75, 45.60, -122.50), 10, 14)
    assert "do not allow saving areas" in error.value.advice


def test_keep_my_delivery_area_downloads_missing_tiles_with_progress(cache, server):
    fetcher = TileFetcher(cache, server.source(allows_offline_download=True))
    area = Area(45.45, -122.75, 45.60, -122.50)
    estimate = estimate_area(cache, area, 10, 12)
    assert estimate.to_download == estimate.tiles and estimate.approx_bytes > 0
    fetcher.tile(10, *tile_xy(45.52, -122.68, 10))
    seen = []
    result = download_area(fetcher, area, 10, 12, progress=lambda done, total, size: seen.append((done, total, size)))
    assert result.already_cached == 1 and result.fetched == estimate.tiles - 1 and result.failed == 0
    assert seen[-1] == (estimate.tiles, estimate.tiles, result.bytes_fetched)
    assert estimate_area(cache, area, 10, 12).to_download == 0


def test_a_whole_country_at_street_level_is_a_bulk_download(cache, server):
    fetcher = TileFetcher(cache, server.source(allows_offline_download=True))
    with pytest.raises(AreaTooLarge):
        download_area(fetcher, Area(42.0, -124.5, 46.3, -116.5), 10, 16)
    assert server.requests == []


def test_the_whole_world_on_screen_is_estimated_without_listing_its_tiles(cache):
    """The saved-tiles dialog opened on a map zoomed out to the world: billions of street tiles, counted, not
    listed one by one (listing them used up the memory and the app was killed)."""
    estimate = estimate_area(cache, Area(-85.0, -180.0, 85.0, 180.0), 10, 16)

    assert 5_000_000_000 < estimate.tiles <= sum(4 ** z for z in range(10, 17))
    assert estimate.to_download == estimate.tiles


def test_cancelling_an_area_download_stops_it(cache, server):
    fetcher = TileFetcher(cache, server.source(allows_offline_download=True))
    cancel = threading.Event()
    result = download_area(fetcher, Area(45.45, -122.75, 45.60, -122.50), 10, 13,
                           progress=lambda done, total, size: cancel.set(), cancelled=cancel)
    assert result.cancelled and result.fetched == 1


def test_the_tile_source_is_a_setting_and_openstreetmap_keeps_its_terms(store, tmp_path):
    assert load_tile_source(store) is OPENSTREETMAP
    own = TileSource("Our tiles", "https://tiles.example.com/{z}/{x}/{y}.png", "© Example", True, max_zoom=17)
    save_tile_source(store, own)
    assert load_tile_source(store) == own
    store.set_setting("map.tile_offline_ok", "1")
    store.set_setting("map.tile_url", OPENSTREETMAP.url_template)
    assert load_tile_source(store).allows_offline_download is False  # a setting cannot loosen OSM's policy
    save_tile_source(store, None)
    fetcher = open_tiles(store, tmp_path / "t.mbtiles")
    assert fetcher.source is None and fetcher.cache.stats() == (0, 0)
    with pytest.raises(ValueError, match=r"\{z\}"):
        save_tile_source(store, TileSource("Bad", "https://tiles.example.com/tile.png", ""))
