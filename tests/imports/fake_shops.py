"""Shopify- and WooCommerce-shaped servers on 127.0.0.1 for the shop-sync tests (shapes from shared/reference)."""
from __future__ import annotations

import base64
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

START = datetime(2025, 10, 1, 8, 0, tzinfo=timezone.utc)


class FakeShopify:
    """Orders #1001.. with updatedAt one minute apart; a cost bucket; THROTTLED when the bucket is empty."""

    def __init__(self, count: int, token: str = "shpat_test") -> None:
        self.token = token
        self.orders = [self._order(i) for i in range(count)]
        self.bucket, self.maximum, self.restore = 1000.0, 1000.0, 100000.0
        self._refilled = time.monotonic()
        self.throttle_next = 0
        self.requests: list[dict] = []
        self.fulfilments: list[dict] = []

    def _order(self, i: int) -> dict:
        when = (START + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "id": f"gid://shopify/Order/{5000 + i}", "name": f"#{1001 + i}", "email": f"c{i}@example.com", "phone": None,
            "createdAt": when, "updatedAt": when, "note": "Leave at the door" if i % 2 else None,
            "displayFulfillmentStatus": "UNFULFILLED",
            "totalPriceSet": {"shopMoney": {"amount": "42.50", "currencyCode": "CAD"}},
            "shippingLine": {"title": "Express" if i % 3 == 0 else "Standard", "code": "std"},
            "shippingAddress": {"name": f"Zoë Customer {i}", "company": None, "address1": f"{i + 1} Sussex Dr",
                                "address2": None, "city": "Ottawa", "province": "Ontario", "zip": "k1m1m4",
                                "countryCodeV2": "CA", "phone": "+1 613 555 0199" if i != 3 else "not a phone"},
            "lineItems": {"nodes": [{"name": "Maple syrup", "sku": "MPL-1", "quantity": 2,
                                     "originalUnitPriceSet": {"shopMoney": {"amount": "21.25", "currencyCode": "CAD"}}}]},
        }

    def handle(self, handler: BaseHTTPRequestHandler, body: dict) -> tuple[int, dict, dict]:
        if handler.headers.get("X-Shopify-Access-Token") != self.token:
            return 401, {}, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
        self.requests.append(body)
        now = time.monotonic()
        self.bucket = min(self.maximum, self.bucket + (now - self._refilled) * self.restore)
        self._refilled = now
        query, variables = body["query"], body.get("variables") or {}
        requested = 530.0 if "orders(first: $first" in query else 10.0
        if self.throttle_next or self.bucket < requested:
            self.throttle_next = max(0, self.throttle_next - 1)
            self.bucket = 0.0
            return 200, {}, {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                                                                                "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                             "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                                     "throttleStatus": self._status()}}}
        self.bucket -= requested
        if "fulfillmentCreate" in query:
            self.fulfilments.append(variables["fulfillment"])
            data = {"fulfillmentCreate": {"fulfillment": {"id": "gid://shopify/Fulfillment/77", "status": "SUCCESS",
                                                          "trackingInfo": [variables["fulfillment"]["trackingInfo"]]},
                                          "userErrors": []}}
        elif "fulfillmentOrders" in query:
            name = variables["query"].split("'")[1]
            found = [o for o in self.orders if o["name"] == name]
            data = {"orders": {"nodes": [{"id": o["id"], "name": o["name"], "fulfillmentOrders": {"nodes": [
                {"id": "gid://shopify/FulfillmentOrder/9" + o["id"].rsplit("/", 1)[1], "status": "OPEN"},
                {"id": "gid://shopify/FulfillmentOrder/1", "status": "CLOSED"}]}} for o in found]}}
        else:
            data = {"orders": self._page(variables)}
        return 200, {}, {"data": data, "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": requested / 2,
                                                                "throttleStatus": self._status()}}}

    def _status(self) -> dict:
        return {"maximumAvailable": self.maximum, "currentlyAvailable": self.bucket, "restoreRate": self.restore}

    def _page(self, variables: dict) -> dict:
        orders = sorted(self.orders, key=lambda o: o["updatedAt"])
        search = variables.get("query")
        if search:
            since = search.split("'")[1]
            orders = [o for o in orders if o["updatedAt"] >= since]
        start = int(variables["after"]) if variables.get("after") else 0
        page = orders[start:start + variables["first"]]
        more = start + len(page) < len(orders)
        return {"nodes": page, "pageInfo": {"hasNextPage": more, "endCursor": str(start + len(page)) if page else None}}


