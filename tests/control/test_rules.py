"""Each exception rule opens a case from crafted facts, never opens it twice, and closes it when the facts change."""
from __future__ import annotations

from datetime import timedelta

import pytest

from controltower.control.engine import ExceptionEngine
from controltower.control.rules import RULES
from controltower.domain import ShipmentStatus as S
from controltower.domain.timeutil import to_iso

from control_facts import NOW, approximate


def open_kinds(store, kind):
    return store.query("SELECT * FROM exceptions WHERE kind = ? AND resolved_at IS NULL", (kind,))


# Each scenario: build facts that show the problem -> (ids), then a change that makes the facts stop showing it.
def late(f):
    order = f.order(promised_end=NOW - timedelta(hours=1))
    sid = f.shipment(order, status=S.IN_TRANSIT)
    return lambda: f.set("UPDATE shipments SET status = 'delivered' WHERE id = ?", (sid,))


def at_risk(f):
    order = f.order(promised_end=NOW + timedelta(hours=1))
    sid = f.shipment(order, status=S.IN_TRANSIT, eta=NOW + timedelta(hours=3))
    return lambda: f.set("UPDATE shipments SET eta = ? WHERE id = ?", (to_iso(NOW + timedelta(minutes=30)), sid))


def failed_attempt(f):
    sid = f.shipment(f.order(), status=S.FAILED_ATTEMPT)
    return lambda: f.set("UPDATE shipments SET status = 'out_for_delivery' WHERE id = ?", (sid,))


def stalled(f):
    # The carrier normally scans every ~2 h: 12 shipments with 3 scans each, two hours apart.
    for n in range(12):
        past = f.shipment(f.order(), status=S.DELIVERED)
        for k in range(3):
            f.event(past, "in_transit", NOW - timedelta(days=5, hours=2 * k + n))
    sid = f.shipment(f.order(promised_end=NOW + timedelta(days=2)), status=S.IN_TRANSIT)
    f.event(sid, "in_transit", NOW - timedelta(hours=9))
    return lambda: f.event(sid, "in_transit", NOW - timedelta(minutes=10))


def address_problem(f):
    order = f.order(location=approximate())
    f.shipment(order, status=S.BOOKED)
    return lambda: f.set("UPDATE orders SET geo_precision = 'rooftop', geo_confidence = 1 WHERE id = ?", (order,))


def address_reported_by_carrier(f):
    sid = f.shipment(f.order(), status=S.EXCEPTION)
    f.event(sid, "exception", NOW - timedelta(hours=1), text="Incorrect address - unable to deliver")
    return lambda: f.event(sid, "in_transit", NOW - timedelta(minutes=5), text="Address corrected")


def booking_failed(f):
    sid = f.shipment(f.order(), status=S.CREATED)
    f.set("INSERT INTO outbox(idempotency_key, carrier, operation, shipment_id, state, last_error, created_at, updated_at) "
          "VALUES ('k1', 'zippy', 'book', ?, 'failed', 'no courier accepted the job', ?, ?)", (sid, to_iso(NOW), to_iso(NOW)))
    return lambda: f.set("UPDATE shipments SET status = 'booked' WHERE id = ?", (sid,))


def carrier_no_show(f):
    order = f.order()
    sid = f.shipment(order, status=S.BOOKED, status_as_of=NOW - timedelta(hours=3))
    f.set("INSERT INTO quotes(order_id, carrier, price_minor, estimated_pickup, created_at) VALUES (?, 'zippy', 900, ?, ?)",
          (order, to_iso(NOW - timedelta(hours=2)), to_iso(NOW)))
    return lambda: f.set("UPDATE shipments SET status = 'picked_up' WHERE id = ?", (sid,))


def damaged_or_lost(f):
    sid = f.shipment(f.order(), status=S.EXCEPTION)
    f.event(sid, "exception", NOW - timedelta(hours=1), text="Package damaged in transit")
    return lambda: f.set("UPDATE shipments SET status = 'cancelled' WHERE id = ?", (sid,))


def returned_to_sender(f):
    sid = f.shipment(f.order(), status=S.RETURNING)
    return lambda: f.set("UPDATE shipments SET status = 'in_transit' WHERE id = ?", (sid,))  # a carrier's mis-scan, corrected


def customer_unreachable(f):
    sid = f.shipment(f.order(), status=S.FAILED_ATTEMPT)
    f.event(sid, "failed_attempt", NOW - timedelta(hours=1), text="No one home, card left")
    return lambda: f.set("UPDATE shipments SET status = 'delivered' WHERE id = ?", (sid,))


def cost_over_quote(f):
    sid = f.shipment(f.order(), status=S.DELIVERED, cost=1500, quoted=1000, created_at=NOW - timedelta(days=1))
    return lambda: f.set("UPDATE shipments SET cost_minor = 1020 WHERE id = ?", (sid,))


SCENARIOS = {
    "late": late, "at_risk": at_risk, "failed_attempt": failed_attempt, "stalled": stalled,
    "address_problem": address_problem, "booking_failed": booking_failed, "carrier_no_show": carrier_no_show,
    "damaged_or_lost": damaged_or_lost, "returned_to_sender": returned_to_sender,
    "customer_unreachable": customer_unreachable, "cost_over_quote": cost_over_quote,
}


