"""One gate per carrier: a limit on calls in flight, an optional pace (calls per second), and a pause for
everyone when the carrier says slow down."""
from __future__ import annotations

import asyncio


class CarrierGate:
    def __init__(self, limit: int, per_second: float | None = None) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self._paused_until = 0.0
        self._spacing = 1.0 / per_second if per_second else 0.0
        self._next_start = 0.0

    def pause(self, seconds: float) -> None:
        """No call to this carrier starts for `seconds` (a 429 with Retry-After)."""
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - asyncio.get_running_loop().time())

    async def __aenter__(self) -> "CarrierGate":
        await self._slots.acquire()
        try:
            while (wait := self.paused_for) > 0:
                await asyncio.sleep(wait)
            if self._spacing:  # keep under the carrier's documented request rate
                now = asyncio.get_running_loop().time()
                start = max(now, self._next_start)
                self._next_start = start + self._spacing
                if start > now:
                    await asyncio.sleep(start - now)
        except BaseException:
            self._slots.release()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        self._slots.release()
