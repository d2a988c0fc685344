"""The app's background work: each job started and stopped with the app, its state, last run and last error kept.

Two kinds of job run on the app's asyncio loop (qasync in the window, asyncio.run in a script):
- a `PeriodicJob` calls its work every `every` seconds (blocking work in a worker thread, so the loop never waits),
  and once more whenever someone asks (`run_now`);
- a `ServiceJob` wraps something that runs by itself once started (the sync engine process) and reports its own state.
Every change of state is published on the event hub as `jobs.changed`, which the "Background work" view follows.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Awaitable, Callable

from ..domain.timeutil import utcnow
from ..kernel.events import EventHub

log = logging.getLogger(__name__)

WAITING, RUNNING, FAILED, STOPPED, OFF = "waiting", "running", "failed", "stopped", "off"


@dataclass(frozen=True)
class JobStatus:
    """What the Background work view shows for one job."""

    name: str
    title: str
    state: str = STOPPED  # waiting (between runs), running, failed (last run failed; it tries again), stopped, off
    last_run: datetime | None = None  # when the last run finished
    last_result: str = ""  # what the last run did, in words
    last_error: str = ""
    next_run: datetime | None = None
    runs: int = 0
    every_s: float | None = None


class _Job:
    """What both kinds share: a name, a title, a status kept up to date and announced."""

    def __init__(self, name: str, title: str) -> None:
        self.name, self.title = name, title
        self.status = JobStatus(name, title)
        self._on_change: Callable[[JobStatus], None] = lambda _status: None

    def _set(self, **changes: Any) -> None:
        self.status = replace(self.status, **changes)
        self._on_change(self.status)


class PeriodicJob(_Job):
    """`work()` every `every` seconds: a plain function runs in a worker thread, a coroutine function on the loop.

    Its return value, when a string (or an object whose str() says what it did), becomes `last_result`.
    An exception is kept as `last_error` and the job tries again at its next turn: one bad run never ends it.
    """

    def __init__(self, name: str, title: str, work: Callable[[], Any], every: float, *, first_after: float = 0.0,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(name, title)
        self.work, self.every, self.first_after, self.clock = work, float(every), float(first_after), clock
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self.status = replace(self.status, every_s=self.every)

    def start(self) -> None:
        loop = event_loop()
        self._stopping = False
        self._wake = asyncio.Event()
        self._task = loop.create_task(self._loop(), name=f"job-{self.name}")
        self._set(state=WAITING)

    def run_now(self) -> None:
        """Run at once (from the loop's thread), then keep the usual rhythm."""
        if self._wake is not None:
            self._wake.set()

    def run_soon(self) -> None:
        """Run at once, from any thread (hub handlers run on the publisher's): the wake-up is the loop's."""
        wake, task = self._wake, self._task
        if wake is not None and task is not None:
            try:
                task.get_loop().call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop has closed: the app is going away
                pass

    async def run_once(self) -> JobStatus:
        """One run now, on the calling loop; the status says how it went."""
        self._set(state=RUNNING)
        try:
            if inspect.iscoroutinefunction(self.work):
                result = await self.work()
            else:
                result = await asyncio.to_thread(self.work)
                if inspect.isawaitable(result):
                    result = await result
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # kept and shown; the job runs again next turn
            log.exception("background job %s failed", self.name)
            self._set(state=FAILED, last_run=self.clock(), last_error=f"{type(exc).__name__}: {exc}",
                      runs=self.status.runs + 1)
            return self.status
        self._set(state=WAITING, last_run=self.clock(), last_error="", last_result=_describe(result),
                  runs=self.status.runs + 1)
        return self.status

    async def _loop(self) -> None:
        delay = self.first_after
        while not self._stopping:
            if delay > 0:
                self._set(next_run=_after(self.clock(), delay))
                try:
                    await asyncio.wait_for(self._wake.wait(), delay)
                except asyncio.TimeoutError:
                    pass
                if self._stopping:
                    break
            self._wake.clear()
            status = await self.run_once()
            if status.state == FAILED:
                self._set(state=FAILED)  # stays visible as failed until a run succeeds
            delay = self.every

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Stop after the run in progress, if any: a run in a worker thread can't be cancelled, and the app closes
        the store right after (a run still writing then would use a closed connection)."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
            except asyncio.TimeoutError:  # a run that hangs: give up on it (its thread is abandoned)
                log.error("background job %s did not finish its run within %.0f s", self.name, timeout_s)
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            except Exception:  # the loop's own failure was logged where it happened
                pass
            self._task = None
        self._set(state=STOPPED, next_run=None)


class ServiceJob(_Job):
    """Something that runs by itself once started: `start()` (sync or async) and `async stop()`."""

    def __init__(self, name: str, title: str, start: Callable[[], Any], stop: Callable[[], Awaitable[Any]], *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(name, title)
        self._start, self._stop, self.clock = start, stop, clock
        self._running = False

    def start(self) -> None:
        try:
            started = self._start()
            if inspect.isawaitable(started):
                event_loop().create_task(started)
        except Exception as exc:  # a job that cannot start is shown as failed; the app still opens
            log.exception("background job %s could not start", self.name)
            self._set(state=FAILED, last_error=f"could not start: {exc}", last_run=self.clock())
            return
        self._running = True
        self._set(state=RUNNING, last_run=self.clock(), last_error="")

    def report(self, *, result: str = "", error: str = "") -> None:
        """The service says how it is doing (e.g. the sync engine's state events)."""
        self._set(state=FAILED if error else (RUNNING if self._running else self.status.state), last_run=self.clock(),
                  last_result=result or self.status.last_result, last_error=error,
                  runs=self.status.runs + 1)

    async def stop(self) -> None:
        if self._running:
            self._running = False
            try:
                await self._stop()
            except Exception:  # stopping must never keep the app from closing
                log.exception("background job %s did not stop cleanly", self.name)
        self._set(state=STOPPED)


class JobRunner:
    """Holds the app's jobs; `start()` on the running loop, `await stop()` when the app closes."""

    def __init__(self, hub: EventHub | None = None) -> None:
        self.hub = hub
        self._jobs: dict[str, _Job] = {}
        self.started = False

    def add(self, job: _Job) -> _Job:
        if job.name in self._jobs:
            raise ValueError(f"a job named {job.name!r} is already there")
        self._jobs[job.name] = job
        job._on_change = self._announce
        if not self.started:
            return job
        job.start()
        return job

    async def remove(self, name: str) -> None:
        """Stop a job and forget it (a shop disconnected, or connected again with other settings)."""
        job = self._jobs.pop(name, None)
        if job is not None and job.status.state != OFF and hasattr(job, "stop"):
            await job.stop()
        if self.hub is not None:
            self.hub.publish("jobs.changed", name=name)

    def add_off(self, name: str, title: str, why: str) -> None:
        """A job the app would run but cannot here (offline, nothing set up): listed, with the reason."""
        job = _Job(name, title)
        job.status = JobStatus(name, title, state=OFF, last_result=why)
        self._jobs[name] = job

    def __getitem__(self, name: str) -> _Job:
        return self._jobs[name]

    def __contains__(self, name: str) -> bool:
        return name in self._jobs

    def names(self) -> list[str]:
        return list(self._jobs)

    def statuses(self) -> list[JobStatus]:
        return [job.status for job in self._jobs.values()]

    def status(self, name: str) -> JobStatus:
        return self._jobs[name].status

    def start(self) -> None:
        self.started = True
        for job in self._jobs.values():
            if job.status.state != OFF:
                job.start()

    def run_now(self, name: str) -> None:
        job = self._jobs[name]
        if isinstance(job, PeriodicJob):
            job.run_now()

    async def stop(self) -> None:
        """Stop every job, the last started first."""
        for job in reversed(list(self._jobs.values())):
            if job.status.state != OFF and hasattr(job, "stop"):
                await job.stop()
        self.started = False

    def _announce(self, status: JobStatus) -> None:
        if self.hub is not None:
            self.hub.publish("jobs.changed", name=status.name)


def event_loop() -> asyncio.AbstractEventLoop:
    """The running loop, or (at start-up, before qasync runs it) the loop set for this thread."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


def _after(moment: datetime, seconds: float) -> datetime:
    from datetime import timedelta

    return moment + timedelta(seconds=seconds)


def _describe(result: Any) -> str:
    if result is None:
        return "done"
    if isinstance(result, str):
        return result
    summary = getattr(result, "summary", None)
    if callable(summary):
        try:
            return str(summary())
        except Exception:
            pass
    return str(result)
