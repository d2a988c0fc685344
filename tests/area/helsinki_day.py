"""A Helsinki shop's day on the shipped extract, with the area built and chosen: for planning on the streets."""
from __future__ import annotations

from datetime import datetime

from controltower.area.build import build_area
from controltower.area.package import SETTING
from controltower.domain.timeutil import UTC

from .conftest import HELSINKI

PLAN_DATE = "2026-12-07"
# Street corners of the shipped extract's centre (lat, lon).
DEPOT = (60.1699, 24.9384)
STOPS = [(60.1655, 24.9420), (60.1712, 24.9460), (60.1745, 24.9390), (60.1770, 24.9500), (60.1668, 24.9508),
         (60.1730, 24.9445), (60.1690, 24.9480), (60.1760, 24.9420)]


def write_helsinki_day(store):
    """One van (08:00-16:00) and eight own-van orders for Monday 7 December 2026; the area built with its roads."""
    from controltower.domain import Address, DeliveryOption, GeoPoint, Order, Shipment
    from controltower.store import orders as order_store
    from controltower.store import shipments as shipment_store

    store.set_setting("shop.timezone", "Europe/Helsinki")
    with store.transaction() as conn:
        conn.execute("INSERT INTO depots(name, lat, lon, opens_at, closes_at) VALUES ('Shop', ?, ?, '07:00', '20:00')",
                     DEPOT)
        conn.execute("INSERT INTO vehicles(name, capacity_parcels, capacity_weight_g, shift_start, shift_end, "
                     "break_minutes, depot_id) VALUES ('Van A', 40, 400000, '08:00', '16:00', 0, 1)")
        orders = [Order(f"#H{i + 1}", f"Customer {i + 1}", Address(f"Katu {i + 1}", "Helsinki", "00100"),
                        DeliveryOption.STANDARD, datetime(2026, 12, 6, tzinfo=UTC), location=GeoPoint(lat, lon))
                  for i, (lat, lon) in enumerate(STOPS)]
        ids = order_store.upsert_orders(conn, orders).ids
        for order in orders:
            shipment_store.create_shipment(conn, Shipment(order_id=ids[order.order_ref], carrier="own_fleet"))
        conn.execute("UPDATE orders SET delivery_date = ?", (PLAN_DATE,))
    build_area(HELSINKI, store.path.parent / "areas" / "helsinki", parts=("roads",))
    store.set_setting(SETTING, "helsinki")
    return store
