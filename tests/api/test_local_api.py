"""The local API against a real server on 127.0.0.1: the door (Host, Origin, token, rate) and the routes."""
from __future__ import annotations

import asyncio
import time

import httpx
from openapi_spec_validator import validate

from controltower.api.guard import RateLimit
from controltower.store import audit
from controltower.store.orders import OrderQuery

from .conftest import new_order


def all_routes(api) -> list[tuple[str, str]]:
    spec = api.get("/v1/openapi.json").json()
    routes = [(method.upper(), path.replace("{order_id}", "1").replace("{case_id}", "1"))
              for path, methods in spec["paths"].items() for method in methods]
    return routes + [("GET", "/v1/openapi.json"), ("GET", "/v1/docs")]


def test_every_route_refuses_a_request_without_a_valid_token(api):
    routes = all_routes(api)
    assert len(routes) >= 13
    for method, path in routes:
        for headers in ({"Authorization": ""}, {"Authorization": "Bearer ct_not-the-token"}):
            answer = httpx.request(method, str(api.base_url) + path, headers=headers, json={})
            assert answer.status_code == 401, (method, path, answer.status_code)


def test_a_foreign_host_or_any_origin_is_refused_before_anything_is_written(api, core):
    rebinding = api.post("/v1/orders", json=new_order("EVIL-1"), headers={"Host": f"evil.example:{api.base_url.port}"})
    from_a_page = api.post("/v1/orders", json=new_order("EVIL-2"), headers={"Origin": "http://evil.example"})
    own_origin = api.post("/v1/orders", json=new_order("EVIL-3"), headers={"Origin": str(api.base_url)})
    assert (rebinding.status_code, from_a_page.status_code, own_origin.status_code) == (421, 403, 403)
    assert core.orders.count(OrderQuery()) == 0
    assert audit.entries(core.db.reader(), "order") == []


def test_an_order_created_through_the_api_is_in_the_orders_view_and_the_audit_log(api, core):
    created = api.post("/v1/orders", json=new_order("WEB-1001"))
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    listed = core.orders.page(OrderQuery(search="WEB-1001"), 0, 10)
    assert [row.order_ref for row in listed] == ["WEB-1001"]
    history = core.orders.detail(order_id).history
    assert [(line.action, line.actor) for line in history] == [("order.create", "API token Zapier")]
    assert api.get(f"/v1/orders/{order_id}").json()["order"]["customer_name"] == "Ada Park"


def test_orders_are_listed_with_filters_and_pages_changed_and_cancelled(api, core):
    for n in range(5):
        api.post("/v1/orders", json=new_order(f"WEB-{n}", delivery_option="standard" if n % 2 else "same_day"))
    first = api.get("/v1/orders", params={"limit": 2, "option": "same_day"}).json()
    second = api.get("/v1/orders", params={"limit": 2, "offset": first["next_offset"], "option": "same_day"}).json()
    refs = [o["order_ref"] for o in first["orders"] + second["orders"]]
    assert sorted(refs) == ["WEB-0", "WEB-2", "WEB-4"] and second["next_offset"] is None
    order_id = first["orders"][0]["id"]
    moved = api.patch(f"/v1/orders/{order_id}", json={"notify_customer": False, "promised_window": {
        "start": "2030-03-03T17:00:00+00:00", "end": "2030-03-03T19:00:00+00:00"}})
    assert moved.status_code == 200, moved.text
    assert core.orders.get(order_id).promised_window.end.isoformat() == "2030-03-03T19:00:00+00:00"
    assert api.post(f"/v1/orders/{order_id}/cancel", json={"reason": "customer changed their mind"}).status_code == 200
    assert core.orders.get(order_id).status.value == "cancelled"
    again = api.post(f"/v1/orders/{order_id}/cancel", json={"reason": "twice"})
    assert again.status_code == 422 and "already cancelled" in again.json()["error"]
    actors = {(e["action"], e["actor"]) for e in audit.entries(core.db.reader(), "order", order_id)}
    assert {("order.reschedule", "API token Zapier"), ("order.cancel", "API token Zapier")} <= actors
    assert api.get("/v1/orders/999999").status_code == 404
    bad = api.post("/v1/orders", json=new_order("WEB-X", parcels=-1))
    assert bad.status_code == 422


def test_routes_exceptions_kpis_and_shipments_answer(api, core):
    order_id = api.post("/v1/orders", json=new_order()).json()["id"]
    assert api.get(f"/v1/orders/{order_id}/shipments").json() == {"shipments": []}
    assert api.get("/v1/routes", params={"day": "2030-03-02"}).json() == {"date": "2030-03-02", "routes": []}
    assert api.get("/v1/exceptions").json() == {"exceptions": []}
    kpis = api.get("/v1/kpis", params={"days": 7}).json()["kpis"]
    assert kpis and {"key", "value", "unit"} <= set(kpis[0])
    assert "<table" in api.get("/v1/docs").text


def test_the_openapi_document_is_valid_openapi_3_1(api):
    spec = api.get("/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    assert {"/v1/orders", "/v1/orders/{order_id}", "/v1/orders/{order_id}/cancel", "/v1/orders/{order_id}/quote",
            "/v1/orders/{order_id}/shipments", "/v1/routes", "/v1/exceptions", "/v1/exceptions/{case_id}/resolve",
            "/v1/exceptions/{case_id}/snooze", "/v1/kpis"} <= set(spec["paths"])


def test_a_revoked_token_no_longer_opens_the_door(api, core):
    assert api.get("/v1/kpis").status_code == 200
    core.api_tokens.revoke("Zapier")
    assert api.get("/v1/kpis").status_code == 401


def test_the_rate_limit_allows_twenty_a_second_per_token():
    now = [0.0]
    limit = RateLimit(20, clock=lambda: now[0])
    assert sum(limit.allow("Zapier") for _ in range(30)) == 20
    assert limit.allow("Shopify")  # another token has its own budget
    now[0] += 0.5
    assert sum(limit.allow("Zapier") for _ in range(30)) == 10


def test_the_local_api_job_is_off_by_default_and_serves_when_turned_on(core, shared_keychain):
    core.jobs.add_off  # noqa: B018 (the job list is built at start)

    async def run() -> tuple[str, str, int]:
        core.start()
        off = core.jobs.status("local-api").state
        await core.stop()
        core.jobs._jobs.clear()
        core.db.set_setting("api.enabled", "1")
        core.db.set_setting("api.port", "0")
        token = core.api_tokens.create("Script")
        core.start()
        for _ in range(600):  # its own process starts in about a second; the loop runs meanwhile
            status = core.jobs.status("local-api")
            if "serving on " in status.last_result or status.last_error:
                break
            await asyncio.sleep(0.05)
        url = status.last_result.split("serving on ")[1].split("/v1")[0]
        code = (await asyncio.to_thread(httpx.get, url + "/v1/kpis", headers={"Authorization": f"Bearer {token}"})).status_code
        await core.stop()
        return off, status.state, code

    assert asyncio.run(run()) == ("off", "running", 200)
