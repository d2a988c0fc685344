"""The canonical shipment status set and its lifecycle state machine."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ShipmentStatus(StrEnum):
    CREATED = "created"
    QUOTED = "quoted"
    BOOKED = "booked"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED_ATTEMPT = "failed_attempt"
    RETURNING = "returning"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    EXCEPTION = "exception"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def is_open(self) -> bool:
        return self not in FINAL_STATUSES


S = ShipmentStatus
FINAL_STATUSES = frozenset({S.DELIVERED, S.RETURNED, S.CANCELLED})

# Forward progress through the network; each status lists where it may go next.
# Self-transitions are allowed (a carrier repeats "in transit" at every hub).
_MOVING = {S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.FAILED_ATTEMPT, S.RETURNING, S.EXCEPTION}
TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    S.CREATED: frozenset({S.QUOTED, S.BOOKED, S.CANCELLED, S.EXCEPTION}),
    S.QUOTED: frozenset({S.QUOTED, S.BOOKED, S.CANCELLED, S.EXCEPTION}),
    S.BOOKED: frozenset(_MOVING | {S.BOOKED, S.CANCELLED}),
    S.PICKED_UP: frozenset(_MOVING),
    S.IN_TRANSIT: frozenset(_MOVING),
    S.OUT_FOR_DELIVERY: frozenset(_MOVING),
    S.FAILED_ATTEMPT: frozenset(_MOVING | {S.CANCELLED}),
    S.EXCEPTION: frozenset(_MOVING | {S.RETURNED, S.CANCELLED, S.BOOKED}),
    S.RETURNING: frozenset({S.RETURNING, S.RETURNED, S.EXCEPTION}),
    S.DELIVERED: frozenset({S.DELIVERED}),
    S.RETURNED: frozenset({S.RETURNED}),
    S.CANCELLED: frozenset({S.CANCELLED}),
}


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow."""

    def __init__(self, current: ShipmentStatus, target: ShipmentStatus) -> None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current] if s != current)) or "nothing (final)"
        super().__init__(f"a shipment that is '{current.value}' cannot become '{target.value}'; allowed next: {allowed}")
        self.current = current
        self.target = target


def can_transition(current: ShipmentStatus, target: ShipmentStatus) -> bool:
    return ShipmentStatus(target) in TRANSITIONS[ShipmentStatus(current)]


def transition(current: ShipmentStatus, target: ShipmentStatus) -> ShipmentStatus:
    """The new status, or IllegalTransition with a plain explanation."""
    current, target = ShipmentStatus(current), ShipmentStatus(target)
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
    return target


@dataclass(frozen=True)
class Timeline:
    """A shipment's current status and the event time that set it."""

    status: ShipmentStatus
    as_of: datetime | None = None


@dataclass(frozen=True)
class EventOutcome:
    timeline: Timeline
    applied: bool
    reason: str = ""


def apply_event(timeline: Timeline, status: ShipmentStatus, event_time: datetime) -> EventOutcome:
    """Place a tracking event by its event time.

    An event older than the one that set the current status is history only: it is kept
    but never moves the shipment backwards (a late 'in_transit' after 'delivered').
    A newer event that the lifecycle forbids is kept too, and reported, not applied.
    """
    status = ShipmentStatus(status)
    if timeline.as_of is not None and event_time < timeline.as_of:
        return EventOutcome(timeline, False, f"older than the current status ({timeline.status.value}); kept as history")
    if not can_transition(timeline.status, status):
        return EventOutcome(timeline, False, str(IllegalTransition(timeline.status, status)))
    return EventOutcome(Timeline(status, event_time), True)


def replay(events: list[tuple[datetime, ShipmentStatus]], start: ShipmentStatus = S.BOOKED) -> Timeline:
    """The status a set of events leads to, whatever order they arrived in."""
    timeline = Timeline(start)
    for event_time, status in sorted(events, key=lambda pair: pair[0]):
        timeline = apply_event(timeline, status, event_time).timeline
    return timeline