def test_every_registered_rule_has_a_scenario():
    assert set(RULES) == set(SCENARIOS)


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_rule_opens_dedups_and_auto_resolves(store, facts, kind):
    engine = ExceptionEngine(store, rules={kind: RULES[kind]})
    fix = SCENARIOS[kind](facts)

    first = engine.refresh(NOW)
    assert first.opened == 1, f"{kind} did not open"
    (case,) = open_kinds(store, kind)
    assert case["summary"] and case["suggested_action"] and case["order_id"]

    again = engine.refresh(NOW + timedelta(minutes=1))
    assert again.opened == 0
    assert len(open_kinds(store, kind)) == 1

    fix()
    engine.refresh(NOW + timedelta(minutes=2))
    assert open_kinds(store, kind) == []
    closed = store.query("SELECT resolution FROM exceptions WHERE id = ?", (case["id"],))[0]
    assert closed["resolution"].startswith("auto: ")
    assert store.scalar("SELECT count(*) FROM exception_actions WHERE exception_id = ? AND action = 'auto_resolved'", (case["id"],)) == 1


def test_address_reported_by_carrier(store, facts):
    engine = ExceptionEngine(store, rules={"address_problem": RULES["address_problem"]})
    fix = address_reported_by_carrier(facts)
    engine.refresh(NOW)
    (case,) = open_kinds(store, "address_problem")
    assert "carrier reports" in case["summary"]
    fix()
    engine.refresh(NOW)
    assert open_kinds(store, "address_problem") == []


def test_a_case_the_user_closed_is_not_reopened_by_the_same_fact(store, facts):
    from controltower.control.actions import ControlService

    late(facts)
    engine = ExceptionEngine(store)
    engine.refresh(NOW)
    (case,) = open_kinds(store, "late")
    ControlService(store).resolve([case["id"]], "customer agreed to wait")
    engine.refresh(NOW + timedelta(minutes=5))
    assert open_kinds(store, "late") == []


def test_late_becomes_critical_as_hours_pass(store, facts):
    late(facts)
    engine = ExceptionEngine(store)
    engine.refresh(NOW)
    assert open_kinds(store, "late")[0]["severity"] == "high"
    result = engine.refresh(NOW + timedelta(hours=4))
    assert result.updated >= 1
    assert open_kinds(store, "late")[0]["severity"] == "critical"


def test_at_risk_hands_over_to_late_once_the_promise_passes(store, facts):
    at_risk(facts)
    engine = ExceptionEngine(store)
    engine.refresh(NOW)
    assert len(open_kinds(store, "at_risk")) == 1 and open_kinds(store, "late") == []
    engine.refresh(NOW + timedelta(hours=2))
    assert open_kinds(store, "at_risk") == [] and len(open_kinds(store, "late")) == 1


def test_a_second_failed_attempt_is_a_new_case(store, facts):
    sid = facts.shipment(facts.order(), status=S.FAILED_ATTEMPT, status_as_of=NOW - timedelta(days=1))
    engine = ExceptionEngine(store, rules={"failed_attempt": RULES["failed_attempt"]})
    engine.refresh(NOW)
    facts.set("UPDATE shipments SET status_as_of = ? WHERE id = ?", (to_iso(NOW - timedelta(hours=1)), sid))
    result = engine.refresh(NOW)
    assert (result.opened, result.resolved) == (1, 1)


def test_in_store_pickups_waiting_on_the_shelf_are_not_late_or_no_shows(store, facts):
    from controltower.domain import DeliveryOption

    order = facts.order(option=DeliveryOption.PICKUP, promised_end=NOW - timedelta(days=1))
    facts.shipment(order, carrier="pickup", status=S.BOOKED, status_as_of=NOW - timedelta(days=2))
    assert ExceptionEngine(store).refresh(NOW).opened == 0


def test_facts_only_rules_rerun_only_after_a_write(store, facts):
    calls = []

    def counting(f):
        calls.append(1)
        return RULES["returned_to_sender"](f)

    counting.facts_only = True
    engine = ExceptionEngine(store, rules={"returned_to_sender": counting, "late": RULES["late"]})
    returned_to_sender(facts)
    engine.refresh(NOW)
    engine.refresh(NOW)
    engine.refresh(NOW)
    assert len(calls) == 2  # the first refresh wrote a case (a write), the third saw no write since the second
    facts.set("UPDATE orders SET notes = 'ring twice'")  # any commit, even one that never touches updated_at
    engine.refresh(NOW)
    assert len(calls) == 3


def test_an_order_not_yet_dispatched_with_an_unplaceable_address_is_an_address_problem(store):
    from datetime import datetime, timezone

    from controltower.control.engine import ExceptionEngine
    from controltower.domain import Address, DeliveryOption, Order
    from controltower.store import orders as order_store

    with store.transaction() as conn:
        order_store.upsert_orders(conn, [Order("NEW-1", "Ann", Address("1 Nowhere Lane", "Atlantis", "00000"),
                                               DeliveryOption.STANDARD, datetime.now(timezone.utc)),
                                         Order("NEW-2", "Bo", Address("At the counter", "Portland", "97214"),
                                               DeliveryOption.PICKUP, datetime.now(timezone.utc))])
    ExceptionEngine(store).refresh()
    cases = store.query("SELECT o.order_ref, e.summary FROM exceptions e JOIN orders o ON o.id = e.order_id "
                        "WHERE e.kind = 'address_problem' AND e.resolved_at IS NULL")
    assert [row[0] for row in cases] == ["NEW-1"]  # pickup orders need no address
    assert "could not be found" in cases[0][1]
