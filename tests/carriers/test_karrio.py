"""karrio adapter (UPS and USPS wired) against fake UPS and USPS APIs on 127.0.0.1, off the event loop."""
from __future__ import annotations

import asyncio

import pytest

from controltower.carriers import base, registry
from controltower.carriers.base import AdapterConfig
from controltower.domain import Money, ShipmentStatus

from .fakes.karrio_posts import CLIENT_ID, CLIENT_SECRET, FakeUPS, FakeUSPS
from .fakes.server import Fault, running
from .samples import shipment_request

karrio_units = pytest.importorskip("karrio.core.units", reason="the optional karrio extra is not installed")
pytestmark = pytest.mark.anyio

from controltower.carriers.karrio import parse  # noqa: E402

CREDENTIALS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "account_number": "A1B2C3"}


@pytest.fixture(params=["ups", "usps"])
def post(request):
    server = (FakeUPS if request.param == "ups" else FakeUSPS)().start()
    yield request.param, server
    server.stop()


def make_adapter(code, server, timeout_s=3.0, credentials=CREDENTIALS):
    return registry.create(AdapterConfig(f"karrio:{code}", dict(credentials), base_url=server.url, timeout_s=timeout_s))


def add_delivered_event(code, server):
    """A carrier-native delivery scan, as UPS and USPS send it."""
    if code == "ups":
        server.add_activity("D", "KB", "DELIVERED", "20261126", "081500")
    else:
        server.add_event("Delivered, In/At Mailbox", "01", "2026-11-26T08:15:00")  # local, no zone, as USPS sends it


def test_status_table_covers_karrios_unified_vocabulary():
    assert set(parse.STATUS_MAP) == {status.name for status in karrio_units.TrackingStatus}


@pytest.mark.parametrize("code,expected", sorted(parse.STATUS_MAP.items()))
def test_each_karrio_status_maps_to_ours(code, expected):
    from karrio.core.models import TrackingDetails, TrackingEvent

    detail = TrackingDetails(carrier_name="ups", carrier_id="ups", tracking_number="1Z1", events=[
        TrackingEvent(date="2026-11-26", description="x", code="C", time="08:00", timestamp="2026-11-26T08:00:00.000Z",
                      status=code)])
    [event] = parse.tracking_events("karrio:ups", [detail])
    assert event.status == expected and event.raw_code == f"C/{code}"


async def test_quotes_from_both_wired_carriers(post):
    code, server = post
    async with make_adapter(code, server) as adapter:
        quotes = await adapter.quote(shipment_request())
    expected = {"ups": [("ups_ground", Money(1420)), ("ups_2nd_day_air", Money(2785))],
                "usps": [("usps_ground_advantage", Money(695)), ("usps_priority_mail", Money(985))]}[code]
    assert [(q.service, q.price) for q in quotes] == expected
    assert {q.carrier for q in quotes} == {f"karrio:{code}"}


async def test_tracking_keeps_the_carriers_code_and_text(post):
    code, server = post
    add_delivered_event(code, server)
    async with make_adapter(code, server) as adapter:
        [event] = await adapter.track("1Z999AA10123456784")
    assert event.status == ShipmentStatus.DELIVERED
    assert event.raw_code == {"ups": "KB/delivered", "usps": "01/delivered"}[code]
    # 08:15 on the clock in Oakland CA (the fakes' scan place) is 16:15 UTC
    assert event.event_time.isoformat() == "2026-11-26T16:15:00+00:00" and "DELIVERED" in event.raw_text.upper()


async def test_wrong_credentials_are_auth_failed(post):
    code, server = post
    async with make_adapter(code, server, credentials={**CREDENTIALS, "client_secret": "nope"}) as adapter:
        with pytest.raises(base.AuthFailed):
            await adapter.test_connection()


async def test_a_slow_carrier_times_out_while_the_event_loop_keeps_running(post):
    code, server = post
    server.inject(Fault("timeout", delay=1.5))
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    async with make_adapter(code, server, timeout_s=0.6) as adapter:
        with pytest.raises(base.CarrierDown) as caught:
            await adapter.quote(shipment_request())
    running.cancel()
    assert "did not answer within 0.6 s" in str(caught.value)
    assert ticks > 20  # the loop kept turning while karrio blocked its worker thread


@pytest.mark.parametrize("fault,error", [
    (Fault("status", status=500, body={"response": {"errors": [{"code": "9999", "message": "Internal server error"}]}}),
     base.CarrierDown),
    (Fault("status", status=429, body={"response": {"errors": [{"code": "429", "message": "Rate limit exceeded"}]}}),
     base.RateLimited),
    (Fault("malformed"), base.MalformedResponse),
])
async def test_ups_faults_become_typed_errors(fault, error):
    server = FakeUPS().start()
    try:
        async with make_adapter("ups", server) as adapter:
            await adapter.quote(shipment_request())  # token fetched and cached first
            server.inject(fault, "POST", "/api/rating/.*")
            with pytest.raises(error):
                await adapter.quote(shipment_request())
    finally:
        server.stop()


async def test_unreachable_carrier_is_carrier_down():
    server = FakeUSPS().start()
    server.stop()
    async with make_adapter("usps", server, timeout_s=1.0) as adapter:  # karrio itself retries with pauses
        with pytest.raises(base.CarrierDown):
            await adapter.quote(shipment_request())


def test_each_wired_karrio_carrier_has_its_own_credential_fields():
    assert registry.KARRIO_CODES == ("karrio:ups", "karrio:usps")
    for code in registry.KARRIO_CODES:
        names = [f.name for f in registry.credential_fields(code)]
        assert names[:2] == ["client_id", "client_secret"]


async def test_an_uncertain_label_is_never_rebought_blindly(post):
    code, server = post
    async with make_adapter(code, server) as adapter:
        assert not adapter.idempotent_booking
        with pytest.raises(base.NotSupported) as caught:
            await adapter.find_booking_by_reference("CT-1001-1")
    assert "CT-1001-1" in caught.value.advice and not caught.value.retryable


async def test_book_a_ups_label_and_void_it():
    with running(FakeUPS) as server:
        async with make_adapter("ups", server) as adapter:
            booking = await adapter.book(shipment_request(), "key-1")
            assert booking.tracking_number.startswith("1ZCT") and booking.service == "ups_ground"
            assert booking.label.format == "PDF" and booking.label.data.startswith(b"%PDF")
            sent = server.shipped[0]["ShipmentRequest"]["Shipment"]
            assert sent["ShipTo"]["Address"]["PostalCode"] == "94103"
            assert (await adapter.cancel(booking.tracking_ref)).cancelled


async def test_missing_keys_are_named_before_anything_is_sent():
    with running(FakeUPS) as server:
        async with make_adapter("ups", server, credentials={"client_id": CLIENT_ID}) as adapter:
            with pytest.raises(base.AuthFailed) as caught:
                await adapter.quote(shipment_request())
        assert "no client secret saved for karrio:ups" in caught.value.message and server.calls == []
