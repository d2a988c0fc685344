"""A fake DoorDash Drive v2 on 127.0.0.1 that checks the JWT signature like DoorDash does."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from .server import FakeServer, Reply, Request

DEVELOPER_ID = "dev-1234"
KEY_ID = "key-5678"
SIGNING_SECRET = base64.urlsafe_b64encode(b"doordash-signing-secret-bytes-32").rstrip(b"=").decode()
PREFIX = "/drive/v2"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakeDoorDash(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.deliveries: dict[str, dict] = {}
        self.created: list[str] = []
        self.route("POST", f"{PREFIX}/quotes", self.quote)
        self.route("POST", f"{PREFIX}/quotes/(?P<id>[^/]+)/accept", self.accept)
        self.route("POST", f"{PREFIX}/deliveries", self.create)
        self.route("GET", f"{PREFIX}/deliveries/(?P<id>[^/]+)", self.get)
        self.route("PUT", f"{PREFIX}/deliveries/(?P<id>[^/]+)/cancel", self.cancel)

    def jwt_problem(self, header: str) -> str:
        if not header.startswith("Bearer "):
            return "missing bearer token"
        try:
            head, claims, signature = header[7:].split(".")
            expected = hmac.new(_unb64(SIGNING_SECRET), f"{head}.{claims}".encode(), hashlib.sha256).digest()
            head_json, claims_json = json.loads(_unb64(head)), json.loads(_unb64(claims))
        except ValueError:
            return "malformed JWT"
        if not hmac.compare_digest(expected, _unb64(signature)):
            return "bad signature"
        if head_json.get("dd-ver") != "DD-JWT-V1" or claims_json.get("aud") != "doordash":
            return "wrong header or audience"
        if (claims_json.get("iss"), claims_json.get("kid")) != (DEVELOPER_ID, KEY_ID):
            return "unknown developer or key"
        if not claims_json["iat"] <= time.time() + 5 < claims_json["exp"] + 5 or claims_json["exp"] - claims_json["iat"] > 1800:
            return "expired"
        return ""

    def _handle(self, request: Request) -> Reply:
        problem = self.jwt_problem(request.headers.get("authorization", ""))
        if problem:
            return Reply(401, {"code": "authentication_error", "message": f"The JWT is invalid: {problem}"})
        return super()._handle(request)

    def _delivery(self, body: dict, status: str) -> dict:
        return {"external_delivery_id": body["external_delivery_id"], "delivery_status": status, "fee": 975,
                "currency": "USD", "pickup_time_estimated": "2026-11-25T16:20:00Z",
                "dropoff_time_estimated": "2026-11-25T16:55:00Z", "tracking_url": "https://doordash.example/track/x",
                "support_reference": "1343593229", "updated_at": "2026-11-25T16:02:00Z", "cancellation_reason": None,
                "dasher_name": None, "dasher_location": None, "order_value": body.get("order_value")}

    def quote(self, request: Request) -> Reply:
        body = request.json
        if "00000" in body["dropoff_address"]:
            return Reply(422, {"code": "unprocessable_entity", "message": "Dropoff address is outside of delivery area",
                               "field_errors": [{"field": "dropoff_address", "error": "outside coverage"}]})
        delivery = self._delivery(body, "quote")
        self.deliveries.setdefault(body["external_delivery_id"], delivery)
        return Reply(200, delivery)

    def accept(self, request: Request) -> Reply:
        delivery = self.deliveries.get(request.params["id"])
        if delivery is None:
            return Reply(404, {"code": "not_found", "message": "Quote not found"})
        if delivery["delivery_status"] != "quote":
            return Reply(409, {"code": "duplicate_delivery_id", "message": "Quote already accepted"})
        delivery["delivery_status"] = "created"
        self.created.append(delivery["external_delivery_id"])
        return Reply(200, delivery)

    def create(self, request: Request) -> Reply:
        body = request.json
        existing = self.deliveries.get(body["external_delivery_id"])
        if existing is not None and existing["delivery_status"] != "quote":
            return Reply(409, {"code": "duplicate_delivery_id", "message": "Delivery with this external_delivery_id already exists"})
        delivery = self._delivery(body, "created")
        self.deliveries[body["external_delivery_id"]] = delivery
        self.created.append(body["external_delivery_id"])
        return Reply(200, delivery)

    def get(self, request: Request) -> Reply:
        delivery = self.deliveries.get(request.params["id"])
        if delivery is None:
            return Reply(404, {"code": "not_found", "message": "Delivery not found"})
        return Reply(200, delivery)

    def cancel(self, request: Request) -> Reply:
        delivery = self.deliveries[request.params["id"]]
        if delivery["delivery_status"] not in ("created", "confirmed", "enroute_to_pickup"):
            return Reply(409, {"code": "delivery_not_cancellable", "message": "Delivery can no longer be cancelled"})
        delivery.update(delivery_status="cancelled", cancellation_reason="cancelled_by_creator")
        return Reply(200, delivery)

    def move(self, delivery_id: str, status: str, updated: str, **fields) -> None:
        self.deliveries[delivery_id].update(delivery_status=status, updated_at=updated, **fields)
