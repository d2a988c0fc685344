"""The sandbox courier network as a carrier client sees it: Uber Direct's wire shape on 127.0.0.1."""
from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from controltower.demo.sandbox import COMPANIES, Faults, SandboxNetwork


def delivery_body(**extra) -> dict:
    body = {
        "pickup_name": "Corner Shop", "pickup_address": json.dumps({"street_address": ["1 Main St"], "city": "Springfield"}),
        "pickup_phone_number": "+15555550100", "pickup_latitude": 40.73, "pickup_longitude": -73.99,
        "dropoff_name": "Ada Customer", "dropoff_address": json.dumps({"street_address": ["9 Elm St"], "city": "Springfield"}),
        "dropoff_phone_number": "+15555550101", "dropoff_latitude": 40.76, "dropoff_longitude": -73.95,
        "manifest_items": [{"name": "Box", "quantity": 1, "size": "small", "price": 2500}],
    }
    body.update(extra)
    return body


@pytest.fixture
def network():
    with SandboxNetwork(seed=3) as net:
        yield net


@pytest.fixture
def api(network):
    with httpx.Client(base_url=network.api_base_url, headers={"Authorization": "Bearer t"}, timeout=5) as client:
        yield client


def test_token_then_quotes_differ_by_courier_company(network, api):
    token = httpx.post(network.token_url, data={"grant_type": "client_credentials"}).json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 2592000
    fees = {code: api.post(f"/customers/{code}/delivery_quotes", json=delivery_body()).json()["fee"] for code in COMPANIES}
    assert fees["pedal"] < fees["metro"] < fees["zippy"]  # cheap bikes, premium cars
    quote = api.post("/customers/zippy/delivery_quotes", json=delivery_body()).json()
    assert quote["id"].startswith("dqt_") and isinstance(quote["fee"], int) and quote["expires"] > quote["created"]


def test_same_idempotency_key_books_once(network, api):
    first = api.post("/customers/zippy/deliveries", json=delivery_body(idempotency_key="k-1", external_id="ORD-1")).json()
    again = api.post("/customers/zippy/deliveries", json=delivery_body(idempotency_key="k-1", external_id="ORD-1")).json()
    assert first["id"] == again["id"] and first["status"] == "pending"
    assert [b["id"] for b in network.bookings()] == [first["id"]]


def test_duplicate_reference_without_key_is_refused_with_the_existing_id(network, api):
    first = api.post("/customers/metro/deliveries", json=delivery_body(external_id="ORD-2", manifest_reference="R2")).json()
    second = api.post("/customers/metro/deliveries", json=delivery_body(external_id="ORD-2", manifest_reference="R2"))
    assert second.status_code == 409
    assert second.json() == {"code": "duplicate_delivery", "message": "An active delivery like this already exists.",
                             "kind": "error", "metadata": {"delivery_id": first["id"]}}


def test_courier_moves_along_the_way_and_delivers(network, api):
    created = api.post("/customers/zippy/deliveries", json=delivery_body(idempotency_key="k-3")).json()
    seen = []
    for _ in range(12):
        network.clock.advance(timedelta(minutes=5))
        body = api.get(f"/customers/zippy/deliveries/{created['id']}").json()
        seen.append((body["status"], body.get("courier", {}).get("location")))
    statuses = [s for s, _ in seen]
    assert statuses[-1] in ("delivered", "returned")
    assert "dropoff" in statuses or "pickup" in statuses
    positions = [p for s, p in seen if s in ("pickup", "dropoff") and p]
    assert len({(p["lat"], p["lng"]) for p in positions}) > 1  # the courier actually moves


