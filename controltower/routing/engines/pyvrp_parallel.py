"""Several PyVRP searches at once, one per core, with different seeds, that share the best plan found so far.

PyVRP's solver is one iterated local search (late-acceptance hill climbing) on one core. Here the calling
process runs that very search, undisturbed (the first plan comes as fast as with one core, and on a machine with
a core per search the result is never worse than PyVRP's with the same seed), and spawns the others, which follow
the best plan: every few hundredths of a second each child publishes a better plan of its own and takes over a
better one found elsewhere, as its best and as the plan it perturbs next. (Measured with equal iterations per
search: when every search takes over the best, all of them sometimes sink into one poor basin, e.g. R211 2.0 %
against 1.1 % alone; with the first search left alone they never do.) All stop at the deadline; the best plan any
of them found is returned. Children die with their parent (PR_SET_PDEATHSIG) and are ended on cancel.
"""
from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import queue
import signal
import time
from dataclasses import dataclass, field
from typing import Callable

from ..model import Plan, Problem

log = logging.getLogger(__name__)

MAX_DEFAULT_WORKERS = 4
EXCHANGE_INTERVAL_S = 0.05  # how often a search publishes its best and looks at the others'
CHILD_MARGIN_S = 0.1  # children stop this much before the deadline, so their last plans arrive in time
CHILD_NICENESS = 10  # children yield to the parent's search when they share a core with it
END_GRACE_S = 0.01  # how long past the deadline the parent waits for a child's last word before ending it
# Seeds of the other searches: far apart, so no two searches share a random stream.
SEED_STRIDE = 7919
_CONTEXT = mp.get_context("spawn")  # never fork a process that may run Qt

Routes = tuple[tuple[int, tuple[int, ...]], ...]  # (PyVRP vehicle type, client visits) per route


def default_workers() -> int:
    """Searches to run: one per core this process may use, at most MAX_DEFAULT_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


class Search:
    """PyVRP's iterated local search (pyvrp.IteratedLocalSearch.run), one iteration per step(), plus adopt()."""

    NUM_ITERS_NO_IMPROVEMENT = 150_000  # PyVRP's defaults
    HISTORY_LENGTH = 300

    def __init__(self, data, seed: int, initial=None, penalty=None) -> None:
        from pyvrp import PenaltyManager, PenaltyParams, RandomNumberGenerator, Solution
        from pyvrp.RingBuffer import RingBuffer
        from pyvrp.search import OPERATORS, LocalSearch, NeighbourhoodParams, PerturbationManager, PerturbationParams
        from pyvrp.search import compute_neighbours

        penalty = penalty or PenaltyParams()
        rng = RandomNumberGenerator(seed=seed)
        self.local_search = LocalSearch(data, rng, compute_neighbours(data, NeighbourhoodParams()),
                                        PerturbationManager(PerturbationParams()))
        for operator in OPERATORS:
            if operator.supports(data):
                self.local_search.add_operator(operator(data))
        self.penalties = PenaltyManager(penalty.midpoint_penalties(data), penalty)
        if initial is None:
            initial = self.local_search(Solution.make_random(data, rng), self.penalties.max_cost_evaluator(),
                                        exhaustive=True)
        self.initial = self.current = self.best = initial
        self.history = RingBuffer(self.HISTORY_LENGTH)
        self.iters_no_improvement = 0
        self.iterations = 0
        self.adopted = 0

    def cost(self, solution) -> float:
        """The objective (distance, prizes missed) of a feasible solution; infinite for an infeasible one."""
        return self.penalties.cost_evaluator().cost(solution)

    def step(self) -> bool:
        """One perturb-and-improve iteration; True when it found a new best."""
        if self.iters_no_improvement == self.NUM_ITERS_NO_IMPROVEMENT:
            self.history.clear()
            self.current, self.iters_no_improvement = self.best, 0
        self.iterations += 1
        evaluator = self.penalties.cost_evaluator()
        candidate = self.local_search(self.current, evaluator, exhaustive=False)
        self.penalties.register(candidate)
        self.iters_no_improvement += 1
        improved = evaluator.cost(candidate) < evaluator.cost(self.best)
        if improved:
            self.best, self.iters_no_improvement = candidate, 0
            candidate = self.local_search(candidate, evaluator, exhaustive=True)
            if candidate.is_feasible():
                self.best = candidate
        candidate_cost = evaluator.penalised_cost(candidate)
        current_cost = evaluator.penalised_cost(self.current)
        late = self.history.peek()
        late_cost = evaluator.penalised_cost(self.initial if late is None else late)
        if candidate_cost < late_cost or candidate_cost < current_cost:
            self.current, current_cost = candidate, candidate_cost
        if current_cost < late_cost or late is None:
            self.history.append(self.current)
        else:
            self.history.skip()
        return improved

    def adopt(self, solution) -> bool:
        """Takes a better plan found by another search as its best and goes on from it; False if not better."""
        if self.cost(solution) >= self.cost(self.best):
            return False
        self.best = self.current = solution
        self.iters_no_improvement = 0
        self.adopted += 1
        return True


