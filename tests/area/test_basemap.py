"""The offline basemap: tiles drawn from an extract, with roads where the roads are, and the ODbL attribution."""
import io
import sqlite3

import numpy as np
import osmium
import pytest
from PIL import Image

from controltower.area.basemap import build_basemap, zoom_ranges
from controltower.area.map_data import mercator
from controltower.area.map_style import LAND, ROAD_STYLES, WATER
from controltower.area.package import ATTRIBUTION
from controltower.maps.tiles import TileCache

# A street running east-west through a small square of Helsinki, a park north of it and a pond south of it.
WEST, EAST, SOUTH, NORTH = 24.940, 24.950, 60.166, 60.172
STREET_LAT = 60.169


def write_extract(path, street_name="Testikatu"):
    with osmium.SimpleWriter(str(path)) as writer:
        ids = iter(range(1, 1000))

        def node(lon, lat, **tags):
            number = next(ids)
            writer.add_node(osmium.osm.mutable.Node(id=number, location=(lon, lat), tags=tags, version=1))
            return number

        corners = [node(WEST, SOUTH), node(EAST, NORTH)]  # the extract's extent
        street = [node(WEST + 0.001, STREET_LAT), node(24.945, STREET_LAT), node(EAST - 0.001, STREET_LAT)]
        park = [node(24.942, 60.1705), node(24.948, 60.1705), node(24.948, 60.1715), node(24.942, 60.1715)]
        pond = [node(24.942, 60.1665), node(24.948, 60.1665), node(24.948, 60.1675), node(24.942, 60.1675)]
        writer.add_way(osmium.osm.mutable.Way(id=1, nodes=street, tags={"highway": "residential", "name": street_name},
                                              version=1))
        writer.add_way(osmium.osm.mutable.Way(id=2, nodes=park + park[:1], tags={"leisure": "park"}, version=1))
        writer.add_way(osmium.osm.mutable.Way(id=3, nodes=pond + pond[:1], tags={"natural": "water"}, version=1))
        assert corners
    return path


def tile_image(mbtiles, zoom, lon, lat, mode="RGB"):
    """The tile holding a point, and the point's pixel on it."""
    x, y = mercator(lon, lat)
    scale = 1 << zoom
    column, row = int(x * scale), int(y * scale)
    cache = TileCache(mbtiles, readonly=True)
    try:
        found = cache.get(zoom, column, row)
    finally:
        cache.close()
    assert found is not None, f"no tile {zoom}/{column}/{row}"
    image = Image.open(io.BytesIO(found.data)).convert(mode)
    return image, (int((x * scale - column) * 256), int((y * scale - row) * 256))


def colour_near(image, pixel, colour, tolerance=12):
    return np.abs(np.array(image.getpixel(pixel), dtype=int) - np.array(colour)).max() <= tolerance


def test_the_street_is_drawn_where_it_is_and_land_beside_it(tmp_path):
    mbtiles = tmp_path / "basemap.mbtiles"
    made = build_basemap(write_extract(tmp_path / "test.osm.pbf"), mbtiles, min_zoom=14, max_zoom=17)

    assert made["tiles"] > 0 and made["bytes"] > 0
    for zoom in (16, 17):
        image, (px, py) = tile_image(mbtiles, zoom, 24.9475, STREET_LAT)
        assert colour_near(image, (px, py), ROAD_STYLES["residential"].fill), f"no road at zoom {zoom}"
        # 25 px north and south: off the road, not in the park (north) nor the pond (south)
        assert not colour_near(image, (px, py - 25), ROAD_STYLES["residential"].fill)
        assert colour_near(image, (px, py - 25), LAND)
    image, pixel = tile_image(mbtiles, 16, 24.945, 60.171)
    assert colour_near(image, pixel, (200, 250, 204)), "the park is green"
    # past the extract's edge nothing is known: the tile is clear there, so what lies beneath shows
    image, (px, py) = tile_image(mbtiles, 16, WEST, STREET_LAT, mode="RGBA")
    assert px >= 12, "the edge is inside this tile"
    assert image.getpixel((px - 8, py))[3] == 0 and image.getpixel((px + 8, py))[3] == 255
    image, pixel = tile_image(mbtiles, 16, 24.945, 60.167)
    assert colour_near(image, pixel, WATER), "the pond is blue"


