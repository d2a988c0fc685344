"""A core over a fresh store with the local API served on 127.0.0.1 (a free port) and one token, "Zapier"."""
from __future__ import annotations

import httpx
import pytest

from controltower.api.server import LocalApiServer
from controltower.services.core import ControlTower, Options


@pytest.fixture
def core(store):
    tower = ControlTower(store, options=Options(sync=False))
    yield tower


@pytest.fixture
def api(core):
    token = core.api_tokens.create("Zapier")
    server = LocalApiServer(core, port=0, rate_per_second=1000)
    server.start()
    server.wait_ready()
    client = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    yield client
    client.close()
    server.stop()


def new_order(ref: str = "WEB-1001", **extra) -> dict:
    return {"order_ref": ref, "customer_name": "Ada Park", "delivery_option": "same_day",
            "address": {"street": "1200 SE Hawthorne Blvd", "city": "Portland", "postcode": "97214", "region": "OR"},
            "promised_window": {"start": "2030-03-02T17:00:00+00:00", "end": "2030-03-02T19:00:00+00:00"}, **extra}
