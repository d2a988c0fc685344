"""Runs a solve in its own process: cancellable, streaming each better plan, polled without blocking."""
from __future__ import annotations

import atexit
import multiprocessing as mp
import multiprocessing.util  # noqa: F401 - its exit handler is registered first, so it runs after ours below
import os
import queue
import time
import weakref
from dataclasses import dataclass

from .evaluator import Evaluation
from .model import Plan, Problem, SolveOptions

# A solver in a thread stalls the UI through the GIL; a spawned process does not (and starts clean under Qt).
_CONTEXT = mp.get_context("spawn")
_running: "weakref.WeakSet[PlanningSession]" = weakref.WeakSet()


@atexit.register
def _end_running_sessions() -> None:
    """Solves still running when the app exits are ended: they start searches of their own (one per core), so they
    cannot be daemon processes, and Python would otherwise wait for them at exit."""
    for session in list(_running):
        session.cancel(grace=0.2)


@dataclass(frozen=True)
class PlanUpdate:
    plan: Plan
    evaluation: Evaluation  # made in the worker, so the UI thread need not evaluate 400 stops again
    at: float  # seconds since the session started

    @property
    def distance(self) -> int:
        return self.evaluation.distance

    @property
    def unplanned(self) -> int:
        return len(self.evaluation.unplanned)


def _worker(problem: Problem, options: SolveOptions, warm_start: Plan | None, out, cancel) -> None:
    from .solve import solve

    if hasattr(os, "nice"):
        os.nice(5)  # on a busy machine the window's process is served first; the search just gets a little less

    started = time.monotonic()

    def on_plan(plan, evaluation) -> None:
        out.put(("plan", PlanUpdate(plan, evaluation, time.monotonic() - started)))

    try:
        plan, _ = solve(problem, options, warm_start=warm_start, on_plan=on_plan, cancelled=cancel.is_set)
        if plan is not None and not cancel.is_set():
            # Explaining tries every position of every route: done here, never in the window's process.
            from .explain import explain_unplanned

            out.put(("reasons", (plan.routes, {r.stop: r for r in explain_unplanned(problem, plan)})))
        out.put(("done", None if plan is None else "ok"))
    except Exception as exc:  # the UI shows it; the worker must not die silently
        out.put(("error", f"{type(exc).__name__}: {exc}"))


class PlanningSession:
    """One solve of one problem. Call poll() from the UI's timer; it never waits."""

    def __init__(self, problem: Problem, options: SolveOptions = SolveOptions(), warm_start: Plan | None = None) -> None:
        self.problem = problem
        self.options = options
        self.warm_start = warm_start
        self.best: PlanUpdate | None = None
        self.reasons: dict = {}  # stop -> Reason for the best plan's unplanned stops, once worked out
        self.error = ""
        self.finished = False
        self._queue = _CONTEXT.Queue()
        self._cancel = _CONTEXT.Event()
        self._process = None
        self._started = 0.0

    def start(self) -> "PlanningSession":
        self._started = time.monotonic()
        self._process = _CONTEXT.Process(
            target=_worker, args=(self.problem, self.options, self.warm_start, self._queue, self._cancel),
            daemon=False, name="controltower-solver",  # not a daemon: it may start a search per core
        )
        self._process.start()
        _running.add(self)
        return self

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started if self._started else 0.0

    @property
    def progress(self) -> float:
        """0..1 of the time budget (the solver always uses all of it unless cancelled)."""
        if self.finished:
            return 1.0
        return min(0.99, self.elapsed / max(self.options.seconds + 1.0, 0.1))

    def poll(self) -> list[PlanUpdate]:
        """New better plans since the last poll; marks the session finished when the worker is done."""
        updates = []
        while True:
            try:
                kind, payload = self._queue.get_nowait()
            except queue.Empty:
                break
            if kind == "plan":
                self.best = payload
                updates.append(payload)
            elif kind == "reasons":
                routes, reasons = payload
                if self.best is not None and self.best.plan.routes == routes:
                    self.reasons = reasons
            else:
                self.finished = True
                if kind == "error":
                    self.error = payload
        if not self.finished and self._process is not None and not self._process.is_alive() and self._queue.empty():
            self.finished = True
            if self._process.exitcode not in (0, None) and not self.error:
                self.error = f"the solver stopped unexpectedly (exit code {self._process.exitcode})"
        return updates

    def cancel(self, grace: float = 1.0) -> None:
        """Asks the solver to stop and keep its best plan so far; ends it if it does not stop in time."""
        self._cancel.set()
        if self._process is None:
            return
        self._process.join(grace)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1.0)
        self.poll()
        self.finished = True
        _running.discard(self)

    def wait(self, timeout: float | None = None) -> PlanUpdate | None:
        """Blocks until done (scripts and tests only; the UI polls)."""
        end = None if timeout is None else time.monotonic() + timeout
        while not self.finished and (end is None or time.monotonic() < end):
            self.poll()
            time.sleep(0.02)
        if self._process is not None:
            self._process.join(0.5)
            if not self._process.is_alive():
                _running.discard(self)
        return self.best
