"""Where orders are: the user's pin correction is saved as exact, audited and announced; unknown orders say so."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from control_facts import Facts  # noqa: E402

from controltower.domain import GeoPoint, GeoPrecision  # noqa: E402
from controltower.kernel.errors import NotFound  # noqa: E402
from controltower.kernel.events import EventHub  # noqa: E402
from controltower.services.placing import PlacingService  # noqa: E402
from controltower.store.orders import get_order  # noqa: E402


def test_a_moved_pin_is_saved_as_exact_with_an_audit_entry_and_the_map_hears_of_it(store):
    order = Facts(store).order(location=GeoPoint(45.52, -122.68, GeoPrecision.POSTCODE, 0.6))
    hub, heard = EventHub(), []
    hub.subscribe("orders.changed", lambda _t, payload: heard.append(payload["ids"]))
    PlacingService(store, hub).move_pin(order, 45.5312, -122.6541)
    moved = get_order(store.reader(), order).location
    assert (moved.lat, moved.lon, moved.precision, moved.confidence) == (45.5312, -122.6541, GeoPrecision.ROOFTOP, 1.0)
    action, before, after = store.conn.execute(
        "SELECT action, before_json, after_json FROM audit_log WHERE entity_id = ? ORDER BY id DESC", (str(order),)).fetchone()
    assert action == "order.move_pin" and '"postcode"' in before and '"rooftop"' in after
    assert heard == [[order]]


def test_moving_the_pin_of_an_order_that_is_gone_says_so_and_changes_nothing(store):
    with pytest.raises(NotFound, match="no longer in the store"):
        PlacingService(store).move_pin(999, 45.5, -122.6)
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'order.move_pin'") == 0
