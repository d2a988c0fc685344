"""Webhooks out, received by a real server on 127.0.0.1 that verifies them with the published Standard Webhooks
library: signed, fed from the store's changes, retried through an outage, turned off after 24 hours of failures."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from controltower.api.webhooks import EndpointsTurnedOff
from controltower.domain import Shipment, ShipmentStatus
from controltower.services.jobs import FAILED, PeriodicJob
from controltower.store import secrets
from controltower.store.shipments import create_shipment, set_status

from .conftest import new_order
from .receiver import Receiver

START = datetime(2030, 3, 2, 16, 0, tzinfo=timezone.utc)
ORDER_EVENTS = ["order.created", "order.updated"]
SHIPMENT_EVENTS = ["shipment.booked", "shipment.status_changed", "shipment.out_for_delivery", "shipment.delivered",
                   "shipment.failed_attempt"]


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


def create_order(core, ref="WEB-1"):
    from controltower.api.shapes import OrderIn

    return core.dispatch.create_order(OrderIn(**new_order(ref)).to_order())


def test_an_order_created_is_delivered_signed_and_verified_by_the_standard_webhooks_library(core, clock):
    with Receiver() as receiver:
        endpoint_id, secret = core.webhooks.subscribe(receiver.url, ORDER_EVENTS)
        receiver.secret = secret
        assert secret.startswith("whsec_") and secrets.get_secret("webhook", str(endpoint_id)) == secret
        order_id = create_order(core)
        assert "1 delivered" in core.webhooks.run_once()
        assert receiver.types() == ["order.created"]
        assert receiver.events[0]["data"]["id"] == order_id
        assert core.webhooks.run_once().startswith("0 event(s) queued, 0 delivered")  # told once
    stored = core.db.reader().execute("SELECT group_concat(value) FROM webhook_cursors").fetchone()[0]
    assert "whsec_" not in stored and secret not in str(core.webhooks.endpoints())


def test_a_shipment_s_journey_is_announced_status_by_status(core, clock):
    with Receiver() as receiver:
        _id, receiver.secret = core.webhooks.subscribe(receiver.url, SHIPMENT_EVENTS)
        order_id = create_order(core)
        with core.db.transaction() as conn:
            shipment_id = create_shipment(conn, Shipment(order_id, "own_fleet"))
        core.webhooks.run_once()
        assert receiver.types() == []  # created, not booked: nothing to tell
        for status in (ShipmentStatus.BOOKED, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED):
            clock.shift(1)
            with core.db.transaction() as conn:
                set_status(conn, shipment_id, status)
            core.webhooks.run_once()
        assert receiver.types() == ["shipment.status_changed", "shipment.booked",
                                    "shipment.status_changed", "shipment.out_for_delivery",
                                    "shipment.status_changed", "shipment.delivered"]
        assert receiver.events[-1]["data"]["previous_status"] == "out_for_delivery"


def test_after_an_outage_each_event_arrives_exactly_once(core, clock):
    with Receiver() as receiver:
        _id, receiver.secret = core.webhooks.subscribe(receiver.url, ORDER_EVENTS)
        receiver.down = True
        for n in range(5):
            create_order(core, f"WEB-{n}")
        core.webhooks.run_once()
        clock.shift(10)
        core.webhooks.run_once()  # retried after 5 s: still down
        assert receiver.refused == 2 and not receiver.accepted  # one try per endpoint per round while it fails
        receiver.down = False
        core.webhooks.run_once()
        assert len(receiver.accepted) == 4  # the untried go now; the one tried twice waits out its 5-minute back-off
        clock.shift(301)
        core.webhooks.run_once()
        assert sorted(receiver.accepted.values()) == [1] * 5
        assert receiver.types() == ["order.created"] * 5
        log = core.webhooks.delivery_log()
        assert [entry["status_code"] for entry in log].count(503) == 2 and len(log) == 7


def test_an_endpoint_failing_for_24_hours_is_turned_off_and_the_job_says_so(core, clock):
    with Receiver() as receiver:
        endpoint_id, receiver.secret = core.webhooks.subscribe(receiver.url, ORDER_EVENTS)
        receiver.down = True
        create_order(core)
        job = PeriodicJob("webhooks", "Webhooks out", core.webhooks.run_once, 5)
        for hours in range(26):  # past 24 hours by a whole hour: times are stored to the second
            clock.shift(3600)
            asyncio.run(job.run_once())
        assert job.status.state == FAILED and "turned off" in job.status.last_error and receiver.url in job.status.last_error
        assert not core.webhooks.endpoints()[0].enabled
        receiver.down = False
        core.webhooks.turn_on(endpoint_id)
        test_id = core.webhooks.send_test(endpoint_id)
        assert "1 delivered" in asyncio.run(job.run_once()).last_result
        assert list(receiver.accepted) == [test_id] and receiver.types() == ["webhook.test"]


def test_a_tampered_secret_fails_verification(core, clock):
    with Receiver() as receiver:
        endpoint_id, secret = core.webhooks.subscribe(receiver.url, ORDER_EVENTS)
        receiver.secret = "whsec_" + "A" * 44
        core.webhooks.send_test(endpoint_id)
        core.webhooks.run_once()
        assert not receiver.accepted
