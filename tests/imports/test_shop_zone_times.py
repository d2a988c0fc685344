"""A time written without an offset in an imported file is the shop's local time (its zone from store.shop_clock),
not UTC: a Los Angeles shop's "09:30" is 17:30 UTC in winter, a Helsinki shop's is 07:30 UTC (06:30 in summer)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine

from controltower.imports import GENERIC, import_file
from controltower.imports.profiles import ImportProfile, save_profile
from controltower.services.imports import ImportService
from controltower.store.orders import get_order, get_order_id

UTC = timezone.utc
CLOCK = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
FILE = (
    "Order number,Customer name,Street address,City,Postcode,Order date,Deliver from,Deliver by\n"
    "W-1,Ada,1 Main St,Springfield,97201,2026-11-23 09:30,2026-11-24 10:00,2026-11-24 17:00\n"
    "S-1,Bo,2 Main St,Springfield,97201,2026-07-01 09:30,,\n"
    "Z-1,Cy,3 Main St,Springfield,97201,2026-11-23T09:30:00+00:00,,\n"
)


def _order(store, ref):
    return get_order(store.conn, get_order_id(store.conn, ref))


def _shop_in(store, zone: str) -> None:
    store.set_setting("shop.timezone", zone)


@pytest.mark.parametrize("zone, winter_created, summer_created, window", [
    ("America/Los_Angeles", datetime(2026, 11, 23, 17, 30, tzinfo=UTC), datetime(2026, 7, 1, 16, 30, tzinfo=UTC),
     (datetime(2026, 11, 24, 18, 0, tzinfo=UTC), datetime(2026, 11, 25, 1, 0, tzinfo=UTC))),
    ("Europe/Helsinki", datetime(2026, 11, 23, 7, 30, tzinfo=UTC), datetime(2026, 7, 1, 6, 30, tzinfo=UTC),
     (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), datetime(2026, 11, 24, 15, 0, tzinfo=UTC))),
])
@time_machine.travel(CLOCK, tick=False)
def test_bare_times_are_the_shops_local_times(store, tmp_path, zone, winter_created, summer_created, window):
    _shop_in(store, zone)
    path = tmp_path / "orders.csv"
    path.write_text(FILE, encoding="utf-8")
    report = import_file(store, path)
    assert report.imported == 3, report.errors
    winter = _order(store, "W-1")
    assert winter.created_at == winter_created
    assert (winter.promised_window.start, winter.promised_window.end) == window
    assert _order(store, "S-1").created_at == summer_created  # the zone's summer offset, not a fixed one
    assert _order(store, "Z-1").created_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # an offset is kept


@time_machine.travel(CLOCK, tick=False)
def test_the_wizards_check_reads_bare_times_in_the_shops_zone(store):
    _shop_in(store, "Europe/Helsinki")
    service = ImportService(store)
    assert service.in_shop_zone(GENERIC).timezone == "Europe/Helsinki"
    chosen = ImportProfile("night shift", GENERIC.columns, timezone="America/Los_Angeles")
    assert service.in_shop_zone(chosen).timezone == "America/Los_Angeles"  # a zone the profile names stays


@time_machine.travel(CLOCK, tick=False)
def test_a_profile_saved_with_the_old_utc_default_reads_in_the_shops_zone(store, tmp_path):
    _shop_in(store, "America/Los_Angeles")
    store.set_setting("imports.profile.mine", ImportProfile("mine", GENERIC.columns, timezone="UTC").to_json())
    profile = ImportService(store).load_profile("mine")
    path = tmp_path / "orders.csv"
    path.write_text(FILE, encoding="utf-8")
    import_file(store, path, profile)
    assert _order(store, "W-1").created_at == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
    save_profile(store, profile)  # saved again: still the shop's zone, not a fixed one
    assert ImportService(store).load_profile("mine").timezone == ""
