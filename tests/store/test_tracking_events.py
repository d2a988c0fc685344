"""Tracking events are append-only, stored once each, and placed by event time."""
from datetime import datetime, timedelta, timezone

import pytest

from controltower.domain import Address, DeliveryOption, Order, Shipment, ShipmentStatus as S, TrackingEvent
from controltower.store import orders as order_store
from controltower.store import shipments as shipment_store

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def shipment_id(store):
    with store.transaction() as conn:
        ids = order_store.upsert_orders(conn, [Order("A-1", "Ann", Address("1 Main St", "Portland", "97214"), DeliveryOption.STANDARD, T0)]).ids
        return shipment_store.create_shipment(conn, Shipment(order_id=ids["A-1"], carrier="easypost", status=S.BOOKED, tracking_number="EZ1"))


def event(status, minutes, event_id=""):
    return TrackingEvent("easypost", "EZ1", status, T0 + timedelta(minutes=minutes), raw_code=status.value, raw_text="x", carrier_event_id=event_id)


def test_duplicate_events_are_stored_once(store, shipment_id):
    batch = [event(S.IN_TRANSIT, 10, "e1"), event(S.OUT_FOR_DELIVERY, 60, "e2")]
    with store.transaction() as conn:
        first = shipment_store.ingest_events(conn, shipment_id, batch)
    with store.transaction() as conn:
        again = shipment_store.ingest_events(conn, shipment_id, batch + [event(S.IN_TRANSIT, 10, "e1")])
    assert (first.stored, again.stored, again.duplicates) == (2, 0, 3)
    assert store.scalar("SELECT count(*) FROM tracking_events") == 2


def test_events_without_ids_are_deduplicated_by_content(store, shipment_id):
    with store.transaction() as conn:
        shipment_store.ingest_events(conn, shipment_id, [event(S.IN_TRANSIT, 5)])
        result = shipment_store.ingest_events(conn, shipment_id, [event(S.IN_TRANSIT, 5)])
    assert result.duplicates == 1 and store.scalar("SELECT count(*) FROM tracking_events") == 1


def test_out_of_order_arrival_keeps_the_latest_status(store, shipment_id):
    with store.transaction() as conn:
        shipment_store.ingest_events(conn, shipment_id, [event(S.DELIVERED, 120, "d")])
        late = shipment_store.ingest_events(conn, shipment_id, [event(S.IN_TRANSIT, 30, "t")])
    assert late.history_only == 1
    shipment = shipment_store.get_shipment(store.conn, shipment_id)
    assert shipment.status is S.DELIVERED
    assert store.scalar("SELECT status FROM orders") == "delivered"
    history = [row["status"] for row in shipment_store.events_for(store.conn, shipment_id)]
    assert history == ["in_transit", "delivered"]


def test_events_are_append_only(store, shipment_id):
    with store.transaction() as conn:
        shipment_store.ingest_events(conn, shipment_id, [event(S.IN_TRANSIT, 5, "a")])
    with pytest.raises(Exception, match="append-only"):
        store.conn.execute("UPDATE tracking_events SET status = 'delivered'")


def test_user_status_change_is_checked_and_audited(store, shipment_id):
    from controltower.domain import IllegalTransition
    from controltower.store import audit

    with store.transaction() as conn:
        shipment_store.set_status(conn, shipment_id, S.CANCELLED, reason="customer changed mind")
    with pytest.raises(IllegalTransition):
        with store.transaction() as conn:
            shipment_store.set_status(conn, shipment_id, S.IN_TRANSIT)
    entry = audit.entries(store.conn, "shipment", shipment_id)[0]
    assert entry["before"] == {"status": "booked"} and entry["after"]["status"] == "cancelled"
