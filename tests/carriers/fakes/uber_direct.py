"""A fake Uber Direct API on 127.0.0.1: OAuth token endpoint, quotes, deliveries with idempotency keys."""
from __future__ import annotations

import base64
import itertools
import json

from .server import FakeServer, Reply, Request

CUSTOMER_ID = "9bd1b6c2-7fbb-4a4c-9a0e-1f3c2b8e6a55"
CLIENT_ID = "uber-client-id"
CLIENT_SECRET = "uber-client-secret-value"
PREFIX = f"/v1/customers/{CUSTOMER_ID}"


class FakeUberDirect(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.deliveries: dict[str, dict] = {}
        self.by_key: dict[str, str] = {}
        self.created: list[str] = []
        self.tokens: list[str] = []  # the tokens still valid
        self.issued = 0  # every token ever granted: a renewed token never repeats a revoked one, as at Uber
        self._ids = itertools.count(1)
        self.route("POST", "/oauth/v2/token", self.token)
        self.route("POST", f"{PREFIX}/delivery_quotes", self.quote)
        self.route("POST", f"{PREFIX}/deliveries", self.create)
        self.route("GET", f"{PREFIX}/deliveries", self.index)
        self.route("GET", f"{PREFIX}/deliveries/(?P<id>[^/]+)", self.get)
        self.route("POST", f"{PREFIX}/deliveries/(?P<id>[^/]+)/cancel", self.cancel)
        self.route("POST", f"{PREFIX}/deliveries/(?P<id>[^/]+)/proof-of-delivery", self.proof)

    def _handle(self, request: Request) -> Reply:
        if request.path.startswith(PREFIX):
            header = request.headers.get("authorization", "")
            if not header.startswith("Bearer ") or header[7:] not in self.tokens:
                return Reply(401, {"code": "unauthorized", "message": "The supplied token is invalid.", "kind": "error"})
        return super()._handle(request)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def token(self, request: Request) -> Reply:
        form = request.form
        if (form.get("client_id"), form.get("client_secret"), form.get("grant_type")) != (CLIENT_ID, CLIENT_SECRET, "client_credentials"):
            return Reply(401, {"error": "invalid_client", "message": "invalid client credentials"})
        self.issued += 1
        token = f"tok{self.issued}"
        self.tokens.append(token)
        return Reply(200, {"access_token": token, "expires_in": 2592000, "token_type": "Bearer", "scope": "eats.deliveries"})

    @staticmethod
    def _undeliverable(body: dict) -> Reply | None:
        if json.loads(body["dropoff_address"])["zip_code"] == "00000":
            return Reply(400, {"code": "address_undeliverable", "kind": "error",
                               "message": "The specified location is not in a deliverable area."})
        return None

    def quote(self, request: Request) -> Reply:
        body = request.json
        return self._undeliverable(body) or Reply(200, {
            "kind": "delivery_quote", "id": f"dqt_{next(self._ids)}", "created": "2026-11-25T16:00:00Z",
            "expires": "2026-11-25T16:15:00Z", "fee": 799, "currency": "usd", "currency_type": "USD",
            "dropoff_eta": "2026-11-25T16:52:00Z", "duration": 52, "pickup_duration": 12})

    def create(self, request: Request) -> Reply:
        body = request.json
        problem = self._undeliverable(body)
        if problem:
            return problem
        key = body.get("idempotency_key")
        if key and key in self.by_key:
            return Reply(409, {"code": "duplicate_delivery", "kind": "error",
                               "message": "An active delivery like this already exists.",
                               "metadata": {"delivery_id": self.by_key[key]}})
        delivery_id = f"del_{next(self._ids):06d}"
        delivery = {
            "id": delivery_id, "kind": "delivery", "quote_id": body.get("quote_id"), "external_id": body.get("external_id"),
            "status": "pending", "complete": False, "live_mode": False, "fee": 799, "currency": "usd",
            "tracking_url": f"https://www.ubereats.com/orders/{delivery_id}", "created": "2026-11-25T16:01:00Z",
            "updated": "2026-11-25T16:01:00Z", "pickup_eta": "2026-11-25T16:13:00Z", "dropoff_eta": "2026-11-25T16:52:00Z",
            "courier": None, "courier_imminent": False, "related_deliveries": [], "undeliverable_reason": "",
        }
        self.deliveries[delivery_id] = delivery
        self.created.append(delivery_id)
        if key:
            self.by_key[key] = delivery_id
        return Reply(200, delivery)

    def index(self, request: Request) -> Reply:
        listed = list(reversed(self.deliveries.values()))
        limit, offset = int(request.query.get("limit", 20)), int(request.query.get("offset", 0))
        chunk = listed[offset: offset + limit]
        more = offset + limit < len(listed)
        return Reply(200, {"data": chunk, "next_href": f"{PREFIX}/deliveries?offset={offset + limit}" if more else None,
                           "total_count": -1})

    def get(self, request: Request) -> Reply:
        delivery = self.deliveries.get(request.params["id"])
        if delivery is None:
            return Reply(404, {"code": "delivery_not_found", "message": "The requested delivery does not exist.", "kind": "error"})
        return Reply(200, delivery)

    def cancel(self, request: Request) -> Reply:
        delivery = self.deliveries[request.params["id"]]
        if delivery["status"] not in ("pending", "pickup"):
            return Reply(400, {"code": "noncancelable_delivery", "kind": "error",
                               "message": "Delivery cannot be cancelled."})
        delivery.update(status="canceled", updated="2026-11-25T16:05:00Z")
        return Reply(200, delivery)

    def proof(self, request: Request) -> Reply:
        if self.deliveries[request.params["id"]]["status"] != "delivered":
            return Reply(404, {"code": "not_found", "message": "No proof of delivery yet.", "kind": "error"})
        return Reply(200, {"document": base64.b64encode(b"\x89PNG fake photo").decode()})

    def move(self, delivery_id: str, status: str, updated: str, *, lat: float | None = None, lng: float | None = None,
             imminent: bool = False) -> None:
        delivery = self.deliveries[delivery_id]
        delivery.update(status=status, updated=updated, courier_imminent=imminent)
        if lat is not None:
            delivery["courier"] = {"name": "Sam", "vehicle_type": "car", "phone_number": "+1555*****12",
                                   "location": {"lat": lat, "lng": lng}}

    def add_return(self, delivery_id: str, status: str) -> str:
        return_id = f"del_{next(self._ids):06d}"
        self.deliveries[return_id] = {**self.deliveries[delivery_id], "id": return_id, "status": status,
                                      "updated": "2026-11-25T18:00:00Z", "related_deliveries": []}
        self.deliveries[delivery_id]["related_deliveries"] = [{"id": return_id, "relationship": "return"}]
        return return_id
