"""Pulling a shop's new and changed orders into the store, on demand and on a schedule; pushing fulfilments back."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from ...domain.timeutil import from_iso, to_iso
from .base import Fulfilment, PullResult, ShopClient, ShopError, save_pulled

log = logging.getLogger(__name__)


class ShopSync:
    """One shop's sync: `pull()` once, `run(every)` as a background asyncio task, `push_fulfilment()` after booking."""

    def __init__(self, db, client: ShopClient, hub=None) -> None:
        self.db, self.client, self.hub = db, client, hub
        self.last_error: str = ""

    @property
    def cursor_key(self) -> str:
        return f"shops.{self.client.name}.cursor"

    def cursor(self) -> datetime | None:
        return from_iso(self.db.get_setting(self.cursor_key))

    async def pull(self) -> PullResult:
        """Orders changed since the saved cursor; each page is saved with the cursor moved past it."""
        since = self.cursor()
        imported = updated = unchanged = pages = 0
        skipped: list[str] = []
        newest = since
        async for page in self.client.pages(since):
            pages += 1
            if page.newest_change and (newest is None or page.newest_change > newest):
                newest = page.newest_change
            cursor = to_iso(newest) if newest else None
            # Orders are saved off the event loop: SQLite work must not stall the UI.
            added, changed, same = await asyncio.to_thread(save_pulled, self.db, self.client.name, page.orders, cursor)
            imported, updated, unchanged = imported + added, updated + changed, unchanged + same
            skipped += page.skipped
        if self.hub is not None and (imported or updated):
            self.hub.publish("orders.changed", ids=None)  # None: reload everything
        return PullResult(imported, updated, unchanged, pages, to_iso(newest) if newest else None, skipped)

    async def run(self, every: timedelta, stop: asyncio.Event) -> None:
        """Pull now and then every `every` until `stop` is set; failures are kept in last_error and retried next time."""
        while not stop.is_set():
            try:
                result = await self.pull()
                self.last_error = ""
                log.info("pulled %s: %s new, %s updated", self.client.name, result.imported, result.updated)
            except ShopError as exc:
                self.last_error = str(exc)
                log.warning("pull from %s failed: %s", self.client.name, exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=every.total_seconds())
            except asyncio.TimeoutError:
                pass

    async def push_fulfilment(self, fulfilment: Fulfilment) -> str:
        return await self.client.push_fulfilment(fulfilment)
