"""Shopify Admin GraphQL: orders changed since a cursor (paged, within the cost budget) and fulfilments with tracking."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import httpx

from ...domain import Address, DeliveryOption, Money, Order, OrderLine, utcnow
from ...domain.timeutil import from_iso
from ...store.secrets import get_secret
from ..validation import CellError, clean_postcode, delivery_option, phone
from .base import Fulfilment, Page, ShopError, request_with_retries

log = logging.getLogger(__name__)
API_VERSION = "2025-10"
PAGE_SIZE = 25  # with 20 line items each the query costs ~530 points, well under the 1,000 limit

ORDERS_QUERY = """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name email phone createdAt updatedAt note displayFulfillmentStatus
      totalPriceSet { shopMoney { amount currencyCode } }
      shippingLine { title code }
      shippingAddress { name company address1 address2 city province zip countryCodeV2 phone }
      lineItems(first: 20) { nodes { name sku quantity originalUnitPriceSet { shopMoney { amount currencyCode } } } }
    }
  }
}"""

FULFILMENT_ORDERS_QUERY = """
query FulfilmentOrders($query: String!) {
  orders(first: 1, query: $query) { nodes { id name fulfillmentOrders(first: 10) { nodes { id status } } } }
}"""

FULFILMENT_CREATE = """
mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message }
  }
}"""


class ShopifyClient:
    """One shop. The access token is read from the keychain (account "shop:<name>", field "access_token")."""

    def __init__(self, name: str, shop_url: str, *, api_version: str = API_VERSION, token: str | None = None,
                 client: httpx.AsyncClient | None = None, sleep=asyncio.sleep, max_throttle_retries: int = 5) -> None:
        self.name = name
        self.endpoint = f"{shop_url.rstrip('/')}/admin/api/{api_version}/graphql.json"
        self._token = token
        self._client = client
        self._sleep = sleep
        self.max_throttle_retries = max_throttle_retries
        self.available: float | None = None  # the cost bucket as Shopify last reported it
        self.restore_rate: float = 50.0
        self.last_cost: float = 100.0

    def _token_or_fail(self) -> str:
        token = self._token or get_secret(f"shop:{self.name}", "access_token")
        if not token:
            raise ShopError(f"No Shopify access token saved for {self.name}.", "Add it in Settings > Shops; it is kept in the system keychain.")
        return token

    async def _wait_for_budget(self) -> None:
        """Shopify needs the query's full cost in the bucket first; wait for it to refill instead of being throttled."""
        if self.available is not None and self.available < self.last_cost:
            await self._sleep((self.last_cost - self.available) / max(self.restore_rate, 1.0))

    async def graphql(self, query: str, variables: dict) -> dict:
        token = self._token_or_fail()
        client = self._client or httpx.AsyncClient(timeout=30)
        try:
            for _attempt in range(self.max_throttle_retries + 1):
                await self._wait_for_budget()
                response = await request_with_retries(
                    lambda: client.post(self.endpoint, json={"query": query, "variables": variables},
                                        headers={"X-Shopify-Access-Token": token, "Accept": "application/json"}),
                    "Shopify", sleep=self._sleep)
                if response.status_code in (401, 403):
                    raise ShopError(f"Shopify refused the access token for {self.name} (HTTP {response.status_code}).",
                                    "Check the token and that the app has read_orders and fulfillment scopes.")
                if response.status_code != 200:
                    raise ShopError(f"Shopify answered HTTP {response.status_code}: {response.text[:200]}")
                body = response.json()
                self._note_cost(body.get("extensions", {}).get("cost", {}))
                errors = body.get("errors") or []
                if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                    log.info("Shopify throttled %s; waiting for the bucket", self.name)
                    self.available = min(self.available or 0.0, 0.0)
                    continue
                if errors:
                    raise ShopError(f"Shopify rejected the request: {errors[0].get('message', errors[0])}")
                return body["data"]
            raise ShopError("Shopify kept throttling the requests.", "The next sync will continue where this one stopped.")
        finally:
            if self._client is None:
                await client.aclose()

    def _note_cost(self, cost: dict) -> None:
        status = cost.get("throttleStatus") or {}
        if "currentlyAvailable" in status:
            self.available = float(status["currentlyAvailable"])
            self.restore_rate = float(status.get("restoreRate") or self.restore_rate)
        if cost.get("requestedQueryCost"):
            self.last_cost = float(cost["requestedQueryCost"])

    async def pages(self, since: datetime | None):
        """Orders changed at or after `since`, oldest change first, one page at a time."""
        search = f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'" if since else None
        after = None
        while True:
            data = await self.graphql(ORDERS_QUERY, {"first": PAGE_SIZE, "after": after, "query": search})
            connection = data["orders"]
            orders, skipped, newest = [], [], None
            for node in connection["nodes"]:
                try:
                    orders.append(order_from_node(node, self.name))
                except (CellError, ValueError, KeyError, TypeError) as exc:
                    skipped.append(f"{node.get('name', node.get('id'))}: {exc}")
                changed = from_iso(node.get("updatedAt"))
                newest = max(newest, changed) if newest and changed else (changed or newest)
            yield Page(orders, newest, skipped)
            if not connection["pageInfo"]["hasNextPage"]:
                return
            after = connection["pageInfo"]["endCursor"]

    async def push_fulfilment(self, fulfilment: Fulfilment) -> str:
        """Mark the order's open fulfilment orders fulfilled with the tracking number; returns Shopify's fulfilment id."""
        data = await self.graphql(FULFILMENT_ORDERS_QUERY, {"query": f"name:'{fulfilment.order_ref}'"})
        nodes = data["orders"]["nodes"]
        if not nodes:
            raise ShopError(f"Shopify has no order {fulfilment.order_ref}.")
        open_orders = [f["id"] for f in nodes[0]["fulfillmentOrders"]["nodes"] if f["status"] in ("OPEN", "IN_PROGRESS", "SCHEDULED")]
        if not open_orders:
            raise ShopError(f"Order {fulfilment.order_ref} has nothing left to fulfil in Shopify.")
        tracking = {"company": fulfilment.carrier, "number": fulfilment.tracking_number}
        if fulfilment.tracking_url:
            tracking["url"] = fulfilment.tracking_url
        result = await self.graphql(FULFILMENT_CREATE, {"fulfillment": {
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": gid} for gid in open_orders],
            "trackingInfo": tracking, "notifyCustomer": fulfilment.notify_customer}})
        payload = result["fulfillmentCreate"]
        if payload.get("userErrors"):
            raise ShopError(f"Shopify did not accept the fulfilment: {payload['userErrors'][0]['message']}")
        return payload["fulfillment"]["id"]