def test_the_package_says_where_its_data_comes_from(tmp_path):
    mbtiles = tmp_path / "basemap.mbtiles"
    build_basemap(write_extract(tmp_path / "test.osm.pbf"), mbtiles, min_zoom=15, max_zoom=15)

    cache = TileCache(mbtiles, readonly=True)
    metadata = cache.metadata()
    cache.close()
    assert metadata["attribution"] == ATTRIBUTION
    assert "OpenStreetMap contributors" in ATTRIBUTION and "ODbL" in ATTRIBUTION
    assert (metadata["minzoom"], metadata["maxzoom"], metadata["format"]) == ("15", "15", "png")
    west, south, east, north = map(float, metadata["bounds"].split(","))
    assert west == pytest.approx(WEST) and north == pytest.approx(NORTH)


def test_a_name_with_markup_is_drawn_as_plain_text(tmp_path):
    """OSM names are anyone's text: in a tile they become pixels, never markup for the map page."""
    mbtiles = tmp_path / "basemap.mbtiles"
    build_basemap(write_extract(tmp_path / "test.osm.pbf", "<script>alert(1)</script><b>Katu</b>"), mbtiles,
                  min_zoom=17, max_zoom=17)
    plain = tmp_path / "plain.mbtiles"
    build_basemap(write_extract(tmp_path / "plain.osm.pbf", "Testikatu"), plain, min_zoom=17, max_zoom=17)

    image, (px, py) = tile_image(mbtiles, 17, 24.945, STREET_LAT)
    other, _ = tile_image(plain, 17, 24.945, STREET_LAT)
    band = (0, py - 8, 256, py + 8)
    dark = lambda img: int((np.array(img.crop(band).convert("L")) < 110).sum())  # noqa: E731  the label's ink
    assert dark(image) > dark(other) > 50  # the longer name, drawn in full along the street


def test_a_half_written_build_never_replaces_the_map(tmp_path, monkeypatch):
    mbtiles = tmp_path / "basemap.mbtiles"
    build_basemap(write_extract(tmp_path / "test.osm.pbf"), mbtiles, min_zoom=15, max_zoom=15)
    before = mbtiles.read_bytes()

    def broken(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr("controltower.area.basemap.TileDrawer.draw", broken)
    with pytest.raises(RuntimeError):
        build_basemap(tmp_path / "test.osm.pbf", mbtiles, min_zoom=15, max_zoom=16)
    assert mbtiles.read_bytes() == before


def test_the_shipped_extract_gives_a_street_map_with_water(helsinki, tmp_path):
    mbtiles = tmp_path / "basemap.mbtiles"
    steps = []
    made = build_basemap(helsinki, mbtiles, progress=lambda stage, done, total: steps.append((stage, done, total)))

    assert made["tiles"] >= 120
    assert steps[-1] == ("drawing the map", made["tiles_looked_at"], made["tiles_looked_at"])
    with sqlite3.connect(mbtiles) as conn:
        zooms = dict(conn.execute("SELECT zoom_level, count(*) FROM tiles GROUP BY zoom_level"))
    assert sorted(zooms) == list(range(11, 18))
    # Kaisaniemenlahti, the bay north of Kaisaniemi park: sea, from the extract's coastline
    image, pixel = tile_image(mbtiles, 16, 24.9465, 60.1770)
    assert colour_near(image, pixel, WATER)
    # the city centre at street level
    image, pixel = tile_image(mbtiles, 17, 24.93860, 60.16983)
    colours = len(image.getcolors(maxcolors=65536))
    assert colours > 40  # a drawn street map, not a blank tile


def test_a_region_is_drawn_to_fewer_zooms_than_a_city():
    """Zoom 17 over a 150 x 100 km region is half a million tiles (hours of drawing): the closest zooms are left out."""
    region = (24.0, 59.9, 26.6, 60.8)  # Uusimaa, roughly
    city = (24.90, 60.15, 25.00, 60.20)

    assert max(zoom_ranges(city, 11, 17)) == 17
    drawn = zoom_ranges(region, 11, 17)
    assert min(drawn) == 11 and max(drawn) < 17
    assert sum((x1 - x0 + 1) * (y1 - y0 + 1) for x0, y0, x1, y1 in drawn.values()) <= 60_000


def test_the_map_says_which_zooms_it_has_when_some_were_left_out(tmp_path):
    mbtiles = tmp_path / "basemap.mbtiles"
    made = build_basemap(write_extract(tmp_path / "test.osm.pbf"), mbtiles, min_zoom=14, max_zoom=17, max_tiles=20)

    assert (made["max_zoom"], made["max_zoom_asked"]) == (16, 17)
    cache = TileCache(mbtiles, readonly=True)
    assert cache.metadata()["maxzoom"] == "16"  # the map magnifies zoom 16 from here on
    cache.close()
    with sqlite3.connect(mbtiles) as conn:
        assert conn.execute("SELECT max(zoom_level) FROM tiles").fetchone()[0] == 16
