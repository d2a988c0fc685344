"""The forecast and capacity plan, refreshed in a child process after each shop day closes, and on demand.

The app's "forecast" job (services/core.py) calls `ForecastRefresh.run_if_due()` every few minutes in a worker
thread; the work itself (the models' fits, the route planner's solves) runs in a spawned process on the same store
file, so neither the window's thread nor its Python (GIL) waits. A day has closed at the shop's closing time in
the shop's zone (store.shop_clock); "Refresh now" asks for one at once.
"""
from __future__ import annotations

import logging
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from ..dispatch.settings import hhmm, load_settings
from ..domain.timeutil import from_iso, to_iso, utcnow
from ..kernel.child import ChildProcess
from ..kernel.events import EventHub
from ..store.shop_clock import shop_day, shop_zone

log = logging.getLogger(__name__)

CHANGED = "forecast.changed"


def refresh_forecast_and_plan(db_path: str | Path, now: datetime, days: int = 14, seconds_per_solve: float = 1.0) -> str:
    """One refresh of the store at `db_path` (what the child process runs): the forecast, then the capacity plan."""
    from ..store import Database
    from .capacity import CapacityPlan, CapacityService, compute_plan
    from .forecast import ForecastService

    db = Database(db_path)
    try:
        report = ForecastService(db).refresh(now)
        capacity = CapacityService(db, days=days, seconds_per_solve=seconds_per_solve)
        try:
            plan = compute_plan(capacity.inputs(report, now))
        except LookupError as exc:  # no depot or no van yet: the plan says so (and the job does not retry every turn)
            plan = CapacityPlan(now, (), None, "", 0.0, note=str(exc))
        capacity.save(plan)
        if plan.note:
            return f"forecast for {report.horizon_days} days; no van plan: {plan.note}"
        warnings = plan.warnings()
        return (f"forecast for {report.horizon_days} days; vans planned for {len(plan.days)} days"
                + (f"; {len(warnings)} day(s) short of vans" if warnings else "; the vans suffice"))
    finally:
        db.close()


def _child(db_path: str, now_iso: str, days: int, seconds_per_solve: float, messages) -> None:
    if hasattr(os, "nice"):
        os.nice(5)  # the window's process is served first on a busy machine
    try:
        messages.put(("done", refresh_forecast_and_plan(db_path, from_iso(now_iso), days, seconds_per_solve)))
    except BaseException as exc:  # said to the parent, which shows it as the job's error
        log.exception("forecast refresh failed")
        messages.put(("failed", f"{type(exc).__name__}: {exc}"))


class RefreshFailed(RuntimeError):
    pass


class ForecastRefresh:
    """When a refresh is due, and running one in a child process (cancellable when the app closes)."""

    def __init__(self, db, hub: EventHub | None = None, clock: Callable[[], datetime] = utcnow, *, days: int = 14,
                 seconds_per_solve: float = 1.0, timeout_s: float = 1800.0) -> None:
        self.db, self.hub, self.clock = db, hub, clock
        self.days, self.seconds_per_solve, self.timeout_s = days, seconds_per_solve, timeout_s
        self._asked = self._cancelled = False
        self._child: ChildProcess | None = None

    def ask(self) -> None:
        """'Refresh now': the next run refreshes whether or not a day has closed since the last one."""
        self._asked = True

    def last_refresh(self) -> datetime | None:
        from .capacity import CapacityService

        plan = CapacityService(self.db).latest()
        return None if plan is None else plan.made_at

    def last_close(self, now: datetime) -> datetime:
        """The most recent moment a shop day closed (its closing time, shop's zone) at or before `now`."""
        conn = self.db.reader()
        zone, closes = shop_zone(conn), hhmm(load_settings(self.db).closes)
        today: date = shop_day(conn, now)
        for day in (today, today - timedelta(days=1)):
            moment = datetime.combine(day, closes, zone)
            if moment <= now:
                return moment
        return datetime.combine(today - timedelta(days=2), closes, zone)

    def due(self, now: datetime) -> bool:
        last = self.last_refresh()
        return self._asked or last is None or last < self.last_close(now)

    def run_if_due(self) -> str:
        """The job's work (in a worker thread): refresh in a child process when due; say what happened."""
        now = self.clock()
        if not self.due(now):
            return f"up to date (made {self.last_refresh():%d %b %H:%M} UTC; next after the shop closes)"
        self._asked = self._cancelled = False
        result = self._run_child(now)
        if self.hub is not None:
            self.hub.publish(CHANGED, made_at=now)
        return result

    def _run_child(self, now: datetime) -> str:
        child = ChildProcess(_child, (str(self.db.path), to_iso(now), self.days, self.seconds_per_solve),
                             name="controltower-forecast", daemon=False,  # the planner may start its own workers
                             unexpected_end="The forecast process stopped unexpectedly (exit code {code}).")
        self._child = child.start()
        try:
            messages = child.wait(timeout=self.timeout_s)
        except TimeoutError:
            child.cancel()
            raise RefreshFailed(f"the forecast took longer than {self.timeout_s:.0f} s and was stopped") from None
        finally:
            self._child = None
        if self._cancelled:
            raise RefreshFailed("stopped as the app closed; it runs again at the next start")
        last = messages[-1] if messages else ("failed", "the forecast process said nothing")
        if last[0] != "done":
            raise RefreshFailed(last[1])
        return last[1]

    def cancel(self) -> None:
        """The app is closing: end a refresh in progress (the next start does it again)."""
        self._cancelled = True
        child = self._child
        if child is not None:
            child.cancel()
