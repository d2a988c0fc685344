"""The sandbox's own clock: real time, optionally sped up, and movable by hand in tests."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from ...domain.timeutil import utcnow


class SimClock:
    """Simulated UTC time that runs `speed` times faster than the wall clock."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._anchor_sim = start or utcnow()
        self._anchor_real = time.monotonic()
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        with self._lock:
            elapsed = time.monotonic() - self._anchor_real
            return self._anchor_sim + timedelta(seconds=elapsed * self._speed)

    def set_speed(self, speed: float) -> None:
        """Change the pace from now on; time already passed is kept."""
        current = self.now()
        with self._lock:
            self._anchor_sim, self._anchor_real, self._speed = current, time.monotonic(), float(speed)

    def advance(self, delta: timedelta) -> None:
        """Jump forward (tests and demos: 'twenty minutes later')."""
        with self._lock:
            self._anchor_sim += delta
