"""The shared HTTP helper: which failure becomes which typed error, for reads and for writes."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from controltower.carriers import base
from controltower.carriers.http import CarrierHttp, parse_retry_after

from .fakes.server import Fault, FakeServer, Reply, running

pytestmark = pytest.mark.anyio


class Echo(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.route("GET", "/thing", lambda r: Reply(200, {"ok": True}))
        self.route("POST", "/thing", lambda r: Reply(201, {"made": True}))


@pytest.fixture
async def client():
    with running(Echo) as server:
        http = CarrierHttp("acme", server.url, timeout_s=0.4)
        yield server, http
        await http.aclose()


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 11, 25, 16, 0, tzinfo=timezone.utc)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 25 Nov 2026 16:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 25 Nov 2026 15:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


@pytest.mark.parametrize("method,fault,error", [
    ("GET", Fault("lose_response"), base.CarrierDown),
    ("POST", Fault("lose_response"), base.UnknownOutcome),
    ("GET", Fault("timeout", delay=1.0), base.CarrierDown),
    ("POST", Fault("timeout", delay=1.0), base.UnknownOutcome),
    ("GET", Fault("status", status=500), base.CarrierDown),
    ("POST", Fault("status", status=500), base.UnknownOutcome),
    ("POST", Fault("status", status=504), base.UnknownOutcome),
    ("POST", Fault("status", status=408), base.UnknownOutcome),
    ("GET", Fault("status", status=408), base.CarrierDown),
    ("POST", Fault("status", status=503), base.UnknownOutcome),  # a 5xx on a write may have taken effect (issue 18)
    ("GET", Fault("malformed"), base.MalformedResponse),
    ("POST", Fault("malformed"), base.UnknownOutcome),  # it said yes, but to what?
    ("POST", Fault("status", status=400, body={"message": "bad phone"}), base.RequestRejected),
    ("POST", Fault("status", status=422, body={"code": "address_invalid", "message": "no such street"}), base.BadAddress),
    ("POST", Fault("status", status=422, body={"message": "outside coverage"}), base.ServiceUnavailable),
    ("GET", Fault("status", status=404, body={"message": "gone"}), base.BookingNotFound),
    ("GET", Fault("status", status=403, body={"message": "not yours"}), base.AuthFailed),
    ("GET", Fault("rate_limit", retry_after="4"), base.RateLimited),
])
async def test_failures_become_typed_errors(client, method, fault, error):
    server, http = client
    server.inject(fault)
    with pytest.raises(error) as caught:
        await http.request(method, "/thing", json_body={} if method == "POST" else None)
    assert type(caught.value) is error
    if fault.body:
        assert caught.value.body == fault.body and caught.value.carrier_message == fault.body["message"]


async def test_a_write_that_never_reached_the_carrier_is_safe_to_retry():
    with running(Echo) as server:
        url = server.url
    http = CarrierHttp("acme", url, timeout_s=0.4)  # the server is gone: connection refused
    with pytest.raises(base.CarrierDown) as caught:
        await http.request("POST", "/thing", json_body={})
    await http.aclose()
    assert caught.value.retryable and "could not reach acme" in caught.value.message
