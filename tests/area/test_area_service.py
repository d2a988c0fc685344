"""The shop's area is built in a child process from the app's AreaService: progress on the hub, a package with its
manifest, remembered in the shop's settings; a bad file is refused at once, a cancelled build changes nothing."""
import json
import threading

import pytest

from controltower.kernel.events import EventHub
from controltower.services.area import AreaBusy, AreaFileError, AreaService
from controltower.store import Database


@pytest.fixture
def area(tmp_path):
    db = Database(tmp_path / "store.db")
    service = AreaService(db, EventHub(), tmp_path)
    yield service
    service.close()
    db.close()


def collect(hub: EventHub):
    events, ended = [], threading.Event()

    def on_event(topic, payload):
        events.append((topic, payload))
        if topic in ("area.built", "area.failed", "area.cancelled"):
            ended.set()

    hub.subscribe("*", on_event)
    return events, ended


def test_a_build_in_a_child_process_makes_the_package_and_the_shop_uses_it(area, helsinki, tmp_path):
    events, ended = collect(area.hub)
    assert area.current() is None

    folder = area.start_build(helsinki, parts=("addresses",))

    assert ended.wait(120), events
    topics = [topic for topic, _payload in events]
    # area.placed may follow (rough pins looked up again): the build's own news ends with area.built
    assert [t for t in topics if t != "area.placed"][-1] == "area.built" and "area.progress" in topics
    assert folder == tmp_path / "areas" / "helsinki-1"
    manifest = json.loads((folder / "area.json").read_text(encoding="utf-8"))
    assert manifest["source"] == {"file": "Helsinki.osm.pbf", "size_bytes": 685_110}
    assert manifest["bbox"] == pytest.approx([24.9351762, 60.164155, 24.9534145, 60.179113])
    assert "OpenStreetMap contributors" in manifest["attribution"]
    assert set(manifest["parts"]) == {"addresses"}
    package = area.current()
    assert package.folder == folder and package.name == "Helsinki"
    assert package.part_path("addresses") == folder / "addresses.db"
    assert package.part_path("roads") is None
    assert area.db.get_setting("area.package") == "helsinki-1"
    assert [p.name for p in (tmp_path / "areas").iterdir()] == ["helsinki-1"]  # no half-built folder left


def test_a_foreign_file_is_refused_before_any_build_starts(area, tmp_path):
    table = tmp_path / "orders.osm.pbf"
    table.write_text("order_ref,street\nA1,Mannerheimintie 5\n", encoding="utf-8")

    with pytest.raises(AreaFileError, match="not an OpenStreetMap extract"):
        area.start_build(table)
    assert not area.building and area.current() is None


def test_a_broken_file_found_in_the_child_is_reported_and_changes_nothing(area, helsinki, tmp_path):
    half = tmp_path / "cut.osm.pbf"
    half.write_bytes(helsinki.read_bytes()[:300_000])
    events, ended = collect(area.hub)

    area.start_build(half)

    assert ended.wait(120)
    topic, payload = events[-1]
    assert topic == "area.failed"
    assert "damaged or incomplete" in payload["message"] and "Geofabrik" in payload["advice"]
    assert area.current() is None and list((tmp_path / "areas").iterdir()) == []


def test_a_cancelled_build_leaves_the_current_package(area, helsinki, tmp_path):
    events, ended = collect(area.hub)
    area.start_build(helsinki, parts=("addresses",))
    assert ended.wait(120)
    events.clear()
    ended.clear()

    area.start_build(helsinki, parts=("addresses",))
    with pytest.raises(AreaBusy):
        area.start_build(helsinki)
    area.cancel()

    assert ended.wait(30)
    assert events[-1][0] == "area.cancelled" and not area.building
    assert area.current().folder_name == "helsinki-1"
    assert [p.name for p in (tmp_path / "areas").iterdir()] == ["helsinki-1"]


def test_a_rebuild_goes_to_a_new_folder_and_the_old_build_is_removed(area, helsinki, tmp_path):
    events, ended = collect(area.hub)
    for _ in range(2):
        ended.clear()
        area.start_build(helsinki, parts=("addresses",))
        assert ended.wait(120)

    assert area.current().folder_name == "helsinki-2" and area.current().slug == "helsinki"
    assert [p.name for p in (tmp_path / "areas").iterdir()] == ["helsinki-2"]
    assert [package.folder_name for package in area.installed()] == ["helsinki-2"]


