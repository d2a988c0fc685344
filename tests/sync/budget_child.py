"""One process of the app asking a carrier, for test_shared_budget: `python budget_child.py sync|quotes STORE URL CALLS START_AT`.

`sync` polls tracking through the sync engine's gate (as the sync child does); `quotes` asks for quotes through
the dispatch quote path (as the window's process does). Both spend the carrier's one budget beside STORE.
"""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ (the fakes and sync helpers)

from controltower.carriers.base import AdapterConfig, CarrierError, RateLimit  # noqa: E402
from controltower.carriers.uber_direct.client import UberDirectAdapter  # noqa: E402
from controltower.dispatch.rates import gather_quotes  # noqa: E402
from controltower.store import Database  # noqa: E402
from controltower.sync.engine import SyncEngine  # noqa: E402
from controltower.sync.gate import SharedBudget  # noqa: E402
from carriers.fakes.uber_direct import CLIENT_ID, CLIENT_SECRET, CUSTOMER_ID  # noqa: E402
from sync.conftest import same_day_request  # noqa: E402

LIMIT = RateLimit(30, 1.0)


class LimitedUber(UberDirectAdapter):
    published_limit = LIMIT  # a tight budget, so a test can see it kept in a few seconds


def adapter(url: str) -> LimitedUber:
    return LimitedUber(AdapterConfig("uber_direct", {"customer_id": CUSTOMER_ID, "client_id": CLIENT_ID,
                                                      "client_secret": CLIENT_SECRET},
                                     {"auth_url": url + "/oauth/v2/token"}, base_url=url + "/v1", timeout_s=30))


async def poll_tracking(store: Path, carrier: LimitedUber, calls: int) -> None:
    db = Database(store)
    engine = SyncEngine(db, {"uber_direct": carrier})

    async def poll(n: int) -> None:
        async with engine.gate("uber_direct"):  # the gate TrackingPoller._poll goes through
            try:
                await carrier.track(f"del_unknown_{n}")
            except CarrierError:
                pass  # unknown to the fake: still one call spent

    await asyncio.gather(*(poll(n) for n in range(calls)))
    db.close()


async def ask_quotes(store: Path, carrier: LimitedUber, calls: int) -> None:
    budget = SharedBudget.beside(store)
    answers = await asyncio.gather(*(gather_quotes([carrier], same_day_request(), 30.0, budget=budget) for _ in range(calls)))
    assert all(a[0].quotes for a in answers), [a[0].error for a in answers if not a[0].quotes]


async def main(mode: str, store: Path, url: str, calls: int, start_at: float) -> None:
    carrier = adapter(url)
    time.sleep(max(0.0, start_at - time.time()))  # both processes begin together
    await (poll_tracking if mode == "sync" else ask_quotes)(store, carrier, calls)
    await carrier.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])))
