"""WooCommerce REST v3: orders modified since a cursor (page/per_page, X-WP-TotalPages) and shipping notes with tracking."""
from __future__ import annotations

import asyncio
import html
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx

from ...domain import Address, DeliveryOption, Money, Order, OrderLine, utcnow
from ...store.secrets import get_secret
from ..validation import CellError, clean_postcode, delivery_option, phone
from .base import Fulfilment, Page, ShopError, request_with_retries

PER_PAGE = 100  # WordPress allows at most 100


class WooCommerceClient:
    """One WooCommerce site. Consumer key and secret live in the keychain (account "shop:<name>")."""

    def __init__(self, name: str, site_url: str, *, key: str | None = None, secret: str | None = None,
                 client: httpx.AsyncClient | None = None, sleep=asyncio.sleep, shipment_tracking: bool = False) -> None:
        self.name = name
        self.base = f"{site_url.rstrip('/')}/wp-json/wc/v3"
        self.site = site_url.rstrip("/")
        parts = urlsplit(site_url)
        # Basic auth sends the keys as they are: only over HTTPS (or to this machine, for a local test shop).
        if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ShopError(f"{site_url} is not an https:// address.", "WooCommerce keys may only be sent over HTTPS.")
        self._key, self._secret = key, secret
        self._client = client
        self._sleep = sleep
        self.shipment_tracking = shipment_tracking  # the Shipment Tracking extension is installed

    def _auth(self) -> httpx.BasicAuth:
        key = self._key or get_secret(f"shop:{self.name}", "consumer_key")
        secret = self._secret or get_secret(f"shop:{self.name}", "consumer_secret")
        if not key or not secret:
            raise ShopError(f"No WooCommerce keys saved for {self.name}.", "Add the consumer key and secret in Settings > Shops.")
        return httpx.BasicAuth(key, secret)

    async def _call(self, method: str, url: str, **kwargs) -> httpx.Response:
        auth = self._auth()
        client = self._client or httpx.AsyncClient(timeout=30)
        try:
            response = await request_with_retries(lambda: client.request(method, url, auth=auth, **kwargs),
                                                  "WooCommerce", sleep=self._sleep)
        finally:
            if self._client is None:
                await client.aclose()
        if response.status_code in (200, 201):
            return response
        try:
            body = response.json()
        except ValueError:
            body = {}
        code, message = body.get("code", ""), body.get("message", response.text[:200])
        if response.status_code == 401:
            raise ShopError(f"WooCommerce refused the keys for {self.name}: {message}", "Check the consumer key and secret (Read/Write).")
        if code == "rest_no_route" or response.status_code == 404:
            raise ShopError(f"WooCommerce API not found at {self.site} ({code or 'HTTP 404'}).",
                            "Check the address and that WordPress permalinks are not set to 'Plain'.")
        raise ShopError(f"WooCommerce answered HTTP {response.status_code}: {message}")

    async def pages(self, since: datetime | None):
        page, total_pages = 1, 1
        while page <= total_pages:
            params = {"page": page, "per_page": PER_PAGE, "orderby": "id", "order": "asc", "dates_are_gmt": "true"}
            if since:
                params["modified_after"] = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            response = await self._call("GET", f"{self.base}/orders", params=params)
            total_pages = int(response.headers.get("X-WP-TotalPages") or 1)
            orders, skipped, newest = [], [], None
            for item in response.json():
                try:
                    orders.append(order_from_json(item))
                except (CellError, ValueError, KeyError, TypeError) as exc:
                    skipped.append(f"{item.get('number', item.get('id'))}: {exc}")
                changed = _gmt(item.get("date_modified_gmt"))
                newest = max(newest, changed) if newest and changed else (changed or newest)
            yield Page(orders, newest, skipped)
            page += 1

    async def _order_id(self, number: str) -> int:
        response = await self._call("GET", f"{self.base}/orders", params={"search": number, "per_page": 10})
        for item in response.json():
            if str(item.get("number")) == number:
                return int(item["id"])
        if number.isdigit():
            return int(number)
        raise ShopError(f"WooCommerce has no order {number}.")

    async def push_fulfilment(self, fulfilment: Fulfilment) -> str:
        """Add the tracking (extension if installed, else a customer note WooCommerce emails) and complete the order."""
        order_id = await self._order_id(fulfilment.order_ref)
        if self.shipment_tracking:
            body = {"tracking_number": fulfilment.tracking_number, "custom_tracking_provider": fulfilment.carrier}
            if fulfilment.tracking_url:
                body["custom_tracking_link"] = fulfilment.tracking_url
            await self._call("POST", f"{self.site}/wp-json/wc-shipment-tracking/v3/orders/{order_id}/shipment-trackings", json=body)
        link = f" Track it here: {fulfilment.tracking_url}" if fulfilment.tracking_url else ""
        note = await self._call("POST", f"{self.base}/orders/{order_id}/notes", json={
            "note": f"Your order is on its way with {fulfilment.carrier}, tracking number {fulfilment.tracking_number}.{link}",
            "customer_note": fulfilment.notify_customer})
        await self._call("PUT", f"{self.base}/orders/{order_id}", json={"status": "completed"})
        return str(note.json().get("id", ""))


def _gmt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc) if text else None


def order_from_json(item: dict) -> Order:
    shipping, billing = item.get("shipping") or {}, item.get("billing") or {}
    place = shipping if shipping.get("address_1") else billing
    country = (place.get("country") or "US").upper()
    currency = item.get("currency") or "USD"
    raw_phone = shipping.get("phone") or billing.get("phone") or ""
    try:
        phone_number = phone(raw_phone, country) if raw_phone else ""
    except CellError:
        phone_number = ""
    name = " ".join(p for p in (place.get("first_name"), place.get("last_name")) if p) or place.get("company") or billing.get("email", "")
    method = " ".join(line.get("method_title") or "" for line in item.get("shipping_lines") or [])
    lines = tuple(
        OrderLine(line.get("sku") or "", html.unescape(line.get("name") or ""), int(line.get("quantity") or 1),
                  Money.parse(str(line["price"]), currency) if line.get("price") is not None else None)
        for line in item.get("line_items") or [])
    return Order(
        order_ref=str(item.get("number") or item["id"]), customer_name=name,
        address=Address(place.get("address_1") or "", place.get("city") or "", clean_postcode(place.get("postcode") or "", country),
                        country, place.get("address_2") or "", place.get("state") or ""),
        delivery_option=DeliveryOption(delivery_option(method, "standard")), created_at=_gmt(item.get("date_created_gmt")) or utcnow(),
        phone=phone_number, email=billing.get("email") or "", value=Money.parse(str(item.get("total") or "0"), currency),
        notes=item.get("customer_note") or "", source="woocommerce", lines=lines,
    )
