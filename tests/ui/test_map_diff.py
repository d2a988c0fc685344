"""What a map refresh sends (Qt-free): only the stops that changed, only their changed fields, keyed by order id."""
from __future__ import annotations

from dataclasses import replace

from controltower.maps.features import MapDay, MapStatus, StopFeature, feature_dict
from controltower.maps.diff import MapState, diff_stops, merge_stops


def stop(order_id: int, **fields) -> StopFeature:
    values = dict(lat=45.5 + order_id / 1000, lon=-122.7, status=MapStatus.PLANNED, order_ref=f"#{order_id}",
                  customer=f"Customer {order_id}")
    return StopFeature(order_id=order_id, **{**values, **fields})


def day(stops, on: str = "2026-11-25") -> MapDay:
    return MapDay(on, list(stops), [], [], [])


def test_unchanged_stops_send_nothing():
    shown = {s.order_id: s for s in [stop(1), stop(2)]}
    changes = diff_stops(shown, [stop(1), stop(2)])  # equal, not the same objects: a fresh read from the store
    assert not changes and changes.upserts == () and changes.removed == ()


def test_a_changed_stop_sends_its_id_and_only_the_fields_that_changed():
    shown = {s.order_id: s for s in [stop(1), stop(2), stop(3, route_id=4, sequence=2)]}
    changes = diff_stops(shown, [stop(1, status=MapStatus.DELIVERED), stop(2, lat=45.6, lon=-122.6), stop(3), stop(9)])
    assert changes.upserts == (
        {"order_id": 1, "status": MapStatus.DELIVERED},
        {"order_id": 2, "lat": 45.6, "lon": -122.6},
        {"order_id": 3, "route_id": None, "sequence": None},  # taken off its route: the emptied fields travel too
        feature_dict(stop(9)),  # a new stop travels in full
    )
    assert changes.removed == ()


def test_stops_no_longer_listed_are_removed():
    shown = {s.order_id: s for s in [stop(1), stop(2), stop(3)]}
    assert diff_stops(shown, [stop(2)]).removed == (1, 3)


def test_the_same_day_is_changed_and_another_day_replaced():
    state = MapState()
    first = state.plan(day([stop(1), stop(2)]))
    assert first.replaces_day  # nothing shown yet
    state.applied(first)
    again = state.plan(day([stop(1), stop(2, customer="<b>New</b> name")]))
    assert not again.replaces_day and again.stops.upserts == ({"order_id": 2, "customer": "<b>New</b> name"},)
    assert state.plan(day([stop(1)], on="2026-11-26")).replaces_day


def test_a_plan_made_before_the_map_changed_is_no_longer_current():
    state = MapState()
    state.applied(state.plan(day([stop(1), stop(2)])))
    planned = state.plan(day([stop(1), stop(2, status=MapStatus.FAILED)]))
    state.stops_updated([{"order_id": 1, "status": "delivered"}])  # the page changed after the plan was made
    assert not state.is_current(planned)
    replanned = state.plan(planned.day)
    assert {"order_id": 1, "status": MapStatus.PLANNED} in replanned.stops.upserts


def test_partial_updates_merge_as_the_page_merges_them():
    merged = merge_stops({1: stop(1)}, [{"order_id": 1, "status": "failed"}, {"order_id": 5, "lat": 1.0}])
    assert merged[1] == replace(stop(1), status=MapStatus.FAILED)
    assert merged[5] == {"order_id": 5, "lat": 1.0}