class FakeWoo:
    """/wp-json/wc/v3/orders with page/per_page, X-WP-Total(Pages), Basic auth, notes and status updates."""

    def __init__(self, count: int, key: str = "ck_test", secret: str = "cs_test") -> None:
        self.auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.orders = [self._order(i) for i in range(count)]
        self.fail_next = 0
        self.requests: list[tuple[str, str, dict]] = []
        self.notes: list[tuple[int, dict]] = []
        self.updates: list[tuple[int, dict]] = []

    def _order(self, i: int) -> dict:
        when = (START + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S")
        address = {"first_name": "Jürgen", "last_name": f"Weiß {i}", "company": "", "address_1": f"Königsallee {i + 1}",
                   "address_2": "", "city": "Düsseldorf", "state": "NW", "postcode": "40212", "country": "DE"}
        return {"id": 700 + i, "number": str(2000 + i), "status": "processing", "currency": "EUR",
                "date_created_gmt": when, "date_modified_gmt": when, "customer_note": "",
                "billing": {**address, "email": f"j{i}@example.de", "phone": "0170 1234567"}, "shipping": address,
                "line_items": [{"id": 1, "name": "Kaffeem&uuml;hle &ndash; Edelstahl", "product_id": 5, "quantity": 1,
                                "sku": "KM-1", "price": 49.9, "subtotal": "49.90", "total": "49.90"}],
                "shipping_lines": [{"id": 1, "method_title": "Express" if i % 2 else "Flat rate", "method_id": "flat_rate", "total": "4.90"}],
                "total": "54.80"}

    def handle(self, handler, method: str, body: dict | None) -> tuple[int, dict, object]:
        url = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.requests.append((method, url.path, query))
        if self.fail_next:
            self.fail_next -= 1
            return 500, {}, {"code": "internal_server_error", "message": "Something went wrong", "data": {"status": 500}}
        if handler.headers.get("Authorization") != self.auth:
            return 401, {}, {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": {"status": 401}}
        parts = url.path.split("/")
        if url.path == "/wp-json/wc/v3/orders" and method == "GET":
            orders = self.orders
            if "search" in query:
                orders = [o for o in orders if query["search"] in o["number"]]
            if "modified_after" in query:
                orders = [o for o in orders if o["date_modified_gmt"] > query["modified_after"]]
            per_page, page = int(query.get("per_page", 10)), int(query.get("page", 1))
            if per_page > 100:
                return 400, {}, {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page", "data": {"status": 400}}
            total_pages = max(1, -(-len(orders) // per_page))
            chunk = orders[(page - 1) * per_page: page * per_page]
            return 200, {"X-WP-Total": str(len(orders)), "X-WP-TotalPages": str(total_pages)}, chunk
        if len(parts) == 7 and parts[6] == "notes" and method == "POST":
            self.notes.append((int(parts[5]), body))
            return 201, {}, {"id": 31, "note": body["note"], "customer_note": body["customer_note"]}
        if len(parts) == 6 and method == "PUT":
            self.updates.append((int(parts[5]), body))
            return 200, {}, {"id": int(parts[5]), **body}
        return 404, {}, {"code": "rest_no_route", "message": "No route was found matching the URL and request method.", "data": {"status": 404}}


def serve(shop) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            if isinstance(shop, FakeShopify):
                status, headers, payload = shop.handle(self, body)
            else:
                status, headers, payload = shop.handle(self, method, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            self._answer("GET")

        def do_POST(self):  # noqa: N802
            self._answer("POST")

        def do_PUT(self):  # noqa: N802
            self._answer("PUT")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
