"""The exception engine: runs every rule over the store and opens, updates or closes cases so each cause has one."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from ..domain.timeutil import to_iso, utcnow
from ..kernel.events import EventHub
from ..store import Database, connect
from . import case_store
from .open_exceptions import open_exceptions
from .rules import RULES, Facts, Finding

AUTO_PREFIX = "auto: "
FACTS_ONLY_MAX_AGE = timedelta(hours=1)
_CHUNK = 100  # cases written per transaction, so the UI's own writes never wait long for the lock


@dataclass(frozen=True)
class RefreshResult:
    opened: int
    updated: int
    resolved: int
    still_open: int  # open exceptions after the run, as open_exceptions counts them (not the rules' findings)
    seconds: float


class ExceptionEngine:
    """`refresh()` is safe to call from a worker thread: it reads on its own connection and writes in small chunks."""

    def __init__(self, db: Database, *, rules: dict[str, Callable] | None = None, hub: EventHub | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.rules = dict(RULES if rules is None else rules)
        self.hub = hub
        self.clock = clock
        self._gap_cache: dict = {}
        self._probe = connect(db.path)  # its own connection, so every write by the app counts as "another" one
        self._facts_only: dict[str, tuple[tuple, datetime, list[Finding]]] = {}  # kind -> (watermark, when, findings)
        self._lock = threading.Lock()  # one refresh at a time; a second caller waits and then refreshes again

    def close(self) -> None:
        self._probe.close()

    def evaluate(self, now: datetime | None = None) -> dict[str, Finding]:
        """What the rules see right now, by cause; reads only.

        Incremental: a facts-only rule is re-run only when the store was written since its last run (or hourly,
        as its look-back window slides); clock rules (late, at risk, stalled, no-show) run every time.
        """
        now = now or self.clock()
        conn = self.db.reader()
        facts = Facts(conn, now, self._gap_cache)
        # data_version moves whenever any other connection commits: a facts-only rule's answer can only change then.
        mark = self._probe.execute("PRAGMA data_version").fetchone()[0]
        findings: dict[str, Finding] = {}
        for kind, function in self.rules.items():
            cached = self._facts_only.get(kind)
            if getattr(function, "facts_only", False) and cached and cached[0] == mark and now - cached[1] < FACTS_ONLY_MAX_AGE:
                found = cached[2]
            else:
                found = list(function(facts))
                if getattr(function, "facts_only", False):
                    self._facts_only[kind] = (mark, now, found)
            for finding in found:
                findings.setdefault(finding.cause_key, finding)
        return one_per_order_and_cause(findings)

    def refresh(self, now: datetime | None = None) -> RefreshResult:
        import time

        started = time.perf_counter()
        with self._lock:
            now = now or self.clock()
            findings = self.evaluate(now)
            reader = self.db.reader()
            kinds = tuple(self.rules)
            marks = ", ".join("?" * len(kinds))
            open_cases = {
                row["cause_key"]: row for row in reader.execute(
                    f"SELECT id, cause_key, severity, summary FROM exceptions WHERE resolved_at IS NULL AND kind IN ({marks})", kinds)
            }
            new = [f for key, f in findings.items() if key not in open_cases]
            new = self._drop_closed_by_user(reader, new)
            changed = [(open_cases[key]["id"], f) for key, f in findings.items() if key in open_cases
                       and (open_cases[key]["severity"] != f.severity.value or open_cases[key]["summary"] != f.summary)]
            gone = [row["id"] for key, row in open_cases.items() if key not in findings]
            stamp = to_iso(now)
            for chunk in _chunks(new):
                with self.db.transaction() as conn:
                    for f in chunk:
                        case_store.open_case(conn, f, stamp)  # None when another refresh opened it a moment ago
            for chunk in _chunks(changed):
                with self.db.transaction() as conn:
                    case_store.restate(conn, chunk)
            for chunk in _chunks(gone):
                with self.db.transaction() as conn:
                    case_store.resolve(conn, chunk, stamp, AUTO_PREFIX + "the facts no longer show this problem",
                                       "auto_resolved")
            still_open = open_exceptions(self.db.reader(), now).total  # what the queue and the KPI count too
        result = RefreshResult(len(new), len(changed), len(gone), still_open, time.perf_counter() - started)
        if self.hub and (new or changed or gone):
            self.hub.publish("exceptions.changed", opened=result.opened, resolved=result.resolved)
        return result

    def _drop_closed_by_user(self, reader, new: list[Finding]) -> list[Finding]:
        """A cause the user closed stays closed: the same fact must not reopen it (a new fact has a new cause)."""
        closed: set[str] = set()
        for chunk in _chunks([f.cause_key for f in new], 500):
            closed.update(row[0] for row in reader.execute(
                f"SELECT cause_key FROM exceptions WHERE cause_key IN ({', '.join('?' * len(chunk))}) "
                f"AND resolved_at IS NOT NULL AND resolution NOT LIKE 'auto: %'", chunk))
        return [f for f in new if f.cause_key not in closed]


# A warning yields to the fact that overtook it on the same order: once an attempt has failed (or the promise has
# passed), "at risk" was about a delivery that is no longer coming, and the failed attempt's fix (contact the
# customer, reschedule) is the one to make. One order then shows one row for its delivery, never both.
OUTRANKED_BY = {"at_risk": ("failed_attempt", "late")}


def one_per_order_and_cause(findings: dict[str, Finding]) -> dict[str, Finding]:
    """Drop the findings a stronger cause on the same order outranks (OUTRANKED_BY)."""
    kinds_by_order: dict[int, set[str]] = {}
    for finding in findings.values():
        if finding.order_id is not None:
            kinds_by_order.setdefault(finding.order_id, set()).add(finding.kind)
    return {key: finding for key, finding in findings.items()
            if not kinds_by_order.get(finding.order_id, set()).intersection(OUTRANKED_BY.get(finding.kind, ()))}


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]
