"""ETAs: own vans re-timed by the driver's progress, carriers from their estimate or their own history."""
from __future__ import annotations

from datetime import timedelta

from controltower.control.eta import estimate_all, estimate_for
from controltower.domain import ShipmentStatus as S
from controltower.domain.timeutil import to_iso

from control_facts import NOW


def route(facts, stops):
    """stops: (order_id, planned offset min, actual offset min or None, status)."""
    facts.set("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g) VALUES (1, 'Van 1', 40, 400000)")
    facts.set("INSERT INTO routes(id, plan_date, vehicle_id, created_at) VALUES (1, '2026-11-25', 1, ?)", (to_iso(NOW),))
    for seq, (order, planned, actual, status) in enumerate(stops, start=1):
        facts.set("INSERT INTO stops(order_id, route_id, sequence, planned_arrival, actual_arrival, status) VALUES (?,?,?,?,?,?)",
                  (order, 1, seq, to_iso(NOW + timedelta(minutes=planned)),
                   None if actual is None else to_iso(NOW + timedelta(minutes=actual)), status))


def test_own_fleet_stops_shift_by_the_drivers_delay(store, facts):
    done, next_stop, last = (facts.order(promised_end=NOW + timedelta(hours=h)) for h in (1, 1, 2))
    ids = [facts.shipment(o, carrier="own_fleet", status=S.OUT_FOR_DELIVERY) for o in (done, next_stop, last)]
    route(facts, [(done, 0, 25, "delivered"), (next_stop, 30, None, "planned"), (last, 60, None, "planned")])
    etas = {e.shipment_id: e for e in estimate_all(store.conn, NOW)}
    # 25 minutes late at the first stop: the rest slide by 25 minutes.
    assert etas[ids[1]].eta == NOW + timedelta(minutes=55) and etas[ids[1]].source == "driver_progress"
    assert etas[ids[2]].eta == NOW + timedelta(minutes=85)
    assert etas[ids[1]].confidence > etas[ids[2]].confidence  # further down the route, less sure
    assert not etas[ids[1]].at_risk


def test_a_driver_running_early_pulls_etas_forward_and_at_risk_uses_the_promise(store, facts):
    first, tight = facts.order(), facts.order(promised_end=NOW + timedelta(minutes=20))
    sid = facts.shipment(tight, carrier="own_fleet", status=S.OUT_FOR_DELIVERY)
    facts.shipment(first, carrier="own_fleet", status=S.DELIVERED)
    route(facts, [(first, 0, -10, "delivered"), (tight, 40, None, "planned")])
    eta = estimate_for(store.conn, sid, NOW)
    assert eta.eta == NOW + timedelta(minutes=30) and eta.at_risk and eta.slack == timedelta(minutes=-10)


def test_carrier_estimate_wins_over_history(store, facts):
    sid = facts.shipment(facts.order(), status=S.IN_TRANSIT, eta=NOW + timedelta(hours=3))
    eta = estimate_for(store.conn, sid, NOW)
    assert (eta.eta, eta.source, eta.confidence) == (NOW + timedelta(hours=3), "carrier", 0.7)


def test_without_an_estimate_the_carriers_own_history_is_used(store, facts):
    for hours in (20, 24, 30):  # delivered before: median 24 h from booking to door
        facts.shipment(facts.order(), status=S.DELIVERED, created_at=NOW - timedelta(days=5),
                       status_as_of=NOW - timedelta(days=5) + timedelta(hours=hours))
    facts.shipment(facts.order(), carrier="other", status=S.DELIVERED, created_at=NOW - timedelta(days=5),
                   status_as_of=NOW - timedelta(days=1))
    sid = facts.shipment(facts.order(), status=S.IN_TRANSIT, created_at=NOW - timedelta(hours=2))
    eta = estimate_for(store.conn, sid, NOW)
    assert eta.eta == NOW + timedelta(hours=22) and eta.source == "history" and 0.3 < eta.confidence < 0.65


def test_no_history_no_eta(store, facts):
    sid = facts.shipment(facts.order(), carrier="brandnew", status=S.BOOKED)
    eta = estimate_for(store.conn, sid, NOW)
    assert eta.eta is None and eta.source == "none" and not eta.at_risk