def routes_of(solution) -> Routes:
    return tuple((route.vehicle_type(), tuple(a.idx for a in route if a.is_client())) for route in solution.routes())


def solution_of(data, routes: Routes):
    import pyvrp

    return pyvrp.Solution(data, [pyvrp.Route(data, list(visits), vehicle_type) for vehicle_type, visits in routes])


def penalty_params(problem: Problem):
    from pyvrp import PenaltyParams

    # Optional stops carry prizes: let penalties rise far enough that a broken plan never pays for one.
    return PenaltyParams(max_penalty=1e9) if any(not s.required for s in problem.stops) else PenaltyParams()


def _die_with_parent(parent: int) -> None:
    """The kernel ends this process when its parent dies, however the parent dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError, TypeError):  # not Linux: the parent-pid check in the search loop remains
        pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)


def _child(worker: int, seed: int, deadline: float, inbox, outbox, stop, parent: int) -> None:
    """A search in a child process: streams its better plans to the parent, takes the parent's better ones."""
    _die_with_parent(parent)
    if hasattr(os, "nice"):
        # When the cores are busy the parent's search (PyVRP's own) goes first; on idle cores this changes nothing.
        os.nice(CHILD_NICENESS)
    from .pyvrp_engine import build_data

    try:
        problem, initial = inbox.get()
        data, _ = build_data(problem)
        search = Search(data, seed, solution_of(data, initial) if initial else None, penalty_params(problem))
        sent = float("inf")
        next_exchange = 0.0
        while True:
            search.step()
            now = time.monotonic()
            if now >= deadline:
                break
            if now < next_exchange:
                continue
            next_exchange = now + EXCHANGE_INTERVAL_S
            if stop.is_set() or os.getppid() != parent:
                break
            best_cost = search.cost(search.best)
            if best_cost < sent:
                outbox.put(("best", worker, best_cost, routes_of(search.best)))
                sent = best_cost
            shared = None
            while True:
                try:
                    shared = inbox.get_nowait()
                except queue.Empty:
                    break
            if shared is not None and shared[0] < search.cost(search.best):
                search.adopt(solution_of(data, shared[1]))
                sent = min(sent, shared[0])  # the parent has it already
        best_cost = search.cost(search.best)
        if best_cost < sent:
            outbox.put(("best", worker, best_cost, routes_of(search.best)))
        outbox.put(("done", worker, best_cost, (search.iterations, search.adopted)))
    except Exception as exc:  # the parent logs it and goes on with the other searches
        outbox.put(("error", worker, f"{type(exc).__name__}: {exc}", None))


@dataclass
class Outcome:
    """What a parallel search found: the best plan, and per search its best cost, iterations and plans taken over."""

    plan: Plan | None
    cost: float = float("inf")
    first_feasible_after: float | None = None
    worker_costs: dict[int, float] = field(default_factory=dict)
    worker_iterations: dict[int, int] = field(default_factory=dict)
    worker_adopted: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class _Team:
    """The children of one parallel search: started, fed the best plan, stopped and reaped."""

    def __init__(self, problem: Problem, workers: int, seed: int, deadline: float, initial: Routes | None) -> None:
        self.outbox = _CONTEXT.Queue()
        self.stop = _CONTEXT.Event()
        self.inboxes = {}
        self.processes = {}
        self.finished: dict[int, tuple] = {}  # worker -> ("done", cost, (iterations, adopted)) or ("error", text)
        for worker in range(1, workers):
            inbox = _CONTEXT.Queue()
            process = _CONTEXT.Process(
                target=_child, name=f"controltower-search-{worker}", daemon=True,
                args=(worker, seed + SEED_STRIDE * worker, deadline - CHILD_MARGIN_S, inbox, self.outbox, self.stop,
                      os.getpid()))
            # The problem goes through the queue, whose own thread writes it: passed as an argument, a 400-stop
            # matrix would hold this process (and its search) until the child had started and read it all.
            inbox.put((problem, initial))
            process.start()
            self.inboxes[worker], self.processes[worker] = inbox, process

    def plans(self, wait: float = 0.0) -> list[tuple[int, float, Routes]]:
        """(worker, cost, routes) of the better plans the children sent; waits up to `wait` s for them all to finish."""
        found = []
        end = time.monotonic() + wait
        while True:
            try:
                kind, worker, value, extra = (self.outbox.get(timeout=max(0.001, end - time.monotonic())) if wait
                                              else self.outbox.get_nowait())
            except queue.Empty:
                return found
            if kind == "best":
                found.append((worker, value, extra))
            else:
                self.finished[worker] = (kind, value, extra)
                if kind == "error":
                    log.warning("search %s failed: %s", worker, value)
            if len(self.finished) == len(self.processes):
                wait = 0.0

    def share(self, cost: float, routes: Routes, source: int) -> None:
        for worker, inbox in self.inboxes.items():
            if worker != source and worker not in self.finished:
                inbox.put((cost, routes))

    def end(self, grace: float) -> list[tuple[int, float, Routes]]:
        """Stops every child and waits for it; a child still running after `grace` seconds is killed."""
        self.stop.set()
        left = self.plans(wait=grace)
        for process in self.processes.values():
            process.join(0.05)
            if process.is_alive():
                process.kill()
                process.join(1.0)
        for inbox in self.inboxes.values():
            inbox.cancel_join_thread()  # plans nobody will read need not be flushed
            inbox.close()
        self.outbox.close()
        return left

    def record(self, outcome: "Outcome") -> None:
        for worker, (kind, value, extra) in self.finished.items():
            if kind == "done":
                outcome.worker_costs[worker] = value
                outcome.worker_iterations[worker], outcome.worker_adopted[worker] = extra
            else:
                outcome.errors.append(f"search {worker}: {value}")


