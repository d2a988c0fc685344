"""The shipment lifecycle: legal and illegal transitions, and events that arrive out of order."""
from datetime import datetime, timedelta, timezone

import pytest

from controltower.domain import IllegalTransition, ShipmentStatus as S, Timeline, apply_event, transition
from controltower.domain.status import TRANSITIONS, replay

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("current,target", [
    (S.CREATED, S.QUOTED), (S.QUOTED, S.BOOKED), (S.BOOKED, S.PICKED_UP), (S.PICKED_UP, S.IN_TRANSIT),
    (S.IN_TRANSIT, S.OUT_FOR_DELIVERY), (S.OUT_FOR_DELIVERY, S.DELIVERED), (S.OUT_FOR_DELIVERY, S.FAILED_ATTEMPT),
    (S.FAILED_ATTEMPT, S.OUT_FOR_DELIVERY), (S.FAILED_ATTEMPT, S.RETURNING), (S.RETURNING, S.RETURNED),
    (S.BOOKED, S.CANCELLED), (S.IN_TRANSIT, S.EXCEPTION), (S.EXCEPTION, S.IN_TRANSIT), (S.IN_TRANSIT, S.IN_TRANSIT),
])
def test_legal_transitions(current, target):
    assert transition(current, target) is target


@pytest.mark.parametrize("current,target", [
    (S.DELIVERED, S.IN_TRANSIT), (S.DELIVERED, S.CANCELLED), (S.CANCELLED, S.BOOKED), (S.RETURNED, S.OUT_FOR_DELIVERY),
    (S.CREATED, S.DELIVERED), (S.IN_TRANSIT, S.BOOKED), (S.RETURNING, S.DELIVERED), (S.OUT_FOR_DELIVERY, S.CANCELLED),
])
def test_illegal_transitions_say_what_is_allowed(current, target):
    with pytest.raises(IllegalTransition) as error:
        transition(current, target)
    assert current.value in str(error.value) and target.value in str(error.value)


def test_every_status_has_a_rule_and_final_ones_stay_final():
    assert set(TRANSITIONS) == set(S)
    for final in (S.DELIVERED, S.RETURNED, S.CANCELLED):
        assert TRANSITIONS[final] == {final}


def test_late_in_transit_never_moves_a_delivered_shipment_back():
    delivered = apply_event(Timeline(S.OUT_FOR_DELIVERY, T0), S.DELIVERED, T0 + timedelta(hours=1)).timeline
    late = apply_event(delivered, S.IN_TRANSIT, T0 - timedelta(hours=2))
    assert not late.applied and late.timeline.status is S.DELIVERED
    assert "older" in late.reason


def test_events_in_any_arrival_order_lead_to_the_same_status():
    events = [(T0, S.PICKED_UP), (T0 + timedelta(hours=1), S.IN_TRANSIT), (T0 + timedelta(hours=3), S.OUT_FOR_DELIVERY),
              (T0 + timedelta(hours=4), S.DELIVERED)]
    assert replay(events).status is S.DELIVERED
    assert replay(list(reversed(events))).status is S.DELIVERED
    assert replay(events[:3][::-1]).status is S.OUT_FOR_DELIVERY


def test_newer_but_illegal_event_is_kept_as_history_not_applied():
    outcome = apply_event(Timeline(S.DELIVERED, T0), S.IN_TRANSIT, T0 + timedelta(hours=1))
    assert not outcome.applied and outcome.timeline.status is S.DELIVERED


def test_an_event_stamped_the_same_second_as_the_current_status_still_moves_it_on():
    # Carriers stamp to the second or the minute: 'out for delivery' and 'delivered' often share one timestamp.
    outcome = apply_event(Timeline(S.OUT_FOR_DELIVERY, T0), S.DELIVERED, T0)
    assert outcome.applied and outcome.timeline.status is S.DELIVERED
