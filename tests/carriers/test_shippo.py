"""Shippo adapter against a fake Shippo on 127.0.0.1: rates, purchases, tracking, refunds and every fault."""
from __future__ import annotations

import dataclasses

import pytest

from controltower.carriers import base
from controltower.carriers.base import AdapterConfig
from controltower.carriers.shippo import parse
from controltower.carriers.shippo.client import ShippoAdapter
from controltower.domain import Money, ShipmentStatus

from .fakes.server import Fault, running
from .fakes.shippo import API_TOKEN, FakeShippo
from .samples import NOWHERE, shipment_request

pytestmark = pytest.mark.anyio

DOCUMENTED_STATUSES = {"PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE", "UNKNOWN"}
DOCUMENTED_SUBSTATUSES = {
    "information_received", "address_issue", "contact_carrier", "delayed", "delivery_attempted",
    "delivery_rescheduled", "delivery_scheduled", "location_inaccessible", "notice_left", "out_for_delivery",
    "package_accepted", "package_arrived", "package_damaged", "package_departed", "package_disposed",
    "package_forwarded", "package_held", "package_lost", "package_processed", "package_processing",
    "package_unclaimed", "package_undeliverable", "pickup_available", "reschedule_delivery", "delivered",
    "return_to_sender", "other"}


@pytest.fixture
def fake():
    with running(FakeShippo) as server:
        yield server


def make_adapter(fake, token=API_TOKEN, timeout_s=0.5):
    return ShippoAdapter(AdapterConfig("shippo", {"api_token": token}, {"poll_interval_s": 0.01},
                                       base_url=fake.url, timeout_s=timeout_s))


@pytest.fixture
async def shippo(fake):
    adapter = make_adapter(fake)
    yield adapter
    await adapter.aclose()


def test_status_tables_cover_the_documented_vocabulary():
    assert set(parse.STATUS_MAP) == DOCUMENTED_STATUSES
    assert set(parse.SUBSTATUS_MAP) == DOCUMENTED_SUBSTATUSES


@pytest.mark.parametrize("code,expected", sorted(parse.STATUS_MAP.items()))
async def test_each_tracking_status_maps_to_ours(fake, shippo, code, expected):
    booking = await shippo.book(shipment_request(), "key-1")
    fake.add_tracking(booking.tracking_number, code, None, f"now {code}", "2026-11-26T09:00:00Z")
    events = await shippo.track(booking.tracking_ref)
    assert events[-1].status == expected and events[-1].raw_code == code and events[-1].raw_text == f"now {code}"


@pytest.mark.parametrize("substatus", sorted(DOCUMENTED_SUBSTATUSES))
def test_each_substatus_maps_to_ours(substatus):
    refined = parse.SUBSTATUS_MAP[substatus]
    assert parse.event_status("TRANSIT", substatus) == (refined or ShipmentStatus.IN_TRANSIT)


async def test_quote_book_track_refund(fake, shippo):
    quotes = await shippo.quote(shipment_request())
    assert [(q.service, q.price) for q in quotes] == [("USPS:usps_priority", Money(758)), ("UPS:ups_ground", Money(1021))]
    booking = await shippo.book(dataclasses.replace(shipment_request(), quote_id=quotes[1].external_id), "key-1")
    assert booking.service == "UPS:ups_ground" and booking.cost == Money(1021)
    assert booking.tracking_ref.endswith(f":ups:{booking.tracking_number}")
    fake.add_tracking(booking.tracking_number, "TRANSIT", "out_for_delivery", "Out for delivery", "2026-11-26T08:00:00Z")
    events = await shippo.track(booking.tracking_ref)
    assert [e.status for e in events] == [ShipmentStatus.BOOKED, ShipmentStatus.OUT_FOR_DELIVERY]
    assert events[-1].location == "Oakland, CA, 94607, US" and events[-1].raw_code == "TRANSIT/out_for_delivery"
    assert (await shippo.label(booking.tracking_ref)).url.endswith(".pdf")
    assert (await shippo.cancel(booking.tracking_ref)).cancelled


async def test_queued_purchase_is_polled_until_it_settles(fake, shippo):
    fake.queue_next_purchase = True
    booking = await shippo.book(shipment_request(), "key-q")
    assert booking.raw_status == "SUCCESS" and len(fake.purchases) == 1


async def test_lost_purchase_answer_is_found_by_reference_not_bought_again(fake, shippo):
    fake.inject(Fault("lose_response"), "POST", "/transactions")
    request = shipment_request("CT-LOST-2")
    with pytest.raises(base.UnknownOutcome):
        await shippo.book(request, "key-lost")
    assert len(fake.purchases) == 1
    retried = await shippo.book(request, "key-lost")
    assert retried.tracking_number == fake.transactions[fake.purchases[0]]["tracking_number"]
    assert len(fake.purchases) == 1
    async with make_adapter(fake) as restarted:  # after a restart the sync engine asks explicitly
        assert (await restarted.find_booking_by_reference("CT-LOST-2")).tracking_number == retried.tracking_number
        assert await restarted.find_booking_by_reference("CT-NEVER") is None


async def test_bad_address_and_bad_token(fake, shippo):
    with pytest.raises(base.BadAddress) as caught:
        await shippo.quote(shipment_request(dropoff=NOWHERE))
    assert "could not be validated" in caught.value.carrier_message
    async with make_adapter(fake, token="shippo_test_wrong") as wrong:
        with pytest.raises(base.AuthFailed) as caught:
            await wrong.test_connection()
    assert caught.value.carrier_message == "Token does not exist"
    assert (await shippo.test_connection()).message == "Connected to Shippo (test token)."


@pytest.mark.parametrize("fault,error", [
    (Fault("timeout", delay=1.0), base.CarrierDown),
    (Fault("status", status=502), base.CarrierDown),
    (Fault("rate_limit", retry_after="3"), base.RateLimited),
    (Fault("malformed"), base.MalformedResponse),
    (Fault("status", status=401, body={"detail": "Token expired"}), base.AuthFailed),
    (Fault("status", status=409, body={"detail": "Too many concurrent requests"}), base.RateLimited),
])
async def test_tracking_faults_become_typed_errors(fake, shippo, fault, error):
    booking = await shippo.book(shipment_request(), "key-1")
    fake.inject(fault, "GET", "/tracks/.*")
    with pytest.raises(error) as caught:
        await shippo.track(booking.tracking_ref)
    if fault.kind == "rate_limit":
        assert caught.value.retry_after == 3.0


@pytest.mark.parametrize("fault", [Fault("timeout", delay=1.0), Fault("status", status=500), Fault("malformed")])
async def test_uncertain_purchase_faults_are_unknown_outcome(fake, shippo, fault):
    fake.inject(fault, "POST", "/transactions")
    with pytest.raises(base.UnknownOutcome):
        await shippo.book(shipment_request("CT-U-2"), "key-u")
    assert (await shippo.book(shipment_request("CT-U-2"), "key-u")).tracking_number
    assert len(fake.purchases) == 1  # bought exactly once, whether or not the first try took effect


@pytest.mark.parametrize("carrier_says,error", [
    ("The recipient address could not be validated", base.BadAddress),
    ("Service not available for this destination", base.ServiceUnavailable),
])
async def test_a_refused_purchase_keeps_the_carriers_words(fake, shippo, carrier_says, error):
    fake.refuse_next_purchase = carrier_says
    with pytest.raises(error) as caught:
        await shippo.book(shipment_request(), "key-1")
    assert caught.value.carrier_message == carrier_says and not caught.value.retryable
    assert fake.purchases == []