def _money(money_set: dict | None, default_currency: str = "USD") -> Money | None:
    if not money_set:
        return None
    shop = money_set["shopMoney"]
    return Money.parse(str(shop["amount"]), shop.get("currencyCode") or default_currency)


def order_from_node(node: dict, shop: str) -> Order:
    """A Shopify order node as our Order; the order number (#1001) is the same key the CSV export uses."""
    address = node.get("shippingAddress") or {}
    country = (address.get("countryCodeV2") or "US").upper()
    total = _money(node.get("totalPriceSet")) or Money.zero()
    raw_phone = address.get("phone") or node.get("phone") or ""
    try:
        phone_number = phone(raw_phone, country) if raw_phone else ""
    except CellError:
        phone_number = ""  # a customer's typo must not stop the order coming in; the original is kept in notes
    notes = node.get("note") or ""
    if raw_phone and not phone_number:
        notes = f"{notes}\nPhone as typed: {raw_phone}".strip()
    shipping = node.get("shippingLine") or {}
    lines = tuple(
        OrderLine(item.get("sku") or "", item.get("name") or "", int(item.get("quantity") or 1),
                  _money(item.get("originalUnitPriceSet"), total.currency))
        for item in (node.get("lineItems") or {}).get("nodes", []))
    return Order(
        order_ref=node["name"], customer_name=address.get("name") or node.get("email") or node["name"],
        address=Address(address.get("address1") or "", address.get("city") or "", clean_postcode(address.get("zip") or "", country),
                        country, address.get("address2") or address.get("company") or "", address.get("province") or ""),
        delivery_option=DeliveryOption(delivery_option(shipping.get("title") or "", "standard")),
        created_at=from_iso(node.get("createdAt")) or utcnow(), phone=phone_number, email=node.get("email") or "", value=total,
        notes=notes, source="shopify", lines=lines,
    )
