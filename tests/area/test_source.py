"""An extract is checked before anything is built: a broken or foreign file is refused in words that say what to do."""
import random
import zipfile

import osmium
import pytest

from controltower.area.source import AreaFileError, read_extract


def test_the_shipped_extract_is_read_with_its_box_and_counts(helsinki):
    summary = read_extract(helsinki)

    assert summary.size_bytes == 685_110
    assert summary.bbox == pytest.approx((24.9351762, 60.164155, 24.9534145, 60.179113))
    assert (summary.nodes, summary.ways, summary.relations) == (24_260, 5_130, 620)
    assert summary.replication_timestamp is None  # this cut's header does not say
    assert summary.newest_edit.isoformat() == "2019-04-21T09:50:14+00:00"
    assert summary.centre == pytest.approx((60.171634, 24.944295), abs=1e-5)


def refusal(path) -> AreaFileError:
    with pytest.raises(AreaFileError) as caught:
        read_extract(path)
    return caught.value


def test_a_truncated_download_is_refused_as_damaged(helsinki, tmp_path):
    half = tmp_path / "helsinki.osm.pbf"
    half.write_bytes(helsinki.read_bytes()[:300_000])

    error = refusal(half)

    assert "damaged or incomplete" in error.message
    assert "download" in error.advice.lower() and "geofabrik" in error.advice.lower()


def test_random_bytes_are_refused(tmp_path):
    noise = tmp_path / "area.osm.pbf"
    noise.write_bytes(random.Random(5).randbytes(4096))

    assert "is not an OpenStreetMap extract" in refusal(noise).message


def test_an_empty_file_is_refused(tmp_path):
    empty = tmp_path / "area.osm.pbf"
    empty.write_bytes(b"")

    error = refusal(empty)
    assert error.message == "The area file area.osm.pbf is empty (0 bytes)."
    assert "choose it again" in error.advice


def test_a_missing_file_is_refused(tmp_path):
    assert "was not found" in refusal(tmp_path / "gone.osm.pbf").message


def test_a_zip_is_refused_with_advice_to_unzip(helsinki, tmp_path):
    archive = tmp_path / "helsinki.osm.pbf"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(helsinki, "Helsinki.osm.pbf")

    error = refusal(archive)
    assert "it is a ZIP archive" in error.message
    assert "unzip it first" in error.advice


def test_a_csv_renamed_pbf_is_refused(tmp_path):
    table = tmp_path / "orders.osm.pbf"
    table.write_text("order_ref,street,city\nA1,Mannerheimintie 5,Helsinki\n", encoding="utf-8")

    assert "it is a text file" in refusal(table).message


def test_osm_xml_is_refused_with_how_to_convert_it(tmp_path):
    xml = tmp_path / "helsinki.osm.pbf"
    xml.write_text('<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="60.17" lon="24.94"/></osm>\n')

    error = refusal(xml)
    assert "OpenStreetMap XML (.osm)" in error.message
    assert "osmium cat helsinki.osm.pbf -o area.osm.pbf" in error.advice


def test_a_pbf_with_points_but_no_ways_is_refused(tmp_path):
    points = tmp_path / "points.osm.pbf"
    with osmium.SimpleWriter(str(points)) as writer:
        for number in range(1, 4):
            writer.add_node(osmium.osm.mutable.Node(id=number, location=(24.94, 60.17 + number / 1000),
                                                    tags={"amenity": "cafe"}))

    error = refusal(points)
    assert error.message == ("The file points.osm.pbf holds no streets or places (3 points, 0 ways): "
                             "it is not an extract of an area.")
