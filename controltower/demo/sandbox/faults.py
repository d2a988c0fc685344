"""Faults the sandbox injects into its answers, set at runtime: by rate, or forced for the next few requests."""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

# What each fault does to one request:
#   timeout         hold the request without answering (the client's timeout fires)
#   server_error    503 service_unavailable / 500 internal_server_error
#   rate_limited    429 customer_limited with a Retry-After header
#   malformed       200 with a body that is not JSON
#   lost_response   do the work (a booking is made), then drop the connection without an answer
#   stale           a status poll answers with the delivery as it was minutes ago (out-of-order events)
#   duplicate       a status poll answers twice with the same state (the poll is repeated; harmless by design)
FAULT_KINDS = ("timeout", "server_error", "rate_limited", "malformed", "lost_response", "stale")
WRITE_FAULTS = ("timeout", "server_error", "rate_limited", "malformed", "lost_response")
READ_FAULTS = ("timeout", "server_error", "rate_limited", "malformed", "stale")


@dataclass
class Faults:
    """Runtime fault settings. `rate` is the share of API requests that get one of `kinds` at random."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after_s: float = 1.0
    hang_s: float = 5.0
    stale_minutes: float = 10.0
    latency_ms: tuple[float, float] = (0.0, 0.0)
    seed: int = 11
    _forced: list[tuple[str, str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    injected: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def force(self, kind: str, times: int = 1, path_contains: str = "") -> None:
        """The next `times` requests whose path contains `path_contains` get `kind`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._forced.append((kind, path_contains, times))

    def configure(self, **settings) -> None:
        with self._lock:
            for name, value in settings.items():
                if name.startswith("_") or not hasattr(self, name):
                    raise ValueError(f"unknown fault setting {name!r}")
                setattr(self, name, tuple(value) if name in ("kinds", "latency_ms") else value)

    def pick(self, method: str, path: str) -> str | None:
        """The fault for this request, if any."""
        with self._lock:
            for index, (kind, needle, times) in enumerate(self._forced):
                if needle in path and _applies(kind, method):
                    if times <= 1:
                        del self._forced[index]
                    else:
                        self._forced[index] = (kind, needle, times - 1)
                    return self._count(kind)
            if self.rate <= 0 or self._random.random() >= self.rate:
                return None
            allowed = [k for k in self.kinds if _applies(k, method)]
            return self._count(self._random.choice(allowed)) if allowed else None

    def latency_s(self) -> float:
        low, high = self.latency_ms
        with self._lock:
            return self._random.uniform(low, high) / 1000 if high > 0 else 0.0

    def _count(self, kind: str) -> str:
        self.injected[kind] = self.injected.get(kind, 0) + 1
        return kind


def _applies(kind: str, method: str) -> bool:
    return kind in (WRITE_FAULTS if method == "POST" else READ_FAULTS)
