"""Rated deliveries for scorecard tests, written through the owners' functions as the app writes them."""
from __future__ import annotations

from datetime import datetime, timedelta

from controltower.control.notify import outbox
from controltower.control.ratings import store as ratings_store
from controltower.domain import DeliveryOption, ShipmentStatus
from controltower.domain.timeutil import to_iso
from controltower.routing import plans
from controltower.store import fleet

from control_facts import Facts


class RatedDeliveries:
    """`asked(...)` a delivered order whose rating question went out; `rate(...)` its customer's reply."""

    def __init__(self, db, at: datetime) -> None:
        self.db, self.at, self.facts = db, at, Facts(db)
        self._vans: dict[str, int] = {}

    def van(self, van: str, driver: str) -> int:
        if van not in self._vans:
            with self.db.transaction() as conn:
                driver_id = fleet.add_driver(conn, driver)
                vehicle = fleet.add_vehicle(conn, van, capacity_parcels=50, capacity_weight_g=500_000, driver_id=driver_id)
                self._vans[van] = plans.create_route(conn, self.at.date().isoformat(), vehicle)
        return self._vans[van]

    def asked(self, *, carrier: str = "zippy", option: DeliveryOption = DeliveryOption.STANDARD,
              van: tuple[str, str] | None = None, sent: bool = True) -> int:
        n = self.db.scalar("SELECT count(*) FROM orders") + 1
        order = self.facts.order(ref=f"C{n:04d}", option=option, email=f"c{n}@example.com")
        shipment = self.facts.shipment(order, carrier=carrier, status=ShipmentStatus.DELIVERED, status_as_of=self.at)
        with self.db.transaction() as conn:
            if van:
                plans.add_stop(conn, order, route_id=self.van(*van), status="delivered")
            (note,) = outbox.enqueue(conn, order, "delivered", dedup_key=f"delivered:{shipment}", channels=("email",))
            if sent:
                outbox.mark_sent(conn, note, to_iso(self.at), "msg")
            ratings_store.add_request(conn, order, shipment, "rating", note, self.at)
        return shipment

    def rate(self, shipment: int, score: int, reason: str = "", after: timedelta = timedelta(hours=2)) -> None:
        with self.db.transaction() as conn:
            request_id = conn.execute("SELECT id FROM rating_requests WHERE shipment_id = ?", (shipment,)).fetchone()[0]
            request = ratings_store.Request(request_id, *conn.execute(
                "SELECT order_id, shipment_id, kind, channel, recipient FROM rating_requests WHERE id = ?",
                (request_id,)).fetchone(), self.at)
            ratings_store.add_rating(conn, request, score, str(score), self.at + after)
            if reason:
                ratings_store.set_reason(conn, shipment, reason, reason)
