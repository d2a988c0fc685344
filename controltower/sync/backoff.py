"""How long to wait before trying a carrier call again: exponential with jitter, never less than Retry-After."""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base_s: float = 1.0
    cap_s: float = 300.0
    jitter: float = 0.5  # share of the delay that is random, so many clients don't retry in step

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds before attempt number `attempt + 1` (attempt counts from 1)."""
        exponential = min(self.cap_s, self.base_s * 2 ** max(attempt - 1, 0))
        wait = exponential * (1 - self.jitter * (rng or random).random())
        return max(wait, retry_after or 0.0)
