"""Own vans' stops as the windows work them: the stop an order waits on, and marking it delivered or failed
(dispatch's use cases, `dispatch.usecases.DeliveryActions`, written once there)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from ..dispatch.usecases import DeliveryActions, Done
from ..domain.timeutil import utcnow
from ..kernel.events import EventHub
from ..routing import plans
from ..store import Database

__all__ = ["DeliveryService", "VanStop", "Done"]


@dataclass(frozen=True)
class VanStop:
    """An own van's stop not yet worked: deliver the order, or collect its return."""

    stop_id: int
    order_id: int
    kind: str  # "delivery" or "pickup"
    plan_date: str | None
    on_route: bool  # placed on a van's route (False: waiting to be planned)


class DeliveryService:
    """The van stop buttons' service (Routes and Orders views). Each mark is one transaction with its audit entry;
    the hub then says orders, shipments and routes changed, and the views re-read."""

    def __init__(self, db: Database, hub: EventHub | None = None, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.hub = db, hub
        self.actions = DeliveryActions(db, hub=hub, clock=clock)

    def van_stop(self, order_id: int) -> VanStop | None:
        """The order's own-van stop still to work (its delivery, else a return's collection), or None."""
        conn = self.db.reader()
        for kind in ("delivery", "pickup"):
            stop_id = plans.open_stop_for(conn, order_id, kind)
            if stop_id is not None:
                stop = plans.get_stop(conn, stop_id)
                return VanStop(stop.id, stop.order_id, stop.kind, stop.plan_date, stop.route_id is not None)
        return None

    def mark_delivered(self, stop_id: int) -> Done:
        """The driver delivered (for a collection: picked the return up) at this stop."""
        return self.actions.mark_delivered(stop_id)

    def mark_failed(self, stop_id: int, reason: str) -> Done:
        """The driver could not deliver here; `reason` (required) goes to the audit log and the shipment."""
        return self.actions.mark_failed(stop_id, reason)
