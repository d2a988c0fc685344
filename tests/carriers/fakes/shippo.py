"""A fake Shippo API on 127.0.0.1 that records every label purchase."""
from __future__ import annotations

import itertools

from .server import FakeServer, Reply, Request

API_TOKEN = "shippo_test_0123456789abcdef"


class FakeShippo(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.rates: dict[str, dict] = {}
        self.transactions: dict[str, dict] = {}
        self.tracks: dict[str, dict] = {}
        self.purchases: list[str] = []
        self.queue_next_purchase = False  # answer QUEUED first, SUCCESS on the next GET
        self.refuse_next_purchase = ""  # the carrier's message for a transaction that ends in ERROR
        self._ids = itertools.count(1)
        self.route("POST", "/shipments", self.create_shipment)
        self.route("GET", "/rates/(?P<id>[^/]+)", self.get_rate)
        self.route("POST", "/transactions", self.create_transaction)
        self.route("GET", "/transactions", self.list_transactions)
        self.route("GET", "/transactions/(?P<id>[^/]+)", self.get_transaction)
        self.route("GET", "/tracks/(?P<carrier>[^/]+)/(?P<number>[^/]+)", self.get_track)
        self.route("POST", "/refunds", self.refund)
        self.route("GET", "/carrier_accounts", lambda r: Reply(200, {"next": None, "previous": None, "results": []}))

    def _handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"ShippoToken {API_TOKEN}":
            return Reply(401, {"detail": "Token does not exist"})
        return super()._handle(request)

    def create_shipment(self, request: Request) -> Reply:
        body = request.json
        if body["address_to"]["zip"] == "00000":
            return Reply(400, {"address_to": ["The address could not be validated"]})
        number = next(self._ids)
        rates = []
        for suffix, provider, token, amount in (("a", "USPS", "usps_priority", "7.58"), ("b", "UPS", "ups_ground", "10.21")):
            rate = {"object_id": f"rate{number}{suffix}", "amount": amount, "currency": "USD", "provider": provider,
                    "servicelevel": {"name": token.split("_")[1].title(), "token": token}, "estimated_days": 2,
                    "arrives_by": None, "shipment": f"shp{number}"}
            self.rates[rate["object_id"]] = rate
            rates.append(rate)
        return Reply(201, {"object_id": f"shp{number}", "status": "SUCCESS", "metadata": body.get("metadata", ""),
                           "rates": rates, "messages": []})

    def get_rate(self, request: Request) -> Reply:
        rate = self.rates.get(request.params["id"])
        return Reply(200, rate) if rate else Reply(404, {"detail": "Not found."})

    def create_transaction(self, request: Request) -> Reply:
        body = request.json
        rate = self.rates[body["rate"]]
        number = next(self._ids)
        tracking = f"9205590{number:08d}"
        transaction = {
            "object_id": f"txn{number}", "status": "SUCCESS", "rate": rate["object_id"], "metadata": body.get("metadata", ""),
            "tracking_number": tracking, "tracking_status": "UNKNOWN",
            "tracking_url_provider": f"https://tools.usps.com/go/TrackConfirmAction?tLabels={tracking}",
            "label_url": f"https://shippo-delivery.example/{tracking}.pdf", "eta": "2026-11-27T18:00:00Z", "messages": [],
        }
        if self.refuse_next_purchase:
            transaction.update(status="ERROR", tracking_number="", label_url="",
                               messages=[{"source": rate["provider"], "code": "", "text": self.refuse_next_purchase}])
            self.refuse_next_purchase = ""
            self.transactions[transaction["object_id"]] = transaction
            return Reply(201, transaction)
        if self.queue_next_purchase:
            self.queue_next_purchase = False
            transaction["status"] = "QUEUED"
        self.transactions[transaction["object_id"]] = transaction
        self.purchases.append(transaction["object_id"])
        self.tracks[tracking] = {"carrier": rate["provider"].lower(), "tracking_number": tracking, "tracking_history": [],
                                 "tracking_status": {"object_id": f"ev{number}", "status": "PRE_TRANSIT",
                                                     "status_details": "Shipping label created.",
                                                     "status_date": "2026-11-25T10:00:00Z", "substatus": None,
                                                     "location": None}}
        return Reply(201, transaction)

    def list_transactions(self, request: Request) -> Reply:
        listed = list(reversed(self.transactions.values()))
        size, page = int(request.query.get("results", 25)), int(request.query.get("page", 1))
        chunk = listed[(page - 1) * size: page * size]
        more = len(listed) > page * size
        return Reply(200, {"next": f"{self.url}/transactions?page={page + 1}" if more else None, "previous": None,
                           "results": chunk})

    def get_transaction(self, request: Request) -> Reply:
        transaction = self.transactions.get(request.params["id"])
        if transaction is None:
            return Reply(404, {"detail": "Not found."})
        if transaction["status"] == "QUEUED":
            transaction["status"] = "SUCCESS"
        return Reply(200, transaction)

    def get_track(self, request: Request) -> Reply:
        track = self.tracks.get(request.params["number"])
        if track is None:
            return Reply(200, {"carrier": request.params["carrier"], "tracking_number": request.params["number"],
                               "tracking_status": None, "tracking_history": []})
        return Reply(200, track)

    def refund(self, request: Request) -> Reply:
        return Reply(201, {"object_id": "ref1", "status": "QUEUED", "transaction": request.json["transaction"]})

    def add_tracking(self, tracking: str, status: str, substatus: str | None, details: str, when: str) -> None:
        track = self.tracks[tracking]
        track["tracking_history"].append(track["tracking_status"])
        track["tracking_status"] = {"object_id": f"ev{next(self._ids)}", "status": status, "status_details": details,
                                    "status_date": when, "substatus": {"code": substatus, "text": details} if substatus else None,
                                    "location": {"city": "Oakland", "state": "CA", "zip": "94607", "country": "US"}}
