"""The app serves its local API from a process of its own (its Python never holds the window's): an order created
through it is written by the same services (audit entry as the token), announced on the app's hub so the Orders view
refreshes, a token revoked in Settings is refused by the other process at once, and the process ends with the app."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from controltower.services.core import Cadence, ControlTower, Options
from controltower.services.jobs import RUNNING, STOPPED
from controltower.services.orders import OrderQuery
from controltower.store import Database

from .conftest import new_order

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from fake_services import free_port  # noqa: E402
from waiting import until  # noqa: E402


def test_the_apps_api_runs_in_its_own_process_and_writes_through_the_same_services(tmp_path, shared_keychain):
    port = free_port()
    db = Database(tmp_path / "store.db")
    db.set_setting("api.enabled", "1")
    db.set_setting("api.port", str(port))
    core = ControlTower(db, options=Options(sync=False, cadence=Cadence(
        notifications=3600, notifications_first_after=3600, exceptions=3600, returns=3600, backup=3600,
        backup_first_after=3600, ratings=3600, ratings_first_after=3600)))
    token = core.integrations.tokens.create("Zapier")
    heard: list[tuple] = []
    core.hub.subscribe("orders.changed", lambda topic, payload: heard.append((topic, payload)))

    async def main() -> tuple[int, int]:
        core.start()
        job = core.jobs["local-api"]
        try:
            await until(lambda: "serving on" in job.status.last_result or job.status.last_error)
            assert job.status.state == RUNNING and job.status.last_error == "", job.status
            assert "in its own process" in job.status.last_result
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10,
                                         headers={"Authorization": f"Bearer {token}"}) as client:
                created = await client.post("/v1/orders", json=new_order("WEB-PROC"))
                assert created.status_code == 201, created.text
                await until(lambda: heard)
                foreign = await client.get("/v1/orders", headers={"Host": f"evil.example:{port}"})
                core.integrations.tokens.revoke("Zapier")
                refused = await client.get("/v1/orders")
            return created.json()["id"], foreign.status_code, refused.status_code
        finally:
            await core.stop()

    order_id, foreign, refused = asyncio.run(main())
    assert [row.order_ref for row in core.orders.page(OrderQuery(search="WEB-PROC"), 0, 10)] == ["WEB-PROC"]
    assert [(line.action, line.actor) for line in core.orders.detail(order_id).history] == [
        ("order.create", "API token Zapier")]
    assert heard and order_id in heard[0][1]["ids"]  # republished on the app's hub: the Orders view refreshes
    assert foreign == 421 and refused == 401  # a rebinding Host refused before any action
    assert core.jobs["local-api"].status.state == STOPPED
    with pytest.raises(httpx.ConnectError):  # the process ended with the app
        httpx.get(f"http://127.0.0.1:{port}/v1/orders", timeout=2)
    core.close()


def test_turning_the_api_on_and_off_in_settings_starts_and_stops_it_at_once(tmp_path, shared_keychain):
    from controltower.services.integrations import ApiSettings
    from controltower.services.jobs import OFF

    port = free_port()
    core = ControlTower(Database(tmp_path / "store.db"), options=Options(sync=False, cadence=Cadence(
        notifications=3600, notifications_first_after=3600, exceptions=3600, returns=3600, backup=3600,
        backup_first_after=3600, ratings=3600, ratings_first_after=3600)))
    token = core.integrations.tokens.create("Sheet")

    def api_job(state: str = "", says: str = "") -> bool:  # replaced at once: for a moment it is not there
        status = core.jobs.status("local-api") if "local-api" in core.jobs else None
        return status is not None and (not state or status.state == state) and says in status.last_result

    async def main() -> tuple[int, str]:
        core.start()
        try:
            assert core.jobs.status("local-api").state == OFF
            core.integrations.save_api_settings(ApiSettings(enabled=True, port=port))
            await until(lambda: api_job(says="serving on"))
            answer = await asyncio.to_thread(httpx.get, f"http://127.0.0.1:{port}/v1/kpis",
                                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
            core.integrations.save_api_settings(ApiSettings(enabled=False, port=port))
            await until(lambda: api_job(OFF))
            return answer.status_code, core.jobs.status("local-api").last_result
        finally:
            await core.stop()

    code, off_says = asyncio.run(main())
    assert code == 200 and "turn it on in Settings" in off_says
    with pytest.raises(httpx.ConnectError):  # stopped with the switch, not at the next start
        httpx.get(f"http://127.0.0.1:{port}/v1/kpis", timeout=2)
    core.close()
