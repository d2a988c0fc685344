"""Delivery options a shop can offer: zones, cut-offs, full slots, free delivery, pickup."""
from __future__ import annotations

from datetime import timedelta

from controltower.dispatch.options import DeliveryRequest, FleetCapacity, delivery_options, load_fleet_capacity
from controltower.dispatch.settings import ShopSettings, Zone, load_settings, save_settings
from controltower.domain import DeliveryOption, Money, Quote

from .conftest import FAR, NEAR, add_orders, local, make_order, shop_settings, window


def by_option(offers):
    result = {}
    for offer in offers:
        result.setdefault(offer.option, []).append(offer)
    return result


def test_inside_the_zone_before_cutoff_offers_everything():
    settings = shop_settings()
    offers = by_option(delivery_options(settings, DeliveryRequest(local("2026-11-25T10:00"), "10017", *NEAR)))
    same_day = offers[DeliveryOption.SAME_DAY][0]
    assert same_day.available and same_day.way == "own_fleet"
    assert same_day.price == Money(999)
    assert same_day.promised_window.end == local("2026-11-25T20:00")
    assert all(o.available for o in offers[DeliveryOption.SCHEDULED])
    first_slot = offers[DeliveryOption.SCHEDULED][0].promised_window
    assert first_slot.start == local("2026-11-25T12:00")  # 10:00-12:00 starts within the hour, so it is not offered
    assert offers[DeliveryOption.EXPRESS][0].promised_window.start == local("2026-11-26T08:00")
    assert offers[DeliveryOption.PICKUP][0].promised_window.start == local("2026-11-25T11:00")


def test_after_cutoff_same_day_is_closed_and_says_why():
    offers = by_option(delivery_options(shop_settings(), DeliveryRequest(local("2026-11-25T15:30"), "10017", *NEAR)))
    same_day = offers[DeliveryOption.SAME_DAY][0]
    assert not same_day.available
    assert "14:00" in same_day.note
    # Express after 17:00 slips a day.
    late = by_option(delivery_options(shop_settings(), DeliveryRequest(local("2026-11-25T17:30"), "10017", *NEAR)))
    assert late[DeliveryOption.EXPRESS][0].promised_window.start == local("2026-11-27T08:00")
    assert "cut-off" in late[DeliveryOption.EXPRESS][0].note


def test_outside_the_zones_only_parcel_and_pickup():
    offers = delivery_options(shop_settings(), DeliveryRequest(local("2026-11-25T10:00"), "11430", *FAR))
    available = {o.option for o in offers if o.available}
    assert available == {DeliveryOption.STANDARD, DeliveryOption.EXPRESS, DeliveryOption.PICKUP}
    assert next(o for o in offers if o.option is DeliveryOption.STANDARD).way == "parcel"
    scheduled = next(o for o in offers if o.option is DeliveryOption.SCHEDULED)
    assert not scheduled.available and scheduled.note == "outside our delivery zones"


def test_outside_the_zones_a_courier_quote_makes_same_day_possible():
    courier = Quote("sandbox:zippy", "now", Money(1590), estimated_delivery=local("2026-11-25T11:30"))
    offers = by_option(delivery_options(shop_settings(), DeliveryRequest(local("2026-11-25T10:00"), "11430", *FAR),
                                        courier_quotes=[courier]))
    same_day = offers[DeliveryOption.SAME_DAY][0]
    assert same_day.available and same_day.way == "sandbox:zippy"


def test_postcode_zone_adds_its_surcharge():
    offers = by_option(delivery_options(shop_settings(), DeliveryRequest(local("2026-11-25T10:00"), "11211")))
    assert offers[DeliveryOption.SAME_DAY][0].price == Money(999 + 200)


def test_free_delivery_over_the_threshold_is_for_standard_only():
    request = DeliveryRequest(local("2026-11-25T10:00"), "10017", *NEAR, basket_value=Money(6000))
    offers = by_option(delivery_options(shop_settings(), request))
    assert offers[DeliveryOption.STANDARD][0].price == Money(0)
    assert offers[DeliveryOption.EXPRESS][0].price == Money(1299)


def test_a_full_slot_is_shown_as_full(store, shop):
    slot = window("2026-11-25T14:00", "2026-11-25T16:00")
    # Two vans × 8 stops per slot: sixteen promises fill the 14:00 slot.
    add_orders(store, *[make_order(f"S{i}", option=DeliveryOption.SCHEDULED, window=slot) for i in range(16)])
    capacity = load_fleet_capacity(store.conn, shop, local("2026-11-25T00:00").date())
    assert capacity.left(slot) == 0
    offers = delivery_options(shop, DeliveryRequest(local("2026-11-25T10:00"), "10017", *NEAR), capacity)
    by_start = {o.promised_window.start: o for o in offers if o.option is DeliveryOption.SCHEDULED}
    assert not by_start[slot.start].available and by_start[slot.start].note == "slot full"
    assert by_start[slot.start + timedelta(hours=2)].available


def test_vans_full_all_day_closes_same_day():
    capacity = FleetCapacity(vans=0, per_van=8)
    offers = by_option(delivery_options(shop_settings(), DeliveryRequest(local("2026-11-25T10:00"), "10017", *NEAR), capacity))
    assert not offers[DeliveryOption.SAME_DAY][0].available
    assert offers[DeliveryOption.SAME_DAY][0].note == "our vans are full today"


def test_sunday_pickup_moves_to_monday_opening():
    offers = by_option(delivery_options(shop_settings(), DeliveryRequest(local("2026-11-29T12:00"), "10017", *NEAR)))
    assert offers[DeliveryOption.PICKUP][0].promised_window.start == local("2026-11-30T09:00")


def test_settings_round_trip_through_the_store(store):
    settings = shop_settings(free_delivery_threshold_minor=None, zones=(Zone("Town", postcodes=("100*", "10110")),))
    save_settings(store, settings)
    assert load_settings(store) == settings
    assert load_settings(type("Empty", (), {"get_setting": lambda self, key: None})()) == ShopSettings()


def test_before_any_settings_are_saved_the_depot_is_the_shop(store):
    with store.transaction() as conn:
        conn.execute("INSERT INTO settings(key, value) VALUES ('shop.timezone', 'America/Los_Angeles'), ('shop.name', 'Rose City Goods')")
        conn.execute("INSERT INTO depots(name, street, city, postcode, lat, lon, opens_at, closes_at) "
                     "VALUES ('Main store', '1 Burnside', 'Portland', '97209', 45.523, -122.676, '10:00', '18:00')")
    settings = load_settings(store)
    assert (settings.shop_name, settings.timezone, settings.shop_city) == ("Rose City Goods", "America/Los_Angeles", "Portland")
    assert (settings.shop_lat, settings.opens, settings.closes) == (45.523, "10:00", "18:00")
    assert settings.zone_for(45.53, -122.68, "") is not None and settings.zone_for(45.9, -122.68, "") is None
