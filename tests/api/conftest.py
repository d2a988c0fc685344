"""A core over a fresh store with the local API served on 127.0.0.1 (a free port) and one token, "Zapier"."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import keyring
import pytest

from controltower.api.server import LocalApiServer
from controltower.services.core import ControlTower, Options


@pytest.fixture
def core(store):
    tower = ControlTower(store, options=Options(sync=False))
    yield tower


@pytest.fixture
def shared_keychain(tmp_path, monkeypatch):
    """One keychain the test and the app's API process both see (the real app has the computer's keychain)."""
    control_tests = Path(__file__).resolve().parents[1] / "control"
    sys.path.insert(0, str(control_tests))
    from file_keyring import FileKeyring

    monkeypatch.setenv("CT_TEST_KEYRING_FILE", str(tmp_path / "keychain.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "file_keyring.FileKeyring")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(control_tests), str(Path(__file__).resolve().parents[2])]))
    before = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield
    keyring.set_keyring(before)


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
