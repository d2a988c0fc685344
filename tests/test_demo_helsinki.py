"""The app's demo on real streets: a Helsinki shop whose orders are houses of the shipped OpenStreetMap extract, its
area package (basemap, address index, road graph) built once into the data folder and used from the next start."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import time_machine

from controltower.control.kpis import KpiService
from controltower.demo import generate
from controltower.demo.cities import HELSINKI, helsinki_houses
from controltower.services.core import ControlTower
from controltower.store import Database

NOW = datetime(2026, 12, 4, 11, 30, tzinfo=timezone.utc)  # 13:30 on a Friday in Helsinki


def test_a_helsinki_demo_delivers_to_real_houses_of_the_extract_in_euros_on_helsinki_time(tmp_path):
    with time_machine.travel(NOW, tick=False):
        generate(tmp_path / "demo.db", seed=7, now=NOW, city_key="helsinki")
        db = Database(tmp_path / "demo.db")
        houses = {(h.street, h.postcode): (h.lat, h.lon) for h in helsinki_houses()}
        rows = db.conn.execute("SELECT street, postcode, city, country, lat, lon, geo_precision FROM orders").fetchall()
        assert len(rows) > 500
        for street, postcode, city, country, lat, lon, precision in rows:
            assert (city, country) == ("Helsinki", "FI")
            assert houses[(street, postcode)] == (lat, lon)  # the house's own point, as the extract has it
        assert db.get_setting("shop.currency") == "EUR" and db.get_setting("shop.timezone") == "Europe/Helsinki"
        depot = db.conn.execute("SELECT street, lat, lon FROM depots").fetchone()
        assert depot[0] == HELSINKI.shop["street"] and (depot[1], depot[2]) == houses[("Bulevardi 10", "00120")]
        # Today is Helsinki's Friday: the orders' days are the shop's days, not UTC's.
        assert db.scalar("SELECT count(*) FROM orders WHERE delivery_date = '2026-12-04'") > 100
        cost = next(k for k in KpiService(db).panels(KpiService(db).last_days(7, NOW)) if k.key == "cost_per_delivery")
        assert cost.display().startswith("€")  # a Helsinki shop's costs are in euros
        db.close()


def test_the_demo_builds_its_streets_once_and_uses_them_from_the_next_start(tmp_path):
    core = ControlTower.open(tmp_path / "demo.db", demo=True, demo_city="helsinki", offline=True)
    assert core.area.current() is None  # not built yet: the job does it in a child process

    async def first_start():
        core.start()
        try:
            while core.jobs.status("demo-streets").runs < 1:
                await asyncio.sleep(0.1)
            return core.jobs.status("demo-streets")
        finally:
            await core.stop()

    status = asyncio.run(first_start())
    assert status.last_error in ("", None), status.last_error
    package = core.area.current()
    assert package is not None and {"addresses", "roads", "basemap"} <= set(package.parts)
    assert package.source_name == "Helsinki.osm.pbf"
    core.close()

    again = ControlTower.open(tmp_path / "demo.db", demo=True, demo_city="helsinki", offline=True)  # demo made anew
    assert again.area.current().folder == package.folder  # used at once: no second build
    again.close()
    assert [p.name for p in (tmp_path / "areas").iterdir()] == [package.folder.name]

    manifest = package.folder / "area.json"  # a package from an older version: its road graph would be refused
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["parts"]["roads"]["version"] = 1
    manifest.write_text(json.dumps(data), encoding="utf-8")
    older = ControlTower.open(tmp_path / "demo.db", demo=True, demo_city="helsinki", offline=True)
    assert older.area.current() is None  # built again by the job, not used half-working
    older.close()


def test_the_portland_day_stays_on_its_grid_without_an_area(tmp_path):
    core = ControlTower.open(tmp_path / "demo.db", demo=True, demo_city="portland", offline=True)
    assert core.area.current() is None and core.db.get_setting("shop.currency") == "USD"
    core.close()
    assert not (tmp_path / "areas").exists()


def test_the_demo_couriers_quote_in_the_shops_money(tmp_path):
    import anyio

    from controltower.carriers.base import Contact, Parcel, ShipmentRequest
    from controltower.demo.sandbox import sandbox_adapters
    from controltower.demo.sync import DemoSync
    from controltower.domain import Money
    from controltower.domain.models import Address, GeoPoint
    from controltower.kernel.events import EventHub

    generate(tmp_path / "demo.db", seed=7, now=NOW, city_key="helsinki")
    db = Database(tmp_path / "demo.db")
    demo = DemoSync(db, EventHub())
    base_url = demo.network.start()
    shop, house = HELSINKI.shop, helsinki_houses()[40]
    request = ShipmentRequest(
        our_reference="T-1", order_ref="T-1", pickup=Address(shop["street"], "Helsinki", shop["postcode"], "FI"),
        pickup_contact=Contact(shop["name"], "+358942450100"), dropoff=Address(house.street, "Helsinki", house.postcode, "FI"),
        dropoff_contact=Contact("Aino Virtanen", "+358405550123"), parcels=(Parcel(1500, value=Money(2500, "EUR")),),
        value=Money(2500, "EUR"), pickup_location=GeoPoint(shop["lat"], shop["lon"]),
        dropoff_location=GeoPoint(house.lat, house.lon))

    async def ask():
        adapter = sandbox_adapters(base_url)["sandbox:pedal"]
        try:
            return await adapter.quote(request)
        finally:
            await adapter.aclose()

    try:
        quotes = anyio.run(ask)
        assert quotes and {q.price.currency for q in quotes} == {"EUR"}  # not dollars in a Helsinki shop
    finally:
        demo.network.stop()
        db.close()
