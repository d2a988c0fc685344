"""The sync engine's knobs: polling cadence per status, concurrency per carrier, retries."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from ..domain import ShipmentStatus as S
from .backoff import Backoff

# Seconds between tracking polls by status: often when the courier is near, rarely in the parcel network.
DEFAULT_CADENCE: Mapping[S, float] = MappingProxyType({
    S.OUT_FOR_DELIVERY: 60,
    S.PICKED_UP: 120,
    S.BOOKED: 300,
    S.FAILED_ATTEMPT: 300,
    S.EXCEPTION: 600,
    S.RETURNING: 900,
    S.IN_TRANSIT: 1800,
})


@dataclass(frozen=True)
class SyncPolicy:
    backoff: Backoff = Backoff()
    default_concurrency: int = 4                                # calls in flight per carrier
    concurrency: Mapping[str, int] = field(default_factory=dict)  # per carrier code, overriding the default
    # Calls per second per carrier code, below its published limit (DoorDash ~300/min, Uber sandbox 200/10 min).
    rate_per_s: Mapping[str, float] = field(default_factory=dict)
    cadence: Mapping[S, float] = DEFAULT_CADENCE
    cadence_scale: float = 1.0       # <1 polls faster (demo with a sped-up sandbox clock)
    tick_s: float = 0.5              # how often due writes and polls are looked for
    ingest_batch: int = 250          # tracking results written per transaction
    flush_s: float = 0.25            # longest wait before tracking results are written
    sweep_s: float = 30.0            # how often the list of open shipments is re-read from the store
    offline_after: int = 3           # consecutive unreachable calls before we say "offline"
    offline_probe_s: float = 15.0    # while offline, the oldest write tries again this often
    idempotency_window_s: float = 45 * 60  # trust a carrier's idempotency key this long (Uber keeps 60 min)
    refund_check_s: float = 3600.0   # how often a submitted label refund is asked after until it settles
    max_malformed: int = 8           # unreadable answers to a write before it is shown as failed
    track: bool = True               # poll tracking at all (tests of writes alone turn it off)

    def limit_for(self, carrier: str) -> int:
        return max(1, int(self.concurrency.get(carrier, self.default_concurrency)))

    def rate_for(self, carrier: str) -> float | None:
        return self.rate_per_s.get(carrier) or self.rate_per_s.get(carrier.split(":", 1)[0])

    def poll_interval(self, status: S) -> float | None:
        seconds = self.cadence.get(S(status))
        return None if seconds is None else seconds * self.cadence_scale
