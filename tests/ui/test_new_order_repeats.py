"""A phone order that repeats: the New order dialog saves its repeat rule, and the forecast counts its next
deliveries as known demand on the same weekday."""
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
    store.set_setting("shop.timezone", "America/Los_Angeles")
    with store.transaction() as conn:
        depot = fleet.add_depot(conn, "Rose City Plants", GeoPoint(45.5142, -122.6364), street="2325 SE Hawthorne Blvd",
                                city="Portland", postcode="97214", opens_at="09:00", closes_at="19:00")
        fleet.add_vehicle(conn, "Van A", capacity_parcels=40, capacity_weight_g=400_000, depot_id=depot)
    return DispatchService(store)


def test_a_weekly_order_from_the_dialog_is_known_demand_on_its_coming_weekdays(qtbot, service):
    with time_machine.travel(MONDAY_10, tick=False):
        dialog = NewOrderDialog(service, clock=lambda: MONDAY_10)
        qtbot.addWidget(dialog)
        assert [dialog.repeats.itemText(i) for i in range(dialog.repeats.count())][:2] == ["Does not repeat", "Every week"]
        dialog.customer.setText("Ann Lee")
        dialog.street.setText("3000 SE Division St")
        dialog.postcode.setText("97214")
        dialog.update_options()
        dialog.options.setCurrentRow(next(i for i, offer in enumerate(dialog.offers)
                                          if offer.option.value == "scheduled" and offer.available))
        first_day = dialog.offers[dialog.options.currentRow()].promised_window.start.astimezone(MONDAY_10.tzinfo).date()
        dialog.repeats.setCurrentText("Every week")
        with qtbot.waitSignal(dialog.accepted, timeout=2000):
            dialog.save()
        report = ForecastService(service.db).refresh()
    series = report.series(SeriesKey("Within 8 km", "scheduled"))
    weekly = [first_day + timedelta(days=7 * k) for k in (1, 2, 3)]
    assert [series.day(day).known for day in weekly] == [1, 1, 1]
    assert series.day(first_day + timedelta(days=1)).known == 0
    assert ForecastService(service.db).next_deliveries(dialog.created_id, 2) == weekly[:2]