def test_the_shops_area_places_addresses_at_their_house_before_the_postcode_centres(area, helsinki, tmp_path):
    """Addresses in Helsinki land on their houses once the area is built; the postcode fallback stays for the rest."""
    import asyncio

    from controltower.domain import Address, GeoPrecision
    from controltower.geocoding import build_geocoder

    typed = Address("annank. 13", "Helsinki", "00120", "FI")
    before = asyncio.run(build_geocoder(area.db).geocode(typed))
    assert before is None  # Finland is not in the bundled postcodes; the miss is remembered in the store's cache

    events, ended = collect(area.hub)
    area.start_build(helsinki, parts=("addresses",))
    assert ended.wait(120)
    geocoder = build_geocoder(area.db)
    after = asyncio.run(geocoder.geocode(typed))
    elsewhere = asyncio.run(geocoder.geocode(Address("Hauptstraße 5", "Berlin", "10115", "DE")))

    assert [provider.name for provider in geocoder.providers] == ["area", "offline"]
    assert after.precision == GeoPrecision.ROOFTOP  # the remembered miss was forgotten when the area came
    assert (after.lat, after.lon) == pytest.approx((60.16469, 24.94023), abs=1e-4)
    assert elsewhere.precision == GeoPrecision.POSTCODE  # outside the area: the bundled postcode centres


def test_the_whole_package_is_built_in_the_child_with_every_part(area, helsinki, tmp_path):
    """The app's build: address index, road graph and basemap, each recorded in area.json and usable."""
    events, ended = collect(area.hub)

    folder = area.start_build(helsinki)

    assert ended.wait(300), events
    assert "area.built" in [topic for topic, _payload in events] and "area.failed" not in str(events), events[-3:]
    stages = {payload["stage"] for topic, payload in events if topic == "area.progress"}
    assert "checking the file" in stages and len(stages) >= 3  # each part reports its own stages
    manifest = json.loads((folder / "area.json").read_text(encoding="utf-8"))
    assert set(manifest["parts"]) == {"addresses", "roads", "basemap"}
    assert not any("skipped" in info for info in manifest["parts"].values())
    package = area.current()
    assert all(package.part_path(part) is not None for part in ("addresses", "roads", "basemap"))
    assert manifest["parts"]["addresses"]["addresses"] == 584


def test_orders_placed_only_roughly_get_their_house_when_the_area_arrives(area, helsinki):
    from datetime import datetime, timezone

    from controltower.domain import Address, DeliveryOption, GeoPoint, GeoPrecision, Order
    from controltower.store.orders import get_order, upsert_orders

    def order(ref, street, postcode, location):
        return Order(ref, "Customer " + ref, Address(street, "Helsinki", postcode, "FI"), DeliveryOption.STANDARD,
                     datetime(2026, 12, 7, tzinfo=timezone.utc), location=location)

    moved_by_hand = GeoPoint(60.1701, 24.9402, GeoPrecision.ROOFTOP, 1.0)
    with area.db.transaction() as conn:
        ids = upsert_orders(conn, [
            order("ROUGH", "Annank. 13", "00120", GeoPoint(60.1650, 24.9396, GeoPrecision.POSTCODE, 0.6)),
            order("CHECKED", "Mannerheimintie 5", "00100", moved_by_hand),  # a person put this pin: it stays
            order("UNKNOWN", "Tuntematon tie 1", "00120", GeoPoint(60.1650, 24.9396, GeoPrecision.POSTCODE, 0.6)),
        ]).ids
    events, ended = collect(area.hub)
    placed = threading.Event()
    area.hub.subscribe("area.placed", lambda _topic, _payload: placed.set())

    area.start_build(helsinki, parts=("addresses",))

    assert ended.wait(120) and placed.wait(60)
    assert [payload for topic, payload in events if topic == "area.placed"] == [{"placed": 1, "unplaced": 0}]
    rough = get_order(area.db.reader(), ids["ROUGH"]).location
    assert rough.precision == GeoPrecision.ROOFTOP
    assert (rough.lat, rough.lon) == pytest.approx((60.16469, 24.94023), abs=1e-4)
    assert get_order(area.db.reader(), ids["CHECKED"]).location == moved_by_hand
    assert get_order(area.db.reader(), ids["UNKNOWN"]).location.precision == GeoPrecision.POSTCODE  # no better
