"""One gate per carrier: a limit on calls in flight, the carrier's rate budget shared by every process of the app,
and a pause for everyone when the carrier says slow down.

    gates = CarrierGates.beside(db.path)                 # the UI's quote path and the sync child open the same file
    async with gates.gate("doordash", adapter.rate_limit):
        await adapter.quote(request)

The budget is a token bucket per carrier kept in a small SQLite file next to the store (`carrier-budget.db`),
not in the store itself: a long import holding the store's write lock must never hold up a quote. Its state is
disposable (lost on a crash, the bucket simply starts full again), so it is written without fsync.
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable

from ..carriers.base import RateLimit

BUDGET_FILE = "carrier-budget.db"
# We keep below the published figure: a bucket refilling at 80 % of it, with a burst of 15 %, never spends more
# than 95 % of `requests` in any `per_s` window.
_REFILL_SHARE = 0.8
_BURST_SHARE = 0.15


def bucket(limit: RateLimit) -> tuple[float, float]:
    """(tokens per second, burst) for a published limit."""
    return _REFILL_SHARE * limit.requests / limit.per_s, max(1.0, float(int(_BURST_SHARE * limit.requests)))


class SharedBudget:
    """Token buckets by carrier code in one SQLite file; any number of processes may use it at once.

    Time is `time.monotonic()` (one clock for the whole machine, untouched by tests that set the wall clock);
    a bucket last written in the future (the machine restarted) starts again full.
    """

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._local = threading.local()
        with self._transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS carrier_budget (carrier TEXT PRIMARY KEY, tokens REAL NOT NULL, "
                         "updated_at REAL NOT NULL, paused_until REAL NOT NULL DEFAULT 0)")

    @classmethod
    def beside(cls, store_path: str | Path) -> "SharedBudget":
        """The budget file next to the store at `store_path`: every process of the app finds the same one."""
        return cls(Path(store_path).with_name(BUDGET_FILE))

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = OFF")
            self._local.conn = conn
        return conn

    def _transaction(self):
        budget = self

        class _Immediate:
            def __enter__(self) -> sqlite3.Connection:
                self.conn = budget._conn()
                self.conn.execute("BEGIN IMMEDIATE")  # one process at a time reads and spends
                return self.conn

            def __exit__(self, exc_type, *_) -> None:
                self.conn.execute("ROLLBACK" if exc_type else "COMMIT")

        return _Immediate()

    def _state(self, conn: sqlite3.Connection, carrier: str, rate: float, burst: float, now: float) -> tuple[float, float]:
        row = conn.execute("SELECT tokens, updated_at, paused_until FROM carrier_budget WHERE carrier = ?", (carrier,)).fetchone()
        if row is None or row[1] > now:
            return burst, 0.0
        tokens, updated_at, paused_until = row
        return min(burst, tokens + (now - updated_at) * rate), paused_until

    def _write(self, conn: sqlite3.Connection, carrier: str, tokens: float, now: float, paused_until: float) -> None:
        conn.execute("INSERT INTO carrier_budget(carrier, tokens, updated_at, paused_until) VALUES (?,?,?,?) "
                     "ON CONFLICT(carrier) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at, "
                     "paused_until = excluded.paused_until", (carrier, tokens, now, paused_until))

    def reserve(self, carrier: str, limit: RateLimit) -> float:
        """Spend one call now and return how many seconds to wait before making it (0: go).

        The bucket may go below zero: each caller takes the next free moment, first come first served.
        """
        rate, burst = bucket(limit)
        with self._transaction() as conn:
            now = self.clock()
            tokens, paused_until = self._state(conn, carrier, rate, burst, now)
            tokens -= 1
            self._write(conn, carrier, tokens, now, paused_until)
        return max(paused_until - now, -tokens / rate if tokens < 0 else 0.0, 0.0)

    def refund(self, carrier: str, limit: RateLimit) -> None:
        """A reserved call that was never made (cancelled while waiting) gives its turn back."""
        rate, burst = bucket(limit)
        with self._transaction() as conn:
            now = self.clock()
            tokens, paused_until = self._state(conn, carrier, rate, burst, now)
            self._write(conn, carrier, min(burst, tokens + 1), now, paused_until)

    def pause(self, carrier: str, seconds: float) -> None:
        """No call to `carrier` starts for `seconds`, from any process (a 429 with Retry-After)."""
        with self._transaction() as conn:
            now = self.clock()
            row = conn.execute("SELECT tokens, updated_at, paused_until FROM carrier_budget WHERE carrier = ?",
                               (carrier,)).fetchone()
            tokens, updated_at, paused_until = row if row is not None and row[1] <= now else (0.0, now, 0.0)
            self._write(conn, carrier, tokens, updated_at, max(paused_until, now + seconds))

    def paused_for(self, carrier: str) -> float:
        row = self._conn().execute("SELECT paused_until FROM carrier_budget WHERE carrier = ?", (carrier,)).fetchone()
        return 0.0 if row is None else max(0.0, row[0] - self.clock())

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class CarrierGate:
    """At most `limit` calls in flight in this process; with a `budget`, the carrier's `rate` shared with every process.

    Without a budget (tests, the local sandbox) it paces this process alone at `per_second`.
    """

    def __init__(self, limit: int, per_second: float | None = None, *, carrier: str = "",
                 budget: SharedBudget | None = None, rate: RateLimit | None = None) -> None:
        self.limit = limit
        self.carrier = carrier
        self.budget = budget if rate is not None else None
        self.rate = rate
        self._slots = asyncio.Semaphore(limit)
        self._paused_until = 0.0
        self._spacing = 1.0 / per_second if per_second else 0.0
        self._next_start = 0.0

    def pause(self, seconds: float) -> None:
        """No call to this carrier starts for `seconds` (a 429 with Retry-After); every process waits with a budget."""
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds)
        if self.budget is not None:
            self.budget.pause(self.carrier, seconds)

    @property
    def paused_for(self) -> float:
        here = max(0.0, self._paused_until - asyncio.get_running_loop().time())
        return max(here, self.budget.paused_for(self.carrier)) if self.budget is not None else here

    async def __aenter__(self) -> "CarrierGate":
        await self._slots.acquire()
        try:
            while (wait := max(0.0, self._paused_until - asyncio.get_running_loop().time())) > 0:
                await asyncio.sleep(wait)
            if self.budget is not None:
                await self._take_turn()
            elif self._spacing:  # keep under the carrier's documented request rate
                now = asyncio.get_running_loop().time()
                start = max(now, self._next_start)
                self._next_start = start + self._spacing
                if start > now:
                    await asyncio.sleep(start - now)
        except BaseException:
            self._slots.release()
            raise
        return self

    async def _take_turn(self) -> None:
        wait = self.budget.reserve(self.carrier, self.rate)
        if wait <= 0:
            return
        try:
            await asyncio.sleep(wait)
        except asyncio.CancelledError:
            self.budget.refund(self.carrier, self.rate)  # never made: the next caller may have the turn
            raise

    async def __aexit__(self, *exc) -> None:
        self._slots.release()


class CarrierGates:
    """The gates of one process, by carrier code, all over one shared budget file."""

    def __init__(self, budget: SharedBudget | None, limit_for: Callable[[str], int] = lambda code: 4,
                 per_second_for: Callable[[str], float | None] = lambda code: None) -> None:
        self.budget = budget
        self.limit_for, self.per_second_for = limit_for, per_second_for
        self._gates: dict[str, CarrierGate] = {}

    @classmethod
    def beside(cls, store_path: str | Path, **kwargs) -> "CarrierGates":
        """Gates over the budget file next to the store at `store_path` (every process of the app finds the same one)."""
        return cls(SharedBudget.beside(store_path), **kwargs)

    def gate(self, carrier: str, rate: RateLimit | None = None) -> CarrierGate:
        """The one gate for `carrier` in this process; `rate` is the account's budget (adapter.rate_limit)."""
        if carrier not in self._gates:
            self._gates[carrier] = CarrierGate(self.limit_for(carrier), self.per_second_for(carrier), carrier=carrier,
                                               budget=self.budget, rate=rate)
        return self._gates[carrier]

    def close(self) -> None:
        if self.budget is not None:
            self.budget.close()
