"""The outbox as the store keeps it: a shipment and its write land together; queued writes can be withdrawn."""
from __future__ import annotations

from datetime import timedelta

import pytest

from controltower.domain import ShipmentStatus
from controltower.domain.timeutil import utcnow
from controltower.store.shipments import get_shipment
from controltower.sync import CannotCancel, cancel_write, enqueue_booking, enqueue_cancel
from controltower.sync import outbox
from controltower.sync.codec import request_from_json

from .conftest import same_day_request


def test_booking_is_queued_with_its_shipment_in_one_transaction(store, order_ids):
    with store.transaction() as conn:
        queued = enqueue_booking(conn, order_id=order_ids[0], carrier="sandbox:zippy", request=same_day_request())
    entry = outbox.get(store.conn, queued.outbox_id)
    assert entry.state == "pending" and entry.operation == "book" and entry.shipment_id == queued.shipment_id
    assert entry.idempotency_key == queued.idempotency_key
    request = request_from_json(entry.payload["request"])
    assert request.our_reference == queued.our_reference and request.our_reference.startswith(f"CT-{queued.shipment_id}-")
    assert request == request_from_json(entry.payload["request"])  # round-trips whole
    assert get_shipment(store.conn, queued.shipment_id).status == ShipmentStatus.CREATED


def test_a_failed_transaction_leaves_neither_shipment_nor_write(store, order_ids):
    with pytest.raises(RuntimeError):
        with store.transaction() as conn:
            enqueue_booking(conn, order_id=order_ids[0], carrier="sandbox:zippy", request=same_day_request())
            raise RuntimeError("power cut")
    assert store.scalar("SELECT COUNT(*) FROM shipments") == 0
    assert store.scalar("SELECT COUNT(*) FROM outbox") == 0


def test_enqueue_outside_a_transaction_is_refused(store, order_ids):
    with pytest.raises(RuntimeError, match="transaction"):
        enqueue_booking(store.conn, order_id=order_ids[0], carrier="sandbox:zippy", request=same_day_request())


def test_withdrawing_a_queued_booking_cancels_the_shipment(store, order_ids):
    with store.transaction() as conn:
        queued = enqueue_booking(conn, order_id=order_ids[0], carrier="sandbox:zippy", request=same_day_request())
    with store.transaction() as conn:
        cancel_write(conn, queued.outbox_id)
    assert outbox.get(store.conn, queued.outbox_id).state == "cancelled"
    assert get_shipment(store.conn, queued.shipment_id).status == ShipmentStatus.CANCELLED
    assert outbox.queued(store.conn) == []


def test_a_write_whose_outcome_is_unknown_cannot_be_withdrawn(store, order_ids):
    with store.transaction() as conn:
        queued = enqueue_booking(conn, order_id=order_ids[0], carrier="sandbox:zippy", request=same_day_request())
        outbox.mark_in_flight(conn, queued.outbox_id)
        outbox.retry_later(conn, queued.outbox_id, "no answer", utcnow(), outcome_unknown=True)
    with pytest.raises(CannotCancel, match="may already have it"):
        with store.transaction() as conn:
            cancel_write(conn, queued.outbox_id)


def test_unknown_stays_unknown_until_settled(store, order_ids):
    with store.transaction() as conn:
        queued = enqueue_booking(conn, order_id=order_ids[0], carrier="sandbox:zippy", request=same_day_request())
        outbox.mark_in_flight(conn, queued.outbox_id)
        outbox.retry_later(conn, queued.outbox_id, "no answer", utcnow(), outcome_unknown=True)
        outbox.mark_in_flight(conn, queued.outbox_id)
        outbox.retry_later(conn, queued.outbox_id, "carrier down", utcnow(), outcome_unknown=False)
    entry = outbox.get(store.conn, queued.outbox_id)
    assert entry.state == "unknown" and entry.outcome_unknown and entry.attempts == 2


def test_cancelling_a_shipment_still_queued_just_withdraws_its_booking(store, order_ids):
    with store.transaction() as conn:
        queued = enqueue_booking(conn, order_id=order_ids[0], carrier="sandbox:zippy", request=same_day_request())
        assert enqueue_cancel(conn, queued.shipment_id) is None
    assert outbox.counts(store.conn) == {"cancelled": 1}


def test_writes_for_one_shipment_go_in_order(store, order_ids):
    with store.transaction() as conn:
        first = enqueue_booking(conn, order_id=order_ids[0], carrier="sandbox:zippy", request=same_day_request())
        other = enqueue_booking(conn, order_id=order_ids[1], carrier="sandbox:zippy", request=same_day_request())
        outbox.mark_in_flight(conn, first.outbox_id)
        cancel = enqueue_cancel(conn, first.shipment_id)
    due = [e.id for e in outbox.due(store.conn, utcnow() + timedelta(seconds=1))]
    assert due == [other.outbox_id]  # the cancel waits for its booking to settle
    with store.transaction() as conn:
        outbox.mark_done(conn, first.outbox_id, {"external_id": "del_1"})
    due = [e.id for e in outbox.due(store.conn, utcnow() + timedelta(seconds=1))]
    assert due == [other.outbox_id, cancel.outbox_id]


def test_a_crash_mid_send_leaves_the_write_to_be_reconciled(store, order_ids):
    with store.transaction() as conn:
        queued = enqueue_booking(conn, order_id=order_ids[0], carrier="sandbox:zippy", request=same_day_request())
        outbox.mark_in_flight(conn, queued.outbox_id)
    with store.transaction() as conn:
        assert outbox.recover_after_crash(conn) == 1
    entry = outbox.get(store.conn, queued.outbox_id)
    assert entry.state == "unknown" and "stopped" in entry.last_error