def test_failed_dropoff_becomes_a_return_delivery(network, api):
    network.world.companies["metro"] = COMPANIES["metro"].__class__(**{**COMPANIES["metro"].__dict__, "failure_rate": 1.0})
    created = api.post("/customers/metro/deliveries", json=delivery_body(idempotency_key="k-4")).json()
    network.clock.advance(timedelta(hours=2))
    body = api.get(f"/customers/metro/deliveries/{created['id']}").json()
    assert body["status"] == "returned" and body["undeliverable_reason"] == "customer_unavailable"
    back = body["related_deliveries"][0]
    assert back["relationship"] == "return"
    network.clock.advance(timedelta(hours=2))
    assert api.get(f"/customers/metro/deliveries/{back['id']}").json()["status"] == "delivered"


def test_cancel_before_pickup_only(network, api):
    early = api.post("/customers/pedal/deliveries", json=delivery_body(idempotency_key="k-5")).json()
    assert api.post(f"/customers/pedal/deliveries/{early['id']}/cancel").json()["status"] == "canceled"
    late = api.post("/customers/pedal/deliveries", json=delivery_body(idempotency_key="k-6")).json()
    network.clock.advance(timedelta(minutes=40))
    refused = api.post(f"/customers/pedal/deliveries/{late['id']}/cancel")
    assert refused.status_code == 400 and refused.json()["code"] == "noncancelable_delivery"


def test_errors_in_uber_shape(network, api):
    assert httpx.get(network.api_base_url + "/customers/zippy/deliveries/del_x").status_code == 401
    missing = api.get("/customers/nobody/deliveries/del_x")
    assert missing.status_code == 404 and missing.json()["code"] == "customer_not_found"
    invalid = api.post("/customers/zippy/deliveries", json={"pickup_name": "x"})
    assert invalid.status_code == 400 and invalid.json()["code"] == "invalid_params"


def test_injected_faults(network, api):
    created = api.post("/customers/zippy/deliveries", json=delivery_body(idempotency_key="k-7")).json()
    path = f"/customers/zippy/deliveries/{created['id']}"
    network.faults.force("server_error")
    assert api.get(path).status_code == 503
    network.faults.configure(retry_after_s=7)
    network.faults.force("rate_limited")
    limited = api.get(path)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    network.faults.force("malformed")
    with pytest.raises(json.JSONDecodeError):
        api.get(path).json()
    network.faults.configure(hang_s=1.0)
    network.faults.force("timeout")
    with pytest.raises(httpx.ReadTimeout):
        api.get(path, timeout=0.3)
    network.clock.advance(timedelta(minutes=30))
    now = api.get(path).json()
    network.faults.configure(stale_minutes=25)  # back to before the courier reached the shop
    network.faults.force("stale")
    old = api.get(path).json()
    assert old["updated"] < now["updated"]  # an out-of-order answer from the past


def test_lost_response_still_books(network, api):
    network.faults.force("lost_response", path_contains="/deliveries")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/customers/zippy/deliveries", json=delivery_body(idempotency_key="k-8"))
    assert [b["idempotency_key"] for b in network.bookings()] == ["k-8"]
    replay = api.post("/customers/zippy/deliveries", json=delivery_body(idempotency_key="k-8")).json()
    assert replay["id"] == network.bookings()[0]["id"] and len(network.bookings()) == 1


def test_fault_rate_and_admin_endpoints(network, api):
    network.faults.configure(rate=1.0, kinds=("server_error",))
    assert api.post("/customers/zippy/delivery_quotes", json=delivery_body()).status_code == 503
    httpx.post(network.base_url + "/_sandbox/faults", json={"rate": 0.0})
    assert api.post("/customers/zippy/delivery_quotes", json=delivery_body()).status_code == 200
    assert network.faults.injected == {"server_error": 1}
    clock = httpx.post(network.base_url + "/_sandbox/clock", json={"speed": 60}).json()
    assert clock["speed"] == 60
    assert httpx.get(network.base_url + "/_sandbox/bookings").json() == {"bookings": []}


def test_faults_reject_unknown_kinds():
    with pytest.raises(ValueError):
        Faults().force("gremlins")
