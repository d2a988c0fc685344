"""Why a stop was left unplanned, found by checking each constraint (never guessed from the solver's silence)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .evaluator import load_ok, route_ok, route_report
from .model import Plan, Problem


@dataclass(frozen=True)
class Reason:
    stop: int
    code: str  # window_over, day_over, skill, locked, capacity, window, shift, full, fits
    text: str


def explain_unplanned(problem: Problem, plan: Plan) -> list[Reason]:
    return [explain_stop(problem, plan, s) for s in plan.unplanned(problem)]


def explain_stop(problem: Problem, plan: Plan, s: int) -> Reason:
    over = _too_late(problem, s)
    if over is not None:
        return over
    stop = problem.stops[s]
    vans = list(range(len(problem.vehicles)))
    skilled = [v for v in vans if not (stop.required_skills - problem.vehicles[v].skills)]
    if not skilled:
        return Reason(s, "skill", f"Needs a vehicle with {', '.join(sorted(stop.required_skills))}; no vehicle today has it.")
    if stop.locked_vehicle is not None and stop.locked_vehicle not in skilled:
        return Reason(s, "locked", "It is locked to a vehicle that cannot serve it; unlock it.")
    if stop.locked_vehicle is not None:
        skilled = [stop.locked_vehicle]
    delivery, pickup = problem.amounts(s)
    fits = [v for v in skilled if all(max(d, p) <= c for d, p, c in zip(delivery, pickup, problem.vehicles[v].capacity))]
    if not fits:
        return Reason(s, "capacity", "It is bigger than any vehicle that could take it can carry.")

    # Alone on an empty route: if even that fails, the window or the shift is the reason.
    alone = {v: route_report(problem, v, (s,)) for v in fits}
    if all(rep.violations for rep in alone.values()):
        late = [rep for rep in alone.values() if any("after its window" in x for x in rep.violations)]
        if len(late) == len(alone):
            earliest = min(rep.visits[0].arrival for rep in late)
            return Reason(s, "window", f"No vehicle can reach it inside its window: the earliest arrival is "
                                       f"{_clock(problem, earliest)}, the window ends {_clock(problem, stop.window_end)}.")
        return Reason(s, "shift", "No vehicle's shift is long enough to get there, serve it and get back.")

    # It fits alone, so the day is full: try every position of every route it may join.
    kinds: set[str] = set()
    for v in fits:
        route = plan.routes[v]
        if not load_ok(problem, v, route + (s,)):
            kinds.add("capacity")  # deliveries load at the depot: the position does not matter
            continue
        for position in range(len(route) + 1):
            if route_ok(problem, v, route[:position] + (s,) + route[position:]):
                return Reason(s, "fits", f"It fits on {_name(problem, v)}: re-optimise to plan it (if the solver "
                                         "still leaves it out, raise its priority).")
        longest = route_report(problem, v, route + (s,))
        kinds.update(_kind(x) for x in longest.violations if _kind(x) != "capacity")
        kinds.add("window")
    if kinds == {"capacity"}:
        return Reason(s, "capacity", "Every vehicle that could take it is already full.")
    if "capacity" not in kinds:
        return Reason(s, "window", "No route has room for it inside its window without making another stop late "
                                   "or a van back after its shift.")
    parts = {"capacity": "full vehicles", "window": "late stops", "shift": "shifts running over", "break": "no room for a break"}
    found = ", ".join(parts[k] for k in sorted(kinds) if k in parts)
    return Reason(s, "full", f"The day is full: adding it anywhere causes {found}. Add a vehicle or extend a shift.")


def _too_late(problem: Problem, s: int) -> Reason | None:
    """A plan made after the promise or after the vans' day: no position on any route can help, so say that plainly."""
    now = problem.planned_at
    if now is None:
        return None
    stop = problem.stops[s]
    vans = range(len(problem.vehicles))
    last_end = max((min(problem.vehicles[v].shift_end, problem.depots[problem.vehicles[v].depot].closes) for v in vans),
                   default=0)
    day_over = bool(problem.vehicles) and not any(problem.time_left(v) for v in vans)
    # A window that ends with the vans' day (a stop without a promise) is not the customer's time: the day is over.
    if stop.window_end <= now and not (day_over and stop.window_end >= last_end):
        return Reason(s, "window_over", f"Its promised time ended at {problem.local_time(stop.window_end)}, before now "
                                        f"({problem.local_time(now)}): agree a new time with the customer, then plan it for that day.")
    if day_over:
        return Reason(s, "day_over", f"The vans' day is over (the last shift ended at {problem.local_time(last_end)}, it is "
                                     f"{problem.local_time(now)} now): plan it on tomorrow's routes.")
    return None


def _kind(violation: str) -> str:
    if "capacity" in violation:
        return "capacity"
    if "window" in violation:
        return "window"
    if "shift" in violation:
        return "shift"
    if "break" in violation:
        return "break"
    return "other"


def _name(problem: Problem, v: int) -> str:
    van = problem.vehicles[v]
    return van.name or van.key


def _clock(problem: Problem, seconds: int) -> str:
    return problem.local_time(seconds)


def slack_text(seconds: int) -> str:
    return str(timedelta(seconds=max(0, seconds)))[:-3]
