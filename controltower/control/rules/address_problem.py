"""Address problem: the address could not be placed on the map, was placed far from the shop or only roughly, or the
carrier says it is wrong."""
from __future__ import annotations

from ...dispatch.settings import load_settings
from ...domain import Severity
from ...domain.geo import CONFIDENCE_FLOOR, km_too_far
from ..eta import OPEN_SQL
from .base import Facts, Finding, rule

_CARRIER_WORDS = ("address", "undeliverable", "incorrect", "unknown street")


@rule("address_problem", facts_only=True)
def address_problem(facts: Facts):
    shop = load_settings(facts.conn)
    area_km = max((zone.radius_km or 0.0 for zone in shop.zones), default=0.0)
    for row in facts.conn.execute(
        f"SELECT o.id AS order_id, s.id AS shipment_id, o.geo_precision, o.geo_confidence, o.lat, o.lon, "
        f"(SELECT raw_text || ' ' || raw_code FROM tracking_events t WHERE t.shipment_id = s.id "
        f" AND t.status IN ('exception', 'failed_attempt') AND t.event_time >= COALESCE(s.status_as_of, '') ORDER BY event_time DESC, id DESC LIMIT 1) AS last_event "
        f"FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.kind = 'delivery' AND {OPEN_SQL} AND s.status != 'returning' "
        # Orders not yet dispatched have no shipment, and a bad address matters most before anything is booked.
        f"UNION ALL SELECT o.id, NULL, o.geo_precision, o.geo_confidence, o.lat, o.lon, NULL FROM orders o "
        f"WHERE o.status IN ('created', 'quoted') AND o.delivery_option != 'pickup' "
        f"AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.kind = 'delivery')"
    ):
        last_event = (row["last_event"] or "").lower()
        if any(word in last_event for word in _CARRIER_WORDS):
            reason = "The carrier reports a problem with the address"
        elif row["lat"] is None or row["geo_precision"] == "unknown":
            reason = "The address could not be found on the map"
        elif (far := km_too_far(row["lat"], row["lon"], shop.shop_lat, shop.shop_lon, area_km)) is not None \
                and not _pin_moved_by_user(facts, row["order_id"]):
            reason = f"Placed {far:,.0f} km from the shop: check the address"
        elif row["geo_confidence"] < CONFIDENCE_FLOOR:
            known = row["geo_precision"] if row["geo_precision"] in ("postcode", "city") else "nearest guess"
            reason = f"The address is only known to the {known}: check the pin on the map"
        else:
            continue
        yield Finding(
            "address_problem", Severity.HIGH, f"address:{row['order_id']}", reason,
            "Check the address with the customer and correct it, or drag the pin to where it is",
            row["order_id"], row["shipment_id"],
        )


def _pin_moved_by_user(facts: Facts, order_id: int) -> bool:
    """A person put the pin there themselves (Move pin): far or not, it is where they say."""
    return facts.conn.execute("SELECT 1 FROM audit_log WHERE action = 'order.move_pin' AND entity = 'order' "
                              "AND entity_id = ? LIMIT 1", (order_id,)).fetchone() is not None