def parallel_search(problem: Problem, deadline: float, workers: int = 1, seed: int = 0, warm_start: Plan | None = None,
                    on_plan: Callable[[Plan], None] | None = None, cancelled: Callable[[], bool] | None = None,
                    started: float | None = None, report_interval: float = 0.25) -> Outcome:
    """Runs `workers` searches (this process plus workers-1 children) until the deadline (time.monotonic())."""
    from .pyvrp_engine import build_data, to_plan, to_solution

    started = time.monotonic() if started is None else started
    workers = max(1, workers)
    engine = "pyvrp" if workers == 1 else f"pyvrp on {workers} cores"
    data, fleet = build_data(problem)
    initial = to_solution(problem, data, fleet, warm_start) if warm_start else None
    outcome = Outcome(None)
    best = _Best(started)

    def report(final: bool = False) -> None:
        now = time.monotonic()
        if on_plan and best.solution is not None and best.reported != best.cost and (
                final or best.reported is None or now - best.reported_at >= report_interval):
            best.reported, best.reported_at = best.cost, now
            on_plan(to_plan(problem, fleet, best.solution, engine, found_after=now - started))

    team = None
    try:
        search = Search(data, seed, initial, penalty_params(problem))
        best.offer(search.cost(search.best), search.best, 0)
        report()
        if workers > 1:  # started after this search's first plan, so their start-up never delays it
            team = _Team(problem, workers, seed, deadline, routes_of(initial) if initial is not None else None)
        next_exchange = 0.0
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            if now >= next_exchange:
                next_exchange = now + EXCHANGE_INTERVAL_S
                if cancelled and cancelled():
                    break
                if team is not None:
                    _exchange(team, search, data, best)
                report()
            if search.step():
                best.offer(search.cost(search.best), search.best, 0)
                if best.reported is None:
                    report()  # the first feasible plan goes out at once
        outcome.worker_costs[0] = search.cost(search.best)
        outcome.worker_iterations[0], outcome.worker_adopted[0] = search.iterations, search.adopted
    finally:
        if team is not None:
            # Children stop just before the deadline; one slow to say so is not waited for past it.
            for worker, cost, routes in team.end(grace=max(0.02, deadline + END_GRACE_S - time.monotonic())):
                best.offer(cost, solution_of(data, routes), worker)
            team.record(outcome)
    report(final=True)
    if best.solution is not None:
        outcome.plan = to_plan(problem, fleet, best.solution, engine, found_after=best.first_after or 0.0)
        outcome.cost, outcome.first_feasible_after = best.cost, best.first_after
    return outcome


class _Best:
    """The best feasible plan any search found, who found it, and what of it was reported and shared."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.cost = float("inf")
        self.solution = None
        self.found_by = 0
        self.first_after: float | None = None
        self.reported: float | None = None
        self.reported_at = -1e9
        self.shared = float("inf")

    def offer(self, cost: float, solution, found_by: int) -> bool:
        if cost >= self.cost:
            return False
        if self.first_after is None:
            self.first_after = time.monotonic() - self.started
        self.cost, self.solution, self.found_by = cost, solution, found_by
        return True


def _exchange(team: _Team, search: Search, data, best: _Best) -> None:
    """Takes the children's better plans and passes a new best on to every child (this process's search goes on
    from its own plans: it is PyVRP's, so the team never does worse than PyVRP alone)."""
    for worker, cost, routes in team.plans():
        if cost < best.cost:
            best.offer(cost, solution_of(data, routes), worker)
    own = search.cost(search.best)
    if own < best.cost:
        best.offer(own, search.best, 0)
    if best.cost < best.shared:
        best.shared = best.cost
        team.share(best.cost, routes_of(best.solution), best.found_by)
