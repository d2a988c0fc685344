"""The background sync engine: sends the outbox in order, retries politely, reconciles, polls tracking.

Runs on the app's asyncio loop (qasync in the app); database work runs on one worker thread so the
loop never waits on SQLite. It announces its state on the EventHub as `sync.state` and changed
shipments as `shipments.changed`.
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, Callable, Mapping

from ..carriers.base import (
    Booking, CarrierAdapter, CarrierDown, CarrierError, MalformedResponse, RateLimited, UnknownOutcome,
)
from ..domain import ShipmentStatus
from ..domain.status import can_transition
from ..domain.timeutil import utcnow
from ..kernel.events import EventHub
from ..store import Database, audit
from ..store.shipments import get_shipment, set_status, update_booking
from . import outbox
from .codec import request_from_json
from .gate import CarrierGate, CarrierGates
from .policy import SyncPolicy
from .state import RecentErrors, SyncState
from .tracking import TrackingPoller, carrier_eta

log = logging.getLogger(__name__)


class SyncEngine:
    """`SyncEngine(db, adapters, hub).start()` on a running loop; `await engine.stop()` when closing.

    `adapters` maps a carrier code (as in shipments.carrier, e.g. "sandbox:zippy") to its adapter.
    """

    def __init__(self, db: Database, adapters: Mapping[str, CarrierAdapter], hub: EventHub | None = None,
                 policy: SyncPolicy | None = None, *, seed: int | None = None) -> None:
        self.db = db
        self.adapters = dict(adapters)
        self.hub = hub or EventHub()
        self.policy = policy or SyncPolicy()
        self.state = SyncState()
        self.tracking = TrackingPoller(self)
        self._rng = random.Random(seed)
        # One gate per carrier over the rate budget this process shares with the app's quote path.
        self._gates = CarrierGates.beside(db.path, limit_for=self.policy.limit_for, per_second_for=self.policy.rate_for)
        self._errors = RecentErrors()
        self._sending: set[int] = set()
        self._tasks: list[asyncio.Task] = []
        self._send_tasks: set[asyncio.Task] = set()
        self._wake = asyncio.Event()
        self._unreachable_streak = 0
        self._executor: ThreadPoolExecutor | None = None
        self._publish_pending = False
        self._unsubscribe: Callable[[], None] = lambda: None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Begin: reconcile what a crash left in flight, then send and poll in the background."""
        loop = asyncio.get_event_loop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-db")
        self._wake = asyncio.Event()
        self._tasks = [loop.create_task(self._run_writes(), name="sync-writes")]
        # Whoever queues or withdraws a write says so on the hub (from any thread): look again now.
        self._unsubscribe = self.hub.subscribe("outbox.changed", lambda *_: loop.call_soon_threadsafe(self._outbox_changed))
        if self.policy.track:
            self._tasks += self.tracking.start(loop)

    async def stop(self) -> None:
        self._unsubscribe()
        tasks = self._tasks + list(self._send_tasks)  # a send cut short stays in flight: reconciled at next start
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks = []
        await self.tracking.stop()
        await self._publish()  # the last word: what is still queued as we stop
        if self._executor is not None:
            self._executor.shutdown(wait=True)  # the last database write finishes; nothing is half-done
            self._executor = None
        self._gates.close()

    def _outbox_changed(self) -> None:
        self.wake()
        self._schedule_publish()

    def wake(self) -> None:
        """Look at the outbox now (call after enqueueing a write)."""
        self._wake.set()

    async def retry_now(self) -> None:
        """Send everything waiting now instead of at its backoff time (network back, or the user asked)."""
        await self.run_db(outbox.all_due_now)
        self.wake()

    @property
    def can_write(self) -> bool:
        """The engine's database thread is up (between start() and the end of stop())."""
        return self._executor is not None

    async def run_db(self, work: Callable[..., Any], *args: Any) -> Any:
        """Run `work(conn, *args)` on the engine's database thread, inside one transaction."""
        def in_transaction():
            with self.db.transaction() as conn:
                return work(conn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, in_transaction)

    async def read_db(self, work: Callable[..., Any], *args: Any) -> Any:
        """Run `work(conn, *args)` on the database thread with its own read connection."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, lambda: work(self.db.reader(), *args))

    def gate(self, carrier: str) -> CarrierGate:
        adapter = self.adapters.get(carrier)
        return self._gates.gate(carrier, adapter.rate_limit if adapter is not None else None)

    async def run_until_idle(self, timeout: float = 30.0) -> None:
        """Wait until no write is waiting or being sent (tests and the soak benchmark)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            counts = await self.read_db(outbox.counts)
            if not any(counts.get(s, 0) for s in outbox.OPEN_STATES) and not self._sending:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"outbox still busy after {timeout:g} s: {counts}")
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------ writes
    async def _run_writes(self) -> None:
        recovered = await self.run_db(outbox.recover_after_crash)
        if recovered:
            log.warning("%d carrier writes were in flight when the app stopped; reconciling them first", recovered)
        self._schedule_publish()
        while True:
            try:
                if self.state.online:
                    due = await self.read_db(outbox.due, utcnow(), 500)
                else:  # offline: only the oldest write probes, so the rest keep their order for when we are back
                    oldest = await self.read_db(outbox.oldest_waiting)
                    due = [oldest] if oldest and not self._sending and oldest.next_attempt_at <= utcnow() else []
                for entry in due:
                    if entry.id in self._sending:
                        continue
                    if entry.carrier not in self.adapters:
                        self._errors.add(f"{entry.carrier}: no account set up; its writes wait")
                        continue
                    self._sending.add(entry.id)
                    task = asyncio.get_running_loop().create_task(self._send(entry))
                    self._send_tasks.add(task)
                    task.add_done_callback(self._send_tasks.discard)
            except Exception:  # a broken database read must not end syncing for the session
                log.exception("reading the outbox failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.policy.tick_s)
            except asyncio.TimeoutError:
                pass

    async def _send(self, entry: outbox.OutboxEntry) -> None:
        try:
            async with self.gate(entry.carrier):
                if not await self.run_db(outbox.mark_in_flight, entry.id):
                    return  # the user withdrew it while it waited for its turn
                try:
                    await self._perform(entry)
                except CarrierError as error:
                    await self._after_error(entry, error)
        except asyncio.CancelledError:
            raise  # stopping: an entry left in flight is reconciled at the next start
        except Exception as error:  # a bug here must never lead to a second booking: treat as unknown
            log.exception("sending outbox entry %s failed unexpectedly", entry.id)
            self._errors.add(f"{entry.carrier}: unexpected error: {error}")
            await self._retry(entry, f"unexpected error: {error}", outcome_unknown=True)
        finally:
            self._sending.discard(entry.id)
            self._schedule_publish()
            self.wake()  # a later write for the same shipment may now go

    async def _perform(self, entry: outbox.OutboxEntry) -> None:
        adapter = self.adapters[entry.carrier]
        if entry.operation == "cancel":
            return await self._perform_cancel(entry, adapter)
        request = request_from_json(entry.payload["request"])
        booking = None
        # A carrier keeps idempotency keys only for a while (Uber Direct: 60 min): an older uncertain
        # booking is looked up by our reference first, or a replay could book it a second time.
        key_expired = (utcnow() - entry.created_at).total_seconds() > self.policy.idempotency_window_s
        if entry.outcome_unknown and (not adapter.idempotent_booking or key_expired):
            booking = await adapter.find_booking_by_reference(request.our_reference)
        if booking is None:
            send = adapter.book if entry.operation == "book" else adapter.create_return
            booking = await send(request, entry.idempotency_key)
        self._reached(True)
        await self.run_db(_record_booking, entry, booking)
        self.tracking.watch(entry.shipment_id, entry.carrier, booking.external_id, ShipmentStatus.BOOKED)
        self.hub.publish("shipments.changed", ids=[entry.shipment_id])

    async def _perform_cancel(self, entry: outbox.OutboxEntry, adapter: CarrierAdapter) -> None:
        shipment = await self.read_db(get_shipment, entry.shipment_id)
        if shipment is None or not shipment.external_id:
            await self.run_db(_record_cancel, entry, None)  # nothing was ever booked
        else:
            if entry.refund_pending:  # asked before; the carrier had only queued the refund
                result = await adapter.refund_status(shipment.external_id)
            else:
                result = await adapter.cancel(shipment.external_id)
            self._reached(True)
            if result.cancelled and not result.final:
                # Submitted is not refunded: the label stays live (and tracked) until the carrier decides.
                check_at = utcnow() + timedelta(seconds=self.policy.refund_check_s)
                return await self.run_db(outbox.await_refund, entry.id, result.raw_status, check_at)
            await self.run_db(_record_cancel, entry, result)
            self.tracking.forget(entry.shipment_id)
        self.hub.publish("shipments.changed", ids=[entry.shipment_id])

    async def _after_error(self, entry: outbox.OutboxEntry, error: CarrierError) -> None:
        self.note_error(error)
        log.warning("%s %s of shipment %s: %s", entry.carrier, entry.operation, entry.shipment_id, error.message)
        if isinstance(error, RateLimited):
            pause = error.retry_after if error.retry_after is not None else self.policy.backoff.delay(1, rng=self._rng)
            self.gate(entry.carrier).pause(pause)
            return await self._retry(entry, str(error), retry_after=pause)
        if isinstance(error, MalformedResponse) and entry.attempts + 1 >= self.policy.max_malformed:
            return await self._fail(entry, str(error))
        if isinstance(error, UnknownOutcome):
            return await self._retry(entry, str(error), outcome_unknown=True)
        if error.retryable:
            return await self._retry(entry, str(error))
        said = error.message + (f" ({error.carrier_message})" if error.carrier_message
                                and error.carrier_message not in error.message else "")
        await self._fail(entry, said + (f". {error.advice}" if error.advice else ""))  # what to do, with it

    async def _retry(self, entry: outbox.OutboxEntry, message: str, *, outcome_unknown: bool = False,
                     retry_after: float | None = None) -> None:
        delay = self.policy.backoff.delay(entry.attempts + 1, retry_after, self._rng)
        if not self.state.online:
            delay = min(delay, self.policy.offline_probe_s)  # notice soon when the network is back
        await self.run_db(_retry_later, entry.id, message, utcnow() + timedelta(seconds=delay), outcome_unknown)

    async def _fail(self, entry: outbox.OutboxEntry, message: str) -> None:
        await self.run_db(_record_failure, entry, message)
        self.hub.publish("shipments.changed", ids=[entry.shipment_id])

    # ------------------------------------------------------------------ online state and publishing
    def note_error(self, error: CarrierError) -> None:
        self._errors.add(f"{error.carrier}: {error.message}")
        unreachable = isinstance(error, CarrierDown) and error.http_status is None
        self._reached(not unreachable)

    def _reached(self, ok: bool) -> None:
        """Every carrier call ends here: an answer of any kind means we are online."""
        was_online = self.state.online
        if ok:
            self._unreachable_streak = 0
            self.state = replace(self.state, online=True, last_sync=utcnow())
            if not was_online:  # the network is back: send what waited, in order, now
                asyncio.get_running_loop().create_task(self.retry_now())
        else:
            self._unreachable_streak += 1
            if self._unreachable_streak >= self.policy.offline_after:
                self.state = replace(self.state, online=False)
        if self.state.online != was_online:
            self._schedule_publish()

    def _schedule_publish(self) -> None:
        """Publish sync.state soon, at most a few times a second however busy the engine is."""
        if self._publish_pending:
            return
        self._publish_pending = True
        asyncio.get_running_loop().call_later(0.2, lambda: asyncio.ensure_future(self._publish()))

    async def _publish(self) -> None:
        self._publish_pending = False
        if self._executor is None:  # stopped meanwhile
            return
        try:
            counts = await self.read_db(outbox.counts)
        except Exception:
            log.exception("counting the outbox failed")
            return
        self.state = replace(
            self.state, queue=sum(counts.get(s, 0) for s in outbox.OPEN_STATES), unknown=counts.get("unknown", 0),
            failed=counts.get("failed", 0), tracked=self.tracking.count, errors=self._errors.current())
        self.hub.publish("sync.state", **self.state.as_payload())


# ---------------------------------------------------------------------- database steps (worker thread)
def _retry_later(conn, entry_id: int, message: str, at, outcome_unknown: bool) -> None:
    outbox.retry_later(conn, entry_id, message, at, outcome_unknown=outcome_unknown)


def booking_eta(conn, booking: Booking):
    """The booking's ETA; a date-only estimate is by the end of that day in the shop's zone."""
    return carrier_eta(conn, booking.estimated_delivery, booking.delivery_day)


def _record_booking(conn, entry: outbox.OutboxEntry, booking: Booking) -> None:
    update_booking(conn, entry.shipment_id, tracking_number=booking.tracking_number, external_id=booking.external_id,
                   cost=booking.cost, eta=booking_eta(conn, booking), service=booking.service)
    shipment = get_shipment(conn, entry.shipment_id)
    if shipment is not None and shipment.status != ShipmentStatus.BOOKED and can_transition(shipment.status, ShipmentStatus.BOOKED):
        set_status(conn, entry.shipment_id, ShipmentStatus.BOOKED, actor="sync", reason=f"booked with {entry.carrier}")
    outbox.mark_done(conn, entry.id, {"external_id": booking.external_id, "tracking_number": booking.tracking_number,
                                      "cost_minor": booking.cost.amount_minor if booking.cost else None})


def _record_cancel(conn, entry: outbox.OutboxEntry, result) -> None:
    if result is not None and not result.cancelled:
        return _record_failure(conn, entry, result.message or f"the carrier refused to cancel ({result.raw_status})")
    shipment = get_shipment(conn, entry.shipment_id)
    if shipment is not None and can_transition(shipment.status, ShipmentStatus.CANCELLED):
        set_status(conn, entry.shipment_id, ShipmentStatus.CANCELLED, actor="sync", reason="cancelled with the carrier")
    outbox.mark_done(conn, entry.id, {"cancelled": True, "raw_status": getattr(result, "raw_status", "")})


def _record_failure(conn, entry: outbox.OutboxEntry, message: str) -> None:
    """A refused write is never silent: the outbox shows it and the shipment becomes an exception."""
    outbox.mark_failed(conn, entry.id, message)
    shipment = get_shipment(conn, entry.shipment_id) if entry.shipment_id else None
    if entry.operation != "cancel" and shipment is not None and can_transition(shipment.status, ShipmentStatus.EXCEPTION):
        set_status(conn, entry.shipment_id, ShipmentStatus.EXCEPTION, actor="sync", reason=message)
    audit.record(conn, f"outbox.{entry.operation}.failed", "shipment", entry.shipment_id or "",
                 after={"outbox_id": entry.id, "error": message}, actor="sync")
