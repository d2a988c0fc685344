"""The Orders view's read side: pages of orders, counts, one order with its shipments and history, carrier names."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import NamedTuple

from ..domain import Order, Shipment
from ..domain.timeutil import from_iso
from ..kernel.events import EventHub
from ..store import Database, audit, carrier_accounts
from ..store import orders as order_store
from ..store import shipments as shipment_store
from ..store.orders import OrderQuery
from ..store.shop_clock import shop_today

__all__ = ["OrderQuery", "OrderListRow", "TrackingLine", "ShipmentDetail", "AuditLine", "OrderDetail", "OrdersService"]


class OrderListRow(NamedTuple):
    """One line of the Orders table (a tuple, so a page of thousands stays cheap); times are ISO UTC text."""

    id: int
    order_ref: str
    created_at: str
    customer_name: str
    street: str
    city: str
    postcode: str
    delivery_option: str
    promised_start: str | None
    promised_end: str | None
    status: str
    carrier: str | None
    parcels: int
    value_minor: int
    currency: str
    geo_precision: str


assert OrderListRow._fields == order_store.VIEW_COLUMNS, "OrderListRow must follow the store's view columns"


@dataclass(frozen=True)
class TrackingLine:
    """One carrier event of a shipment, as the detail pane lists it."""

    event_time: datetime | None
    status: str
    raw_code: str
    raw_text: str
    applied: bool


@dataclass(frozen=True)
class ShipmentDetail:
    shipment: Shipment
    events: tuple[TrackingLine, ...]


@dataclass(frozen=True)
class AuditLine:
    """One entry of an order's history: what was done, by whom, when."""

    at: datetime | None
    action: str
    actor: str


@dataclass(frozen=True)
class OrderDetail:
    """Everything the detail pane shows for one order."""

    order: Order
    shipments: tuple[ShipmentDetail, ...]
    history: tuple[AuditLine, ...]


class OrdersService:
    """Reads for the Orders view. Each call uses the calling thread's own reader, so it is safe from a worker."""

    HISTORY_LINES = 20

    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    def page(self, query: OrderQuery, offset: int, limit: int) -> list[OrderListRow]:
        return [OrderListRow._make(row) for row in order_store.page(self.db.reader(), query, offset, limit)]

    def count(self, query: OrderQuery) -> int:
        """How many orders match; a full count of a big store takes a while, so call it from a worker."""
        return order_store.count(self.db.reader(), query)

    def get(self, order_id: int) -> Order | None:
        return order_store.get_order(self.db.reader(), order_id)

    def detail(self, order_id: int) -> OrderDetail | None:
        conn = self.db.reader()
        order = order_store.get_order(conn, order_id)
        if order is None:
            return None
        shipments = tuple(
            ShipmentDetail(shipment, tuple(
                TrackingLine(from_iso(ev["event_time"]), ev["status"], ev["raw_code"], ev["raw_text"], bool(ev["applied"]))
                for ev in shipment_store.events_for(conn, shipment.id)))
            for shipment in shipment_store.shipments_for_order(conn, order_id))
        history = tuple(AuditLine(from_iso(entry["at"]), entry["action"], entry["actor"])
                        for entry in audit.entries(conn, "order", order_id, limit=self.HISTORY_LINES))
        return OrderDetail(order, shipments, history)

    def carrier_names(self) -> dict[str, str]:
        """Carrier code -> the name the shop gave the account."""
        return carrier_accounts.names(self.db.reader())

    def shop_timezone(self) -> tzinfo:
        """The shop's zone (store.shop_clock: the one set in Settings, else the computer's own)."""
        return self.db.shop_timezone()

    def shop_today(self) -> str:
        """The shop's calendar day as an ISO date: the date filters' default, never the UTC date."""
        return shop_today(self.db.reader())
