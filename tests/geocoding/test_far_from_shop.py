"""Addresses never silently wrong: a position far from the shop is flagged for a pin check and opens an address case."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from controltower.control.engine import ExceptionEngine
from controltower.domain import Address, DeliveryOption, GeoPoint, GeoPrecision, Order, TimeWindow
from controltower.geocoding.cache import CachedGeocoder
from controltower.geocoding.service import geocode_orders
from controltower.maps.features import stop_features
from controltower.services.placing import PlacingService
from controltower.store import fleet
from controltower.store import orders as order_store

NOW = datetime(2026, 12, 7, 17, 0, tzinfo=timezone.utc)  # 09:00 in Portland
DAY = "2026-12-07"
SHOP = GeoPoint(45.5142, -122.6364)  # SE Hawthorne, Portland OR 97214


@pytest.fixture
def shop(store):
    """A Portland shop (its depot is the shop) with nothing placed yet."""
    store.set_setting("shop.timezone", "America/Los_Angeles")
    with store.transaction() as conn:
        fleet.add_depot(conn, "Rose City Plants", SHOP, street="2325 SE Hawthorne Blvd", city="Portland", postcode="97214",
                        opens_at="09:00", closes_at="19:00")
    return store


def add_order(store, ref: str, address: Address, location: GeoPoint | None = None) -> int:
    window = TimeWindow(NOW + timedelta(hours=2), NOW + timedelta(hours=4))
    with store.transaction() as conn:
        order_id = order_store.upsert_orders(conn, [Order(ref, "Ann Lee", address, DeliveryOption.SCHEDULED, NOW,
                                                          location=location, promised_window=window)]).ids[ref]
        conn.execute("UPDATE orders SET delivery_date = ? WHERE id = ?", (DAY, order_id))
    return order_id


def open_address_cases(store) -> dict[str, str]:
    ExceptionEngine(store).refresh(NOW)
    return {row[0]: row[1] for row in store.query(
        "SELECT o.order_ref, e.summary FROM exceptions e JOIN orders o ON o.id = e.order_id "
        "WHERE e.kind = 'address_problem' AND e.resolved_at IS NULL")}


def test_a_postcode_typo_placed_across_the_country_opens_an_address_case_in_plain_words(shop):
    # "9721" is no US postcode: the bundled postcodes fall back to the city name and find Portland, Maine.
    add_order(shop, "PDX-1", Address("2400 SE Hawthorne Blvd", "Portland", "9721", "US"))
    report = asyncio.run(PlacingService(shop).place_new_orders())
    assert (report.placed, report.far) == (1, 1)
    summary = open_address_cases(shop)["PDX-1"]
    assert summary.startswith("Placed 4,") and summary.endswith(" km from the shop: check the address")
    (stop,) = stop_features(shop, DAY)
    assert stop.approximate and stop.exception == summary


class FarAwayGeocoder:
    """A street-level service that matched a same-named street in Helsinki, sure of itself."""

    name, interactive_only = "street-service", False

    async def geocode(self, address):
        return GeoPoint(60.1699, 24.9384, GeoPrecision.ROOFTOP, 0.9)


def test_an_exact_looking_match_far_away_is_kept_only_as_approximate(shop):
    add_order(shop, "PDX-2", Address("12 Mannerheimintie", "Portland", "97214", "US"))
    report = asyncio.run(geocode_orders(shop, CachedGeocoder(shop, [FarAwayGeocoder()]), shop=(SHOP.lat, SHOP.lon, 8.0)))
    assert report.far == 1
    (stop,) = stop_features(shop, DAY)
    assert stop.approximate  # not shown as a good pin
    summary = open_address_cases(shop)["PDX-2"]
    assert summary == "Placed 7,901 km from the shop: check the address"


def test_a_far_position_that_came_with_the_order_opens_a_case_until_the_pin_is_moved(shop):
    order_id = add_order(shop, "PDX-3", Address("12 Main St", "Portland", "97214", "US"), GeoPoint(60.1699, 24.9384))
    near = add_order(shop, "PDX-4", Address("3000 SE Division St", "Portland", "97202", "US"), GeoPoint(45.505, -122.634))
    cases = open_address_cases(shop)
    assert "PDX-3" in cases and "PDX-4" not in cases
    PlacingService(shop).move_pin(order_id, 45.52, -122.64)
    assert open_address_cases(shop) == {}
    assert near  # an order near the shop never had a case
