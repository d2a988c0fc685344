"""What the map shows, read from the store (Qt-free): stop colours, routes from the depot, vans with heading."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from controltower.domain import (
    Address, DeliveryOption, GeoPoint, GeoPrecision, Order, Shipment, ShipmentStatus, TimeWindow, TrackingEvent,
)
from controltower.maps.features import (
    STATUS_COLORS, MapStatus, heading_degrees, map_day, map_status, route_color, to_data,
)
from controltower.store.orders import upsert_orders
from controltower.store.shipments import create_shipment, ingest_events

DAY = "2026-11-25"
START = datetime(2026, 11, 25, 22, 0, tzinfo=timezone.utc)  # 14:00 in Portland


def order(ref: str, lat: float | None, lon: float | None, status=ShipmentStatus.BOOKED, name="Ada Park",
          precision=GeoPrecision.ROOFTOP) -> Order:
    return Order(
        order_ref=ref, customer_name=name, address=Address("1 Main St", "Portland", "97201"),
        delivery_option=DeliveryOption.SAME_DAY, created_at=START - timedelta(hours=5), status=status,
        location=None if lat is None else GeoPoint(lat, lon, precision),
        promised_window=TimeWindow(START, START + timedelta(hours=2)),
    )


def make_day(store):
    """A depot, one van on one route through three stops, a fourth order not yet routed, one without a position."""
    store.set_setting("shop.timezone", "America/Los_Angeles")
    with store.transaction() as conn:
        ids = upsert_orders(conn, [
            order("A-1", 45.52, -122.68, ShipmentStatus.DELIVERED),
            order("A-2", 45.53, -122.66, ShipmentStatus.OUT_FOR_DELIVERY),
            order("A-3", 45.54, -122.64, ShipmentStatus.BOOKED, name="<b>Bold</b> & Co"),
            order("A-4", 45.50, -122.70, ShipmentStatus.CREATED, precision=GeoPrecision.POSTCODE),
            order("A-5", None, None),
        ]).ids
        depot = conn.execute("INSERT INTO depots(name, lat, lon) VALUES ('Shop', 45.51, -122.69)").lastrowid
        van = conn.execute("INSERT INTO vehicles(name, capacity_parcels, capacity_weight_g, depot_id) "
                           "VALUES ('Van 1', 40, 500000, ?)", (depot,)).lastrowid
        route = conn.execute("INSERT INTO routes(plan_date, vehicle_id, created_at) VALUES (?, ?, ?)",
                             (DAY, van, START.isoformat())).lastrowid
        for sequence, ref in enumerate(["A-1", "A-2", "A-3"], start=1):
            conn.execute("INSERT INTO stops(order_id, route_id, sequence, status) VALUES (?, ?, ?, ?)",
                         (ids[ref], route, sequence, "delivered" if sequence == 1 else "planned"))
        conn.execute("INSERT INTO exceptions(kind, severity, cause_key, order_id, summary, opened_at) "
                     "VALUES ('late', 'high', 'late:A-3', ?, 'Will miss the window by 40 min', ?)", (ids["A-3"], START.isoformat()))
        conn.execute("UPDATE orders SET delivery_date = ? WHERE order_ref IN ('A-4', 'A-5')", (DAY,))
        shipment = create_shipment(conn, Shipment(order_id=ids["A-2"], carrier="own_fleet", status=ShipmentStatus.BOOKED,
                                                  tracking_number="V1-2"))
        ingest_events(conn, shipment, [
            TrackingEvent("own_fleet", "V1-2", ShipmentStatus.OUT_FOR_DELIVERY, START, lat=45.520, lon=-122.680,
                          carrier_event_id="1"),
            TrackingEvent("own_fleet", "V1-2", ShipmentStatus.OUT_FOR_DELIVERY, START + timedelta(minutes=5),
                          lat=45.525, lon=-122.680, carrier_event_id="2"),
        ])
    return ids, route, depot


def test_status_colours_follow_what_the_shop_owner_cares_about():
    assert map_status("booked") is MapStatus.PLANNED
    assert map_status("out_for_delivery") is MapStatus.EN_ROUTE
    assert map_status("booked", stop_status="en_route") is MapStatus.EN_ROUTE
    assert map_status("delivered") is MapStatus.DELIVERED
    assert map_status("failed_attempt") is MapStatus.FAILED
    assert map_status("exception") is MapStatus.EXCEPTION
    assert map_status("delivered", open_exception=True) is MapStatus.EXCEPTION  # an open problem always shows
    assert len(set(STATUS_COLORS.values())) == 5
    assert route_color(0) != route_color(1) and route_color(0) == route_color(10)


def test_the_day_on_the_map(store):
    ids, route, depot = make_day(store)
    day = map_day(store, DAY)
    stops = {stop.order_ref: stop for stop in day.stops}
    assert set(stops) == {"A-1", "A-2", "A-3", "A-4"}  # A-5 has no position yet
    assert [stops[ref].sequence for ref in ("A-1", "A-2", "A-3")] == [1, 2, 3]
    assert stops["A-1"].status is MapStatus.DELIVERED
    assert stops["A-2"].status is MapStatus.EN_ROUTE
    assert stops["A-3"].status is MapStatus.EXCEPTION and stops["A-3"].exception == "Will miss the window by 40 min"
    assert stops["A-3"].customer == "<b>Bold</b> & Co"  # data stays data; the page shows it as text
    assert stops["A-4"].route_id is None and stops["A-4"].approximate and stops["A-4"].status is MapStatus.PLANNED
    assert stops["A-1"].window == "14:00–16:00"  # in the shop's time zone
    assert stops["A-1"].route_color == route_color(0)

    [line] = day.routes
    assert line.name == "Van 1" and line.order_ids == (ids["A-1"], ids["A-2"], ids["A-3"])
    assert line.path[0] == line.path[-1] == (45.51, -122.69)  # from and back to the depot
    assert len(line.path) == 5

    assert [(d.depot_id, d.name) for d in day.depots] == [(depot, "Shop")]

    [van] = day.vehicles
    assert (van.lat, van.lon) == (45.525, -122.680)  # the latest fix
    assert van.heading == 0.0  # moved due north
    assert van.last_seen.startswith("2026-11-25T22:05")


def test_features_become_plain_json_ready_data(store):
    make_day(store)
    data = to_data(map_day(store, DAY).stops)
    assert {"order_id", "lat", "lon", "status", "customer", "sequence", "route_color"} <= set(data[0])
    assert all(isinstance(item["status"], str) for item in data)


def test_heading_is_clockwise_from_north():
    assert round(heading_degrees(45.0, -122.0, 45.1, -122.0)) == 0
    assert round(heading_degrees(45.0, -122.0, 45.0, -121.9)) == 90
    assert round(heading_degrees(45.0, -122.0, 44.9, -122.0)) == 180


def test_the_day_can_be_read_off_the_ui_thread(store):
    import threading

    make_day(store)
    found = []
    worker = threading.Thread(target=lambda: found.append(map_day(store, DAY)))
    worker.start()
    worker.join(10)
    assert [stop.order_ref for stop in found[0].stops] == ["A-1", "A-2", "A-3", "A-4"]
