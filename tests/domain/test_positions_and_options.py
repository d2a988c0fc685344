"""A position is a point on Earth, its edges included; every delivery option a shop offers is saved and read back as itself."""
from datetime import datetime, timezone

import pytest

from controltower.domain import Address, DeliveryOption, GeoPoint, Order, OrderLine
from controltower.store import orders as order_store


@pytest.mark.parametrize("lat, lon", [(90, 180), (-90, -180), (0, 0), (45.5, -122.6)])
def test_a_position_on_earth_is_taken_up_to_the_poles_and_the_date_line(lat, lon):
    assert GeoPoint(lat, lon).lat == lat


@pytest.mark.parametrize("lat, lon", [(90.5, 0), (-90.5, 0), (0, 180.5), (0, -180.5), (122.6, 45.5)])
def test_a_position_off_the_earth_is_refused(lat, lon):
    with pytest.raises(ValueError, match="not a position on Earth"):
        GeoPoint(lat, lon)


def test_every_delivery_option_is_read_back_from_the_store_as_itself(store):
    now = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)
    options = ["standard", "express", "same_day", "scheduled", "pickup"]  # the names stored files hold
    with store.transaction() as conn:
        saved = order_store.upsert_orders(conn, [
            Order(f"OPT-{name}", "Ada", Address("1 Oak St", "Portland", "97214"), DeliveryOption(name), now,
                  lines=(OrderLine("A", "Pot", 1),)) for name in options])
    read = {order_store.get_order(store.conn, saved.ids[f"OPT-{name}"]).delivery_option for name in options}
    assert read == {DeliveryOption(name) for name in options}
    assert [option.value for option in read if option is DeliveryOption.SAME_DAY] == ["same_day"]
