"""EasyPost adapter against a fake EasyPost on 127.0.0.1: rates, purchase, tracking, refunds and every fault."""
from __future__ import annotations

import dataclasses

import pytest

from controltower.carriers import base
from controltower.carriers.base import AdapterConfig
from controltower.carriers.easypost import parse
from controltower.carriers.easypost.client import EasyPostAdapter
from controltower.domain import Money, ShipmentStatus

from .fakes.easypost import API_KEY, FakeEasyPost
from .fakes.server import Fault, running
from .samples import NOWHERE, shipment_request

pytestmark = pytest.mark.anyio

# EasyPost's documented Tracker.status and status_detail values (reference sheet, EasyPost C# Tracker model).
DOCUMENTED_STATUSES = {"pre_transit", "in_transit", "out_for_delivery", "delivered", "available_for_pickup",
                       "return_to_sender", "failure", "cancelled", "unknown", "error"}
DOCUMENTED_DETAILS = {
    "address_correction", "arrived_at_destination", "arrived_at_facility", "arrived_at_pickup_location",
    "awaiting_information", "cancelled", "damaged", "delayed", "delivery_exception", "departed_facility",
    "departed_origin_facility", "expired", "failure", "held", "in_transit", "label_created", "lost", "missorted",
    "out_for_delivery", "received_at_destination_facility", "received_at_origin_facility", "refused", "return",
    "status_update", "transferred_to_destination_carrier", "transit_exception", "unknown", "weather_delay"}


@pytest.fixture
def fake():
    with running(FakeEasyPost) as server:
        yield server


@pytest.fixture
async def easypost(fake):
    adapter = EasyPostAdapter(AdapterConfig("easypost", {"api_key": API_KEY}, base_url=fake.url, timeout_s=0.5))
    yield adapter
    await adapter.aclose()


def test_status_tables_cover_the_documented_vocabulary():
    assert set(parse.STATUS_MAP) == DOCUMENTED_STATUSES
    assert set(parse.STATUS_DETAIL_MAP) == DOCUMENTED_DETAILS


@pytest.mark.parametrize("code,expected", sorted(parse.STATUS_MAP.items()))
async def test_each_tracker_status_maps_to_ours(fake, easypost, code, expected):
    booking = await easypost.book(shipment_request(), "key-1")
    fake.add_tracking(booking.external_id, code, "status_update", f"status {code}", "2026-11-26T09:00:00Z")
    events = await easypost.track(booking.external_id)
    assert events[-1].status == expected
    assert events[-1].raw_code == f"{code}/status_update"
    assert events[-1].raw_text == f"status {code}"


@pytest.mark.parametrize("detail", sorted(DOCUMENTED_DETAILS))
def test_each_status_detail_maps_to_ours(detail):
    refined = parse.STATUS_DETAIL_MAP[detail]
    assert parse.event_status("in_transit", detail) == (refined or ShipmentStatus.IN_TRANSIT)


async def test_quotes_are_sorted_cheapest_first_in_minor_units(easypost):
    quotes = await easypost.quote(shipment_request())
    assert [(q.service, q.price) for q in quotes] == [("USPS:Priority", Money(820)), ("UPS:Ground", Money(1105))]
    assert quotes[0].external_id.startswith("shp_") and "/rate_" in quotes[0].external_id


async def test_book_a_quote_then_track_label_and_refund(fake, easypost):
    quote = (await easypost.quote(shipment_request()))[0]
    request = dataclasses.replace(shipment_request(), quote_id=quote.external_id)
    booking = await easypost.book(request, "key-1")
    assert booking.tracking_number.startswith("EZ") and booking.cost == Money(820)
    assert booking.status == ShipmentStatus.BOOKED and booking.label.url.endswith(".pdf")
    fake.add_tracking(booking.external_id, "in_transit", "arrived_at_facility", "Arrived at USPS Facility",
                      "2026-11-26T08:00:00Z", city="Oakland")
    events = await easypost.track(booking.tracking_ref)
    assert [e.status for e in events] == [ShipmentStatus.BOOKED, ShipmentStatus.IN_TRANSIT]
    assert events[-1].location == "Oakland, CA, US" and events[-1].raw_text == "Arrived at USPS Facility"
    assert (await easypost.label(booking.tracking_ref)).format == "PDF"
    cancelled = await easypost.cancel(booking.tracking_ref)
    assert cancelled.cancelled and cancelled.raw_status == "submitted"


async def test_booking_the_same_quote_twice_buys_once(fake, easypost):
    quote = (await easypost.quote(shipment_request()))[0]
    request = dataclasses.replace(shipment_request(), quote_id=quote.external_id)
    first = await easypost.book(request, "key-1")
    second = await easypost.book(request, "key-1")
    assert first == second
    assert len(fake.purchases) == 1


async def test_lost_purchase_answer_is_found_by_reference_not_bought_again(fake, easypost):
    fake.inject(Fault("lose_response"), "POST", "/shipments/.*/buy")
    request = shipment_request("CT-LOST-1")
    with pytest.raises(base.UnknownOutcome):
        await easypost.book(request, "key-lost")
    assert len(fake.purchases) == 1  # EasyPost did buy it
    found = await easypost.find_booking_by_reference("CT-LOST-1")
    assert found is not None and found.tracking_number == fake.shipments[fake.purchases[0]]["tracking_code"]
    retried = await easypost.book(request, "key-lost")  # the retry checks first
    assert retried.tracking_number == found.tracking_number
    assert len(fake.purchases) == 1


