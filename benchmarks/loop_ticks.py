"""What the UI thread's event loop went through while a benchmark ran: a 10 ms timer's ticks, and the gaps between them."""
from __future__ import annotations

import time

PERIOD_MS = 10


class LoopTicks:
    """Start with `start()` (an application must exist); `on_tick` runs on each tick. A stall is a gap beyond the
    timer's own period."""

    def __init__(self, on_tick=None) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []  # seconds between ticks
        self.on_tick = on_tick
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setInterval(PERIOD_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now
        if self.on_tick is not None:
            self.on_tick(now)

    def stalls_ms(self) -> list[float]:
        return [max(0.0, gap * 1000 - PERIOD_MS) for gap in self.gaps]

    def max_stall_ms(self) -> float:
        return round(max(self.stalls_ms(), default=0.0), 1)
