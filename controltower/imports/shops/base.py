"""What the shop integrations share: their errors, the result of a pull, and saving pulled orders with the cursor."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable, Protocol

import httpx

from ...domain import Order
from ...kernel.errors import UserFacingError
from ...store import audit
from ..bulk import save_orders

log = logging.getLogger(__name__)


class ShopError(UserFacingError):
    """The shop could not be read or written; the message says why and what to do."""


@dataclass(frozen=True)
class Page:
    orders: list[Order]
    newest_change: datetime | None  # latest "updated at" on this page: the next pull starts there
    skipped: list[str] = field(default_factory=list)  # shop orders that could not be read, with the reason


@dataclass(frozen=True)
class PullResult:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    pages: int = 0
    cursor: str | None = None
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Fulfilment:
    """What the shop is told when an order ships, so its own emails carry the tracking link."""

    order_ref: str
    carrier: str
    tracking_number: str
    tracking_url: str = ""
    notify_customer: bool = True


class ShopClient(Protocol):
    name: str

    def pages(self, since: datetime | None): ...  # async iterator of Page

    async def push_fulfilment(self, fulfilment: Fulfilment) -> str: ...


async def request_with_retries(send: Callable[[], Awaitable[httpx.Response]], what: str, attempts: int = 4,
                               sleep=asyncio.sleep) -> httpx.Response:
    """Retry network failures, 429 and 5xx with backoff (honouring Retry-After); other statuses are the caller's."""
    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            response = await send()
        except httpx.HTTPError as exc:
            if attempt == attempts:
                raise ShopError(f"Could not reach {what}: {exc}.", "Check the shop address and your connection.") from exc
            await sleep(delay)
            delay *= 2
            continue
        if response.status_code == 429 or response.status_code >= 500:
            if attempt == attempts:
                raise ShopError(f"{what} is busy or failing (HTTP {response.status_code}).", "It will be tried again on the next sync.")
            retry_after = response.headers.get("Retry-After")
            await sleep(min(float(retry_after), 60.0) if retry_after and retry_after.replace(".", "").isdigit() else delay)
            delay *= 2
            continue
        return response
    raise AssertionError("unreachable")


def save_pulled(db, shop: str, orders: list[Order], cursor: str | None) -> tuple[int, int, int]:
    """Save one page of pulled orders and move the shop's cursor, together (a crash re-pulls the page, harmlessly)."""
    with db.transaction() as conn:
        result = save_orders(conn, orders)
        if cursor:
            db.set_setting(f"shops.{shop}.cursor", cursor)
        if result.inserted or result.updated:
            audit.record(conn, "pull", "orders", shop, actor=f"shop:{shop}",
                         after={"imported": result.inserted, "updated": result.updated})
    return result.inserted, result.updated, result.unchanged
