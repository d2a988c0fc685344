"""A carrier's gate: at most N calls at once, no faster than its pace, and everyone waits out a Retry-After."""
from __future__ import annotations

import asyncio

import pytest

from controltower.sync.gate import CarrierGate
from controltower.sync.policy import SyncPolicy

pytestmark = pytest.mark.anyio


async def test_gate_limits_calls_in_flight_and_paces_starts():
    gate, inside, most, starts = CarrierGate(2, per_second=50), 0, 0, []

    async def call():
        nonlocal inside, most
        async with gate:
            starts.append(asyncio.get_running_loop().time())
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.05)
            inside -= 1

    await asyncio.gather(*(call() for _ in range(6)))
    assert most == 2
    assert all(later - earlier >= 0.019 for earlier, later in zip(starts, starts[1:]))  # 50/s: 20 ms apart


async def test_a_pause_holds_every_caller():
    gate = CarrierGate(4)
    gate.pause(0.1)
    loop = asyncio.get_running_loop()
    asked = loop.time()
    async with gate:
        assert loop.time() - asked >= 0.1


def test_rates_can_be_set_for_a_carrier_family():
    policy = SyncPolicy(rate_per_s={"sandbox": 3.0, "doordash": 4.5})
    assert policy.rate_for("sandbox:zippy") == 3.0 and policy.rate_for("doordash") == 4.5
    assert policy.rate_for("easypost") is None
