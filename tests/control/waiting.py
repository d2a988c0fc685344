"""Waiting in an asyncio test for what the app's background work does."""
from __future__ import annotations

import asyncio


async def until(condition, timeout: float = 30.0) -> None:
    """Return once `condition()` is true; fail the test after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)
