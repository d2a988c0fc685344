"""A solver process that dies says so: the window shows why, instead of waiting for a plan that never comes."""
from __future__ import annotations

import multiprocessing as mp
import time

from controltower.demo.routing import city_day
from controltower.routing.model import SolveOptions
from controltower.routing.session import PlanningSession


def test_a_killed_solver_ends_the_session_with_a_plain_error():
    before = {child.pid for child in mp.active_children()}
    problem = city_day(40, vehicles=2, seed=3, breaks=False)
    session = PlanningSession(problem, SolveOptions(seconds=60)).start()
    try:
        solvers = [child for child in mp.active_children() if child.pid not in before]
        assert solvers, "the session solves in a process of its own"
        for solver in solvers:  # what the out-of-memory killer or a crash in native code does
            solver.kill()
            solver.join(10)
        began = time.monotonic()
        while not session.finished and time.monotonic() - began < 30:
            session.poll()
            time.sleep(0.05)
        assert session.finished
        assert "stopped unexpectedly" in session.error and "exit code" in session.error
    finally:
        session.cancel()
