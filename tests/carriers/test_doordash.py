"""DoorDash Drive adapter against a fake Drive v2 on 127.0.0.1: JWT, quote/accept, idempotent ids, faults."""
from __future__ import annotations

import base64
import dataclasses
import json

import pytest

from controltower.carriers import base
from controltower.carriers.base import AdapterConfig
from controltower.carriers.doordash import auth, parse
from controltower.carriers.doordash.client import DoorDashAdapter
from controltower.domain import Money, ShipmentStatus

from .fakes.doordash import DEVELOPER_ID, KEY_ID, SIGNING_SECRET, FakeDoorDash
from .fakes.server import Fault, running
from .samples import NOWHERE, shipment_request

pytestmark = pytest.mark.anyio

# The official status list, plus `quote` and the return legs of the API enum.
DOCUMENTED_STATUSES = {"quote", "created", "confirmed", "enroute_to_pickup", "arrived_at_pickup", "picked_up",
                       "enroute_to_dropoff", "arrived_at_dropoff", "delivered", "cancelled", "enroute_to_return",
                       "arrived_at_return", "returned"}


@pytest.fixture
def fake():
    with running(FakeDoorDash) as server:
        yield server


def make_adapter(fake, secret=SIGNING_SECRET, granted=True):
    credentials = {"developer_id": DEVELOPER_ID, "key_id": KEY_ID, "signing_secret": secret}
    return DoorDashAdapter(AdapterConfig("doordash", credentials, {"access_granted": granted},
                                         base_url=f"{fake.url}/drive/v2", timeout_s=0.5))


@pytest.fixture
async def doordash(fake):
    adapter = make_adapter(fake)
    yield adapter
    await adapter.aclose()


def test_status_table_covers_the_documented_vocabulary():
    assert set(parse.STATUS_MAP) == DOCUMENTED_STATUSES


@pytest.mark.parametrize("code,expected", sorted(parse.STATUS_MAP.items()))
async def test_each_delivery_status_maps_to_ours(fake, doordash, code, expected):
    booking = await doordash.book(shipment_request(), "key-1")
    fake.move(booking.external_id, code, "2026-11-25T16:30:00Z", dasher_location={"lat": 37.78, "lng": -122.41})
    [event] = await doordash.track(booking.tracking_ref)
    assert (event.status, event.raw_code, event.lat) == (expected, code, 37.78)


def test_jwt_has_doordash_header_claims_and_signature():
    token = auth.make_jwt(DEVELOPER_ID, KEY_ID, SIGNING_SECRET, now=1_700_000_000)
    head, claims, _ = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    assert decode(head) == {"alg": "HS256", "typ": "JWT", "dd-ver": "DD-JWT-V1"}
    assert decode(claims) == {"aud": "doordash", "iss": DEVELOPER_ID, "kid": KEY_ID, "iat": 1_700_000_000,
                              "exp": 1_700_000_300}
    assert FakeDoorDash().jwt_problem(f"Bearer {auth.make_jwt(DEVELOPER_ID, KEY_ID, SIGNING_SECRET)}") == ""


async def test_switched_off_until_doordash_grants_access(fake):
    async with make_adapter(fake, granted=False) as adapter:
        with pytest.raises(base.NotSupported) as caught:
            await adapter.quote(shipment_request())
    assert "Settings" in caught.value.advice and fake.calls == []


async def test_quote_accept_track_and_proof(fake, doordash):
    [quote] = await doordash.quote(shipment_request("CT 1001/1"))
    assert quote.price == Money(975) and quote.external_id == "CT-1001-1"
    booking = await doordash.book(dataclasses.replace(shipment_request("CT 1001/1"), quote_id=quote.external_id), "k")
    assert booking.status == ShipmentStatus.BOOKED and fake.created == ["CT-1001-1"]
    fake.move("CT-1001-1", "delivered", "2026-11-25T16:58:00Z", dropoff_time_actual="2026-11-25T16:57:00Z",
              dropoff_verification_image_url="https://doordash.example/pod.jpg")
    [event] = await doordash.track(booking.tracking_ref)
    assert event.status == ShipmentStatus.DELIVERED and event.event_time.isoformat() == "2026-11-25T16:57:00+00:00"
    assert (await doordash.proof_of_delivery(booking.tracking_ref)).url.endswith("pod.jpg")


async def test_repeated_booking_and_lost_answer_make_one_delivery(fake, doordash):
    fake.inject(Fault("lose_response"), "POST", ".*/deliveries")
    with pytest.raises(base.UnknownOutcome):
        await doordash.book(shipment_request("CT-LOST-4"), "key-lost")
    again = await doordash.book(shipment_request("CT-LOST-4"), "key-lost")
    assert again.external_id == "CT-LOST-4" and fake.created == ["CT-LOST-4"]
    assert (await doordash.find_booking_by_reference("CT-LOST-4")).external_id == "CT-LOST-4"
    assert await doordash.find_booking_by_reference("CT-NEVER") is None


async def test_outside_coverage_and_bad_secret(fake, doordash):
    with pytest.raises(base.BadAddress) as caught:
        await doordash.quote(shipment_request(dropoff=NOWHERE))
    assert "outside of delivery area" in caught.value.carrier_message
    wrong = base64.urlsafe_b64encode(b"not-the-secret").decode()
    async with make_adapter(fake, secret=wrong) as adapter:
        with pytest.raises(base.AuthFailed) as caught:
            await adapter.test_connection()
    assert "bad signature" in caught.value.carrier_message
    assert (await doordash.test_connection()).ok


async def test_cancel_until_the_dasher_has_it(fake, doordash):
    first = await doordash.book(shipment_request("CT-C-1"), "k1")
    assert (await doordash.cancel(first.tracking_ref)).cancelled
    second = await doordash.book(shipment_request("CT-C-2"), "k2")
    fake.move("CT-C-2", "picked_up", "2026-11-25T16:30:00Z")
    assert not (await doordash.cancel(second.tracking_ref)).cancelled


@pytest.mark.parametrize("fault,error", [
    (Fault("timeout", delay=1.0), base.CarrierDown),
    (Fault("status", status=503), base.CarrierDown),
    (Fault("rate_limit", retry_after="2", body={"code": "too_many_requests", "message": "Slow down"}), base.RateLimited),
    (Fault("malformed"), base.MalformedResponse),
    (Fault("status", status=401, body={"code": "authentication_error", "message": "expired"}), base.AuthFailed),
])
async def test_faults_become_typed_errors(fake, doordash, fault, error):
    booking = await doordash.book(shipment_request(), "key-1")
    fake.inject(fault, "GET", ".*/deliveries/.*")
    with pytest.raises(error):
        await doordash.track(booking.tracking_ref)
