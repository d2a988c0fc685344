"""The detail pane of the Orders view: one order, its shipments, tracking history and audit trail."""
from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser

from ...domain.status import ShipmentStatus
from ...services.orders import OrdersService
from ..plain import carrier_text


class OrderDetail(QTextBrowser):
    """Every string shown here comes from customers or carriers, so all of it is escaped."""

    def __init__(self, service: OrdersService, local_time, parent=None) -> None:
        super().__init__(parent)
        self.service, self.local_time = service, local_time
        self.setOpenExternalLinks(False)
        self.setMinimumWidth(320)
        self.show_order(None)

    def show_order(self, order_id: int | None) -> None:
        if order_id is None:
            self.setHtml("<p style='color:#666'>Select an order to see its details, shipments and tracking history.</p>")
            return
        detail = self.service.detail(order_id)
        if detail is None:
            self.setHtml("<p>This order is no longer in the store.</p>")
            return
        order = detail.order
        e = escape
        window = order.promised_window
        promised = f"{self.local_time(window.start)} – {self.local_time(window.end)}" if window else "no promise"
        position = (f"{order.location.lat:.5f}, {order.location.lon:.5f} ({e(order.location.precision.value)})"
                    if order.location else "<b style='color:#c62828'>not placed on the map</b>")
        parts = [
            f"<h3>{e(order.order_ref)} · {e(order.customer_name)}</h3>",
            f"<p>{e(order.address.one_line())}<br>{position}</p>",
            f"<p>☎ {e(order.phone) or '—'} &nbsp; ✉ {e(order.email) or '—'}</p>",
            f"<p><b>{e(order.delivery_option.label)}</b>, promised {e(promised)}<br>"
            f"{order.parcels} parcel(s), {order.weight_g / 1000:.1f} kg, {e(order.value.format())} · status <b>{e(order.status.label)}</b></p>",
        ]
        if order.notes:
            parts.append(f"<p><i>Note: {e(order.notes)}</i></p>")
        if order.lines:
            items = "".join(f"<li>{line.quantity} × {e(line.name)} <span style='color:#777'>{e(line.sku)}</span></li>" for line in order.lines)
            parts.append(f"<p><b>Items</b></p><ul>{items}</ul>")
        names = self.service.carrier_names() if detail.shipments else {}
        for item in detail.shipments:
            shipment = item.shipment
            cost = shipment.cost.format() if shipment.cost else "—"
            # Plain words: the status's label and the account's name, never their codes ("in_transit", "sandbox:pedal");
            # the carrier's own code for an event ("pre_transit") is left out, its own words are shown.
            parts.append(f"<p><b>{e(shipment.kind.replace('_', ' ').capitalize())}</b> via "
                         f"{e(carrier_text(shipment.carrier, names))} {e(shipment.service.replace('_', ' '))}<br>"
                         f"Tracking {e(shipment.tracking_number) or '—'} · cost {e(cost)} · {e(shipment.status.label)}</p>")
            rows = "".join(
                f"<tr><td>{e(self.local_time(ev.event_time))}</td><td>{e(_status_label(ev.status))}</td>"
                f"<td>{e(ev.raw_text)}{'' if ev.applied else ' <i>(history only)</i>'}</td></tr>"
                for ev in item.events)
            if rows:
                parts.append(f"<table cellspacing=4><tr><th align=left>When</th><th align=left>Status</th>"
                             f"<th align=left>What the carrier said</th></tr>{rows}</table>")
        if detail.history:
            items = "".join(f"<li>{e(self.local_time(a.at))}: {e(a.action)} by {e(a.actor)}</li>" for a in detail.history)
            parts.append(f"<p><b>History</b></p><ul>{items}</ul>")
        self.setHtml("".join(parts))


def _status_label(status: str) -> str:
    try:
        return ShipmentStatus(status).label
    except ValueError:
        return status.replace("_", " ").capitalize()
