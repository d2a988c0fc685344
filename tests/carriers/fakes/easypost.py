"""A fake EasyPost API (v2 wire shapes) on 127.0.0.1 that records every purchase."""
from __future__ import annotations

import base64
import itertools

from .server import FakeServer, Reply, Request

API_KEY = "EZTK_test_key_123456"


class FakeEasyPost(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.shipments: dict[str, dict] = {}
        self.purchases: list[str] = []  # shipment ids, one per buy that took effect
        self.stale_reads = 0  # answer this many GETs as if the shipment were not bought yet
        self._ids = itertools.count(1)
        self.route("POST", "/shipments", self.create)
        self.route("GET", "/shipments", self.index)
        self.route("GET", "/shipments/(?P<id>[^/]+)", self.retrieve)
        self.route("POST", "/shipments/(?P<id>[^/]+)/buy", self.buy)
        self.route("POST", "/shipments/(?P<id>[^/]+)/refund", self.refund)

    def _authorised(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
        return request.headers.get("authorization") == expected

    def _handle(self, request: Request) -> Reply:
        if not self._authorised(request):
            return Reply(401, {"error": {"code": "APIKEY.INACTIVE", "message": "This api key is no longer active.", "errors": []}})
        return super()._handle(request)

    def create(self, request: Request) -> Reply:
        body = request.json["shipment"]
        if body["to_address"]["zip"] == "00000":
            return Reply(422, {"error": {"code": "ADDRESS.VERIFY.FAILURE", "message": "Unable to verify address.",
                                         "errors": [{"field": "address", "message": "Address not found"}]}})
        number = next(self._ids)
        shipment_id = f"shp_{number:04d}"
        shipment = {
            "id": shipment_id, "object": "Shipment", "mode": "test", "reference": body.get("reference"),
            "is_return": body.get("is_return", False), "status": "unknown", "tracking_code": None,
            "selected_rate": None, "postage_label": None, "tracker": None, "messages": [],
            "to_address": body["to_address"], "from_address": body["from_address"], "parcel": body["parcel"],
            "rates": [
                {"id": f"rate_{number:04d}a", "object": "Rate", "carrier": "USPS", "service": "Priority", "rate": "8.20",
                 "currency": "USD", "delivery_days": 2, "delivery_date": "2026-11-27T17:00:00Z", "shipment_id": shipment_id},
                {"id": f"rate_{number:04d}b", "object": "Rate", "carrier": "UPS", "service": "Ground", "rate": "11.05",
                 "currency": "USD", "delivery_days": 4, "delivery_date": None, "shipment_id": shipment_id},
            ],
        }
        self.shipments[shipment_id] = shipment
        return Reply(201, shipment)

    def index(self, request: Request) -> Reply:
        listed = [s for s in reversed(self.shipments.values())
                  if request.query.get("purchased", "true") != "true" or s["tracking_code"]]
        if "before_id" in request.query:
            ids = [s["id"] for s in listed]
            listed = listed[ids.index(request.query["before_id"]) + 1:]
        size = int(request.query.get("page_size", 20))
        return Reply(200, {"shipments": listed[:size], "has_more": len(listed) > size})

    def retrieve(self, request: Request) -> Reply:
        shipment = self.shipments.get(request.params["id"])
        if shipment is None:
            return Reply(404, {"error": {"code": "NOT_FOUND", "message": "The requested resource could not be found.", "errors": []}})
        if self.stale_reads:
            self.stale_reads -= 1
            return Reply(200, {**shipment, "tracking_code": None, "selected_rate": None, "postage_label": None})
        return Reply(200, shipment)

    def buy(self, request: Request) -> Reply:
        shipment = self.shipments[request.params["id"]]
        if shipment["tracking_code"]:
            return Reply(422, {"error": {"code": "SHIPMENT.POSTAGE.EXISTS", "message": "Postage already exists for this shipment.", "errors": []}})
        rate = next(r for r in shipment["rates"] if r["id"] == request.json["rate"]["id"])
        code = f"EZ{len(self.purchases) + 1:010d}"
        shipment.update({
            "selected_rate": rate, "tracking_code": code, "status": "pre_transit",
            "postage_label": {"label_file_type": "application/pdf", "label_url": f"https://labels.example/{code}.png",
                              "label_pdf_url": f"https://labels.example/{code}.pdf"},
            "tracker": {"id": f"trk_{code}", "tracking_code": code, "status": "pre_transit",
                        "public_url": f"https://track.easypost.com/{code}", "est_delivery_date": "2026-11-27T17:00:00Z",
                        "tracking_details": [{"status": "pre_transit", "status_detail": "label_created",
                                              "message": "Pre-Shipment Info Sent to USPS", "datetime": "2026-11-25T10:00:00Z",
                                              "tracking_location": {"city": None, "state": None, "zip": None, "country": None}}]},
        })
        self.purchases.append(shipment["id"])
        return Reply(200, shipment)

    def refund(self, request: Request) -> Reply:
        shipment = self.shipments[request.params["id"]]
        shipment["refund_status"] = "submitted"
        return Reply(200, shipment)

    def add_tracking(self, shipment_id: str, status: str, detail: str, message: str, when: str, city: str = "") -> None:
        tracker = self.shipments[shipment_id]["tracker"]
        tracker["status"] = status
        tracker["tracking_details"].append({"status": status, "status_detail": detail, "message": message, "datetime": when,
                                            "tracking_location": {"city": city or None, "state": "CA", "zip": None, "country": "US"}})
