"""Tracking polls of open shipments: a cadence per status, per-carrier workers, results written in batches."""
from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..carriers.base import CarrierError, RateLimited
from ..domain import ShipmentStatus, TrackingEvent
from ..domain.status import FINAL_STATUSES
from ..domain.timeutil import end_of_day
from ..store.shipments import ingest_events, update_booking
from ..store.shop_clock import shop_zone

if TYPE_CHECKING:
    from .engine import SyncEngine

log = logging.getLogger(__name__)


@dataclass
class Watched:
    shipment_id: int
    carrier: str
    tracking_ref: str
    status: ShipmentStatus
    next_poll: float = 0.0          # loop time
    polled_at: float = -math.inf
    failures: int = 0


class TrackingPoller:
    def __init__(self, engine: "SyncEngine") -> None:
        self.engine = engine
        self._watched: dict[int, Watched] = {}
        self._queues: dict[str, asyncio.Queue] = {}
        self._queued: set[int] = set()
        self._buffer: list[tuple[int, list[TrackingEvent]]] = []
        self._flush_now = asyncio.Event()
        self._flushing = 0
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def count(self) -> int:
        return len(self._watched)

    def start(self, loop: asyncio.AbstractEventLoop) -> list[asyncio.Task]:
        self._loop = loop
        self._flush_now = asyncio.Event()
        self._tasks = [loop.create_task(self._schedule(), name="sync-tracking"),
                       loop.create_task(self._flush_loop(), name="sync-ingest")]
        return list(self._tasks)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks, self._queues = [], {}
        self._queued.clear()
        if self._buffer and self.engine.can_write:
            await self._flush()  # results already fetched are kept

    def watch(self, shipment_id: int, carrier: str, tracking_ref: str, status: ShipmentStatus) -> None:
        if not tracking_ref or ShipmentStatus(status) in FINAL_STATUSES:
            return
        now = self._now()
        watched = Watched(shipment_id, carrier, tracking_ref, ShipmentStatus(status))
        watched.next_poll = now + self._interval(watched.status)
        self._watched[shipment_id] = watched

    def forget(self, shipment_id: int) -> None:
        self._watched.pop(shipment_id, None)

    async def refresh_all(self) -> int:
        """Poll every open shipment once now and wait until the results are stored; returns how many."""
        await self._load()
        started = self._now()
        for watched in self._watched.values():
            watched.next_poll = min(watched.next_poll, started)
        targets = [w for w in self._watched.values() if w.carrier in self.engine.adapters]
        while any(w.polled_at < started and w.shipment_id in self._watched for w in targets) \
                or self._buffer or self._flushing:
            await asyncio.sleep(0.05)
        return len(targets)

    # ------------------------------------------------------------------ scheduling
    async def _schedule(self) -> None:
        policy = self.engine.policy
        next_sweep = 0.0
        while True:
            try:
                if self._now() >= next_sweep:
                    await self._load()
                    next_sweep = self._now() + policy.sweep_s
                await self._enqueue_due()
            except Exception:
                log.exception("tracking schedule failed; trying again")
            await asyncio.sleep(policy.tick_s)

    async def _enqueue_due(self) -> None:
        now = self._now()
        added = 0
        for watched in list(self._watched.values()):
            if watched.next_poll > now or watched.shipment_id in self._queued:
                continue
            if watched.carrier not in self.engine.adapters:
                continue
            self._queued.add(watched.shipment_id)
            self._queue(watched.carrier).put_nowait(watched)
            added += 1
            if added % 500 == 0:
                await asyncio.sleep(0)  # thousands due at once must not hold the loop

    def _queue(self, carrier: str) -> asyncio.Queue:
        if carrier not in self._queues:
            self._queues[carrier] = asyncio.Queue()
            for index in range(self.engine.gate(carrier).limit):
                self._tasks.append(self._loop.create_task(self._worker(carrier), name=f"sync-track-{carrier}-{index}"))
        return self._queues[carrier]

    async def _load(self) -> None:
        rows = await self.engine.read_db(_open_shipments)
        now = self._now()
        seen = set()
        for count, (shipment_id, carrier, ref, status) in enumerate(rows, 1):
            if count % 1000 == 0:
                await asyncio.sleep(0)  # ten thousand open shipments must not hold the loop
            seen.add(shipment_id)
            watched = self._watched.get(shipment_id)
            if watched is None:
                self._watched[shipment_id] = Watched(shipment_id, carrier, ref, ShipmentStatus(status), next_poll=now)
            else:
                watched.tracking_ref, watched.status = ref, ShipmentStatus(status)
        for shipment_id in [s for s in self._watched if s not in seen]:
            del self._watched[shipment_id]

    # ------------------------------------------------------------------ polling
    async def _worker(self, carrier: str) -> None:
        queue = self._queues[carrier]
        while True:
            watched = await queue.get()
            try:
                await self._poll(watched)
            except Exception:
                log.exception("tracking poll of shipment %s failed", watched.shipment_id)
                watched.next_poll = self._now() + 60
            finally:
                self._queued.discard(watched.shipment_id)

    async def _poll(self, watched: Watched) -> None:
        engine = self.engine
        adapter = engine.adapters[watched.carrier]
        async with engine.gate(watched.carrier) as gate:
            try:
                events = await adapter.track(watched.tracking_ref)
            except RateLimited as error:
                engine.note_error(error)
                pause = error.retry_after or engine.policy.backoff.delay(1)
                gate.pause(pause)
                watched.next_poll = self._now() + pause
                return
            except CarrierError as error:
                engine.note_error(error)
                watched.failures += 1
                watched.next_poll = self._now() + engine.policy.backoff.delay(watched.failures)
                return
        engine._reached(True)
        watched.failures = 0
        watched.polled_at = self._now()
        watched.next_poll = watched.polled_at + self._interval(watched.status)
        if events:
            self._buffer.append((watched.shipment_id, events))
            if len(self._buffer) >= engine.policy.ingest_batch:
                self._flush_now.set()

    async def _flush_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._flush_now.wait(), self.engine.policy.flush_s)
            except asyncio.TimeoutError:
                pass
            self._flush_now.clear()
            try:
                await self._flush()
            except Exception:
                log.exception("storing tracking events failed")

    async def _flush(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        self._flushing += 1
        try:
            statuses = await self.engine.run_db(_ingest_batch, batch)
        finally:
            self._flushing -= 1
        for shipment_id, status in statuses.items():
            watched = self._watched.get(shipment_id)
            if watched is None:
                continue
            if status in FINAL_STATUSES:
                del self._watched[shipment_id]
            elif status != watched.status:
                watched.status = status
                watched.next_poll = watched.polled_at + self._interval(status)
        if statuses:
            self.engine.hub.publish("shipments.changed", ids=sorted(statuses))

    def _interval(self, status: ShipmentStatus) -> float:
        seconds = self.engine.policy.poll_interval(status)
        return math.inf if seconds is None else seconds

    def _now(self) -> float:
        return (self._loop or asyncio.get_running_loop()).time()


# ---------------------------------------------------------------------- database steps (worker thread)
def _open_shipments(conn) -> list[tuple]:
    finals = tuple(s.value for s in FINAL_STATUSES)
    return [tuple(row) for row in conn.execute(
        f"SELECT id, carrier, external_id, status FROM shipments WHERE external_id != '' "
        f"AND status NOT IN ({','.join('?' * len(finals))})", finals)]


def carrier_eta(conn, moment, day):
    """A carrier's estimate as a moment: its time, else the end of its day in the shop's zone, else None."""
    if moment is None and day is not None:
        return end_of_day(day, shop_zone(conn))
    return moment


def _take_eta(conn, shipment_id: int, events: list[TrackingEvent]) -> None:
    """The carrier's newest delivery estimate (Shippo's track `eta`) becomes the shipment's ETA."""
    estimated = [e for e in events if e.eta is not None or e.eta_day is not None]
    if estimated:
        newest = max(estimated, key=lambda e: e.event_time)
        update_booking(conn, shipment_id, eta=carrier_eta(conn, newest.eta, newest.eta_day))


def _ingest_batch(conn, batch: list[tuple[int, list[TrackingEvent]]]) -> dict[int, ShipmentStatus]:
    """Store a batch of polls in one transaction; the new status of each shipment whose history grew."""
    changed = []
    for shipment_id, events in batch:
        if ingest_events(conn, shipment_id, events).stored:
            changed.append(shipment_id)
        _take_eta(conn, shipment_id, events)
    if not changed:
        return {}
    marks = ",".join("?" * len(changed))
    return {row[0]: ShipmentStatus(row[1]) for row in
            conn.execute(f"SELECT id, status FROM shipments WHERE id IN ({marks})", changed)}
