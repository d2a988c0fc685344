"""The New order dialog places a typed address itself: an address in the shop's zones gets the zone's options;
an order that repeats is known demand for the forecast on its coming weekdays."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from controltower.domain import GeoPoint
from controltower.forecast.model import SeriesKey
from controltower.services.dispatch import DispatchService
from controltower.services.forecast import ForecastService
from controltower.store import fleet
from controltower.ui.dispatch import NewOrderDialog

MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


@pytest.fixture
def service(store):
    """A Portland shop whose only zone is the default 8 km around it (a radius, no postcode list), with one van."""
    store.set_setting("shop.timezone", "America/Los_Angeles")
    with store.transaction() as conn:
        depot = fleet.add_depot(conn, "Rose City Plants", GeoPoint(45.5142, -122.6364), street="2325 SE Hawthorne Blvd",
                                city="Portland", postcode="97214", opens_at="09:00", closes_at="19:00")
        fleet.add_vehicle(conn, "Van A", capacity_parcels=40, capacity_weight_g=400_000, depot_id=depot)
    return DispatchService(store)


def offers(dialog) -> list[tuple[str, bool]]:
    return [(dialog.options.item(i).text(), dialog.offers[i].available) for i in range(dialog.options.count())]


def open_dialog(qtbot, service, postcode: str) -> NewOrderDialog:
    dialog = NewOrderDialog(service, clock=lambda: MONDAY_10)
    qtbot.addWidget(dialog)
    dialog.customer.setText("Ann Lee")
    dialog.street.setText("3000 SE Division St")
    dialog.city.setText("Portland")
    dialog.postcode.setText(postcode)
    return dialog


def test_an_address_in_the_shops_own_postcode_gets_the_zones_options_without_coordinates(qtbot, service):
    dialog = open_dialog(qtbot, service, "97214")
    dialog.update_options()
    same_day = next((text, available) for text, available in offers(dialog) if text.startswith("Same-day"))
    assert same_day[1] and "outside our delivery zones" not in same_day[0]
    assert any(text.startswith("Scheduled window") and available for text, available in offers(dialog))


def test_a_nearby_postcode_is_placed_off_the_ui_thread_and_offered_the_zone(qtbot, service):
    dialog = open_dialog(qtbot, service, "97202")  # 3 km from the shop, not in any postcode list
    dialog.update_options()
    assert all("Scheduled window" not in text or not available for text, available in offers(dialog))
    qtbot.waitUntil(lambda: dialog.located is not None, timeout=10_000)  # the bundled postcodes place it
    assert "found on the map: 45.4840, -122.6365" in dialog.position.placeholderText()
    assert any(text.startswith("Scheduled window") and available for text, available in offers(dialog))
    dialog.options.setCurrentRow(next(i for i, (text, available) in enumerate(offers(dialog))
                                      if text.startswith("Scheduled window") and available))
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.save()
    row = service.db.query("SELECT delivery_option, lat, geo_precision FROM orders WHERE id = ?", (dialog.created_id,))[0]
    assert tuple(row) == ("scheduled", 45.484, "postcode")


def test_a_typo_placed_far_away_says_so_in_the_dialog(qtbot, service):
    dialog = open_dialog(qtbot, service, "9721")  # the city "Portland" is then found in Maine
    qtbot.waitUntil(lambda: dialog.located is not None, timeout=10_000)
    assert dialog.position.placeholderText().startswith("found 4,")
    assert dialog.position.placeholderText().endswith(" km from the shop: check the address, or type its position")
    assert all("Scheduled window" not in text or not available for text, available in offers(dialog))


def test_a_weekly_order_from_the_dialog_is_known_demand_on_its_coming_weekdays(qtbot, service):
    dialog = NewOrderDialog(service, clock=lambda: MONDAY_10)
    qtbot.addWidget(dialog)
    assert [dialog.repeats.itemText(i) for i in range(dialog.repeats.count())][:2] == ["Does not repeat", "Every week"]
    dialog.customer.setText("Ann Lee")
    dialog.street.setText("3000 SE Division St")
    dialog.postcode.setText("97214")
    qtbot.waitUntil(lambda: dialog.located is not None, timeout=10_000)  # the dialog's own lookup, done
    dialog.update_options()
    dialog.options.setCurrentRow(next(i for i, offer in enumerate(dialog.offers)
                                      if offer.option.value == "scheduled" and offer.available))
    first_day = dialog.offers[dialog.options.currentRow()].promised_window.start.astimezone(MONDAY_10.tzinfo).date()
    dialog.repeats.setCurrentText("Every week")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.save()
    with time_machine.travel(MONDAY_10, tick=False):  # the forecast's today is the dialog's Monday
        report = ForecastService(service.db).refresh()
        next_two = ForecastService(service.db).next_deliveries(dialog.created_id, 2)
    series = report.series(SeriesKey("Within 8 km", "scheduled"))
    weekly = [first_day + timedelta(days=7 * k) for k in (1, 2, 3)]
    assert [series.day(day).known for day in weekly] == [1, 1, 1]
    assert series.day(first_day + timedelta(days=1)).known == 0
    assert next_two == weekly[:2]