async def test_lookup_after_a_restart_uses_a_fresh_adapter(fake, easypost):
    fake.inject(Fault("timeout", delay=1.0), "POST", "/shipments/.*/buy")
    with pytest.raises(base.UnknownOutcome):
        await easypost.book(shipment_request("CT-SLOW-1"), "key-slow")
    fresh = EasyPostAdapter(AdapterConfig("easypost", {"api_key": API_KEY}, base_url=fake.url, timeout_s=2))
    async with fresh:
        assert (await fresh.find_booking_by_reference("CT-SLOW-1")) is not None
        assert await fresh.find_booking_by_reference("CT-NEVER") is None


async def test_bad_address_keeps_easypost_message(easypost):
    with pytest.raises(base.BadAddress) as caught:
        await easypost.quote(shipment_request(dropoff=NOWHERE))
    assert caught.value.code == "ADDRESS.VERIFY.FAILURE"
    assert "Unable to verify address" in caught.value.carrier_message and caught.value.http_status == 422


async def test_wrong_key_is_auth_failed(fake):
    adapter = EasyPostAdapter(AdapterConfig("easypost", {"api_key": "EZAK_wrong"}, base_url=fake.url, timeout_s=0.5))
    async with adapter:
        with pytest.raises(base.AuthFailed) as caught:
            await adapter.test_connection()
    assert "no longer active" in caught.value.carrier_message


async def test_missing_key_says_where_to_paste_it(fake):
    async with EasyPostAdapter(AdapterConfig("easypost", {}, base_url=fake.url)) as adapter:  # built without a key
        with pytest.raises(base.AuthFailed) as caught:
            await adapter.quote(shipment_request())
    assert "no api key saved for easypost" in caught.value.message and "Settings" in caught.value.advice
    assert fake.calls == []  # nothing was sent without a key


async def test_test_connection(easypost):
    result = await easypost.test_connection()
    assert result.ok and "test key" in result.message


@pytest.mark.parametrize("fault,error", [
    (Fault("timeout", delay=1.0), base.CarrierDown),
    (Fault("status", status=500), base.CarrierDown),
    (Fault("status", status=503), base.CarrierDown),
    (Fault("rate_limit", retry_after="7"), base.RateLimited),
    (Fault("malformed"), base.MalformedResponse),
    (Fault("status", status=401, body={"error": {"code": "APIKEY.REQUIRED", "message": "No key"}}), base.AuthFailed),
])
async def test_read_faults_become_typed_errors(fake, easypost, fault, error):
    booking = await easypost.book(shipment_request(), "key-1")
    fake.inject(fault, "GET", "/shipments/.*")
    with pytest.raises(error) as caught:
        await easypost.track(booking.external_id)
    if error is base.RateLimited:
        assert caught.value.retry_after == 7.0
    assert caught.value.retryable == (error is not base.AuthFailed)


@pytest.mark.parametrize("fault", [Fault("timeout", delay=1.0), Fault("status", status=500), Fault("malformed")])
async def test_uncertain_purchase_faults_are_unknown_outcome(fake, easypost, fault):
    fake.inject(fault, "POST", "/shipments/.*/buy")
    with pytest.raises(base.UnknownOutcome):
        await easypost.book(shipment_request("CT-U-1"), "key-u")


async def test_buying_an_already_bought_shipment_answers_with_its_label(fake, easypost):
    quote = (await easypost.quote(shipment_request()))[0]
    request = dataclasses.replace(shipment_request(), quote_id=quote.external_id)
    first = await easypost.book(request, "key-1")
    fake.stale_reads = 1  # another attempt raced us: our check still sees the shipment unbought
    again = await easypost.book(request, "key-1")
    assert again.tracking_number == first.tracking_number and len(fake.purchases) == 1
    assert len(fake.calls_to("POST", "/shipments/.*/buy")) == 2  # EasyPost refused the second buy


async def test_a_return_label_goes_from_the_customer_back_to_the_shop(fake, easypost):
    from .samples import CUSTOMER, SHOP

    back = dataclasses.replace(shipment_request("CT-RET-1"), pickup=CUSTOMER, dropoff=SHOP, is_return=True)
    booking = await easypost.create_return(back, "key-ret")
    sent = fake.calls_to("POST", "/shipments")[0].json["shipment"]
    # EasyPost swaps the addresses itself for is_return, so it is sent the outbound way round.
    assert sent["is_return"] is True and sent["to_address"]["zip"] == CUSTOMER.postcode
    assert sent["from_address"]["zip"] == SHOP.postcode and booking.tracking_number


async def test_proof_of_delivery_is_who_signed(fake, easypost):
    booking = await easypost.book(shipment_request(), "key-1")
    with pytest.raises(base.BookingNotFound):
        await easypost.proof_of_delivery(booking.tracking_ref)
    fake.add_tracking(booking.external_id, "delivered", "arrived_at_destination", "Delivered", "2026-11-26T15:00:00Z")
    fake.shipments[booking.external_id]["tracker"]["signed_by"] = "A LOVELACE"
    proof = await easypost.proof_of_delivery(booking.tracking_ref)
    assert (proof.kind, proof.signed_by) == ("signed_by", "A LOVELACE")
