"""Small builders for crafting store facts: an order, a shipment in some state, tracking events, a route."""
from __future__ import annotations

from datetime import datetime, timedelta

from controltower.domain import Address, DeliveryOption, GeoPoint, GeoPrecision, Money, Order, Shipment, ShipmentStatus, TimeWindow, TrackingEvent
from controltower.domain.timeutil import UTC, to_iso
from controltower.store.orders import upsert_orders
from controltower.store.shipments import create_shipment, ingest_events

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Facts:
    """Writes crafted facts into a test store the way the rest of the app would."""

    def __init__(self, db) -> None:
        self.db = db
        self._n = 0

    def order(self, *, name="Ada Lovelace", email="ada@example.com", phone="+1 415 555 2671", promised_end=NOW + timedelta(hours=4),
              created_at=NOW - timedelta(days=1), location=GeoPoint(37.77, -122.42), option=DeliveryOption.STANDARD,
              parcels=1, ref=None) -> int:
        self._n += 1
        window = TimeWindow(promised_end - timedelta(hours=2), promised_end) if promised_end else None
        order = Order(ref or f"R{self._n:04d}", name, Address("1 Main St", "San Francisco", "94103"), option, created_at,
                      phone=phone, email=email, location=location, promised_window=window, parcels=parcels)
        with self.db.transaction() as conn:
            return upsert_orders(conn, [order]).ids[order.order_ref]

    def shipment(self, order_id: int, *, carrier="zippy", status=ShipmentStatus.BOOKED, status_as_of=NOW - timedelta(hours=1),
                 created_at=NOW - timedelta(hours=20), eta=None, cost=None, quoted=None, service="ground", last_event_at=None,
                 kind="delivery") -> int:
        with self.db.transaction() as conn:
            shipment_id = create_shipment(conn, Shipment(
                order_id=order_id, carrier=carrier, status=status, status_as_of=status_as_of, created_at=created_at, eta=eta,
                cost=Money(cost) if cost is not None else None, quoted_cost=Money(quoted) if quoted is not None else None,
                service=service, kind=kind))
            if last_event_at:
                conn.execute("UPDATE shipments SET last_event_at = ? WHERE id = ?", (to_iso(last_event_at), shipment_id))
        return shipment_id

    def event(self, shipment_id: int, status: str, at: datetime, text: str = "", code: str = "", carrier="zippy") -> None:
        """A carrier scan, ingested the way the sync engine does (dedup, state machine, last_event_at)."""
        event = TrackingEvent(carrier, f"T{shipment_id}", ShipmentStatus(status), at, raw_code=code, raw_text=text)
        with self.db.transaction() as conn:
            ingest_events(conn, shipment_id, [event])

    def set(self, sql: str, params: tuple = ()) -> None:
        with self.db.transaction() as conn:
            conn.execute(sql, params)


def approximate(precision=GeoPrecision.CITY, confidence=0.3) -> GeoPoint:
    return GeoPoint(37.77, -122.42, precision, confidence)
