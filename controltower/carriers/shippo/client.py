"""Shippo over HTTPS: rates, label purchase, tracking, refunds and returns; lost purchases found by metadata."""
from __future__ import annotations

import asyncio

import httpx

from ...domain import Quote, TrackingEvent
from ...domain.models import CarrierKind
from ..base import (
    AdapterConfig, Booking, BookingNotFound, CancelResult, Capability, ConnectionResult,
    CredentialField, RateLimit, Label, ServiceUnavailable, ShipmentRequest, UnknownOutcome,
)
from ..http import CarrierHttp, reading_response
from ..local_time import zone_named
from ..lookup import LookupBeforeRetry
from . import parse, requests

BASE_URL = "https://api.goshippo.com"
API_VERSION = "2018-02-08"
LOOKUP_PAGES = 3  # pages of 100 recent transactions scanned for our reference (list calls are rate-limited)
PENDING_POLLS = 10


class ShippoAdapter(LookupBeforeRetry):
    code = "shippo"
    name = "Shippo"
    kind = CarrierKind.PARCEL
    published_limit = RateLimit.per_minute(500)  # live keys: rate, label and tracking calls 500 a minute
    capabilities = frozenset({Capability.QUOTE, Capability.BOOK, Capability.LABEL, Capability.TRACK,
                              Capability.CANCEL, Capability.RETURN})
    credential_fields = (CredentialField("api_token", "API token", placeholder="shippo_test_… or shippo_live_…"),)

    @property
    def rate_limit(self) -> RateLimit | None:
        if "requests_per_minute" not in self.config.settings and self.config.credentials.get("api_token", "").startswith("shippo_test_"):
            return RateLimit.per_minute(50)  # test keys get a tenth of the live budget
        return super().rate_limit

    def __init__(self, config: AdapterConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config)
        self.http = CarrierHttp(self.code, config.base_url or BASE_URL, name=self.name, timeout_s=config.timeout_s,
                                headers={"SHIPPO-API-VERSION": API_VERSION},
                                auth_headers=lambda: {"Authorization": f"ShippoToken {config.credential('api_token')}"},
                                error_parser=parse.error_info, classify=parse.classify, transport=transport)
        self.poll_interval_s = float(config.settings.get("poll_interval_s", 1.0))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def quote(self, request: ShipmentRequest) -> list[Quote]:
        shipment = await self.http.request("POST", "/shipments", json_body=requests.create_shipment(request), write=False)
        with reading_response(self.code):
            found = parse.quotes(shipment, carrier=self.code)
        if not found:
            raise ServiceUnavailable(self.code, "Shippo found no rates for this parcel",
                                     carrier_message=parse.messages_text(shipment))
        return found

    async def _buy(self, request: ShipmentRequest, *, is_return: bool) -> Booking:
        rate = await self._rate_to_buy(request, is_return)
        transaction = await self.http.request("POST", "/transactions",
                                              json_body=requests.transaction(rate["object_id"], request.our_reference))
        transaction = await self._until_settled(transaction)
        if transaction.get("status") != "SUCCESS":
            raise parse.failed_purchase_error(transaction)
        with reading_response(self.code, write=True):
            return parse.booking(transaction, rate, request.our_reference, carrier=self.code)

    async def _rate_to_buy(self, request: ShipmentRequest, is_return: bool) -> dict:
        if request.quote_id:
            return await self.http.request("GET", f"/rates/{request.quote_id}")
        shipment = await self.http.request("POST", "/shipments", write=False,
                                           json_body=requests.create_shipment(request, is_return=is_return))
        with reading_response(self.code):
            choices = {q.external_id: q for q in parse.quotes(shipment, carrier=self.code)}
            rates = [r for r in shipment["rates"] if not request.service or choices[r["object_id"]].service == request.service]
        if not rates:
            raise ServiceUnavailable(self.code, f"Shippo offered no {request.service or 'rate'} for this parcel",
                                     carrier_message=parse.messages_text(shipment))
        return min(rates, key=lambda r: choices[r["object_id"]].price.amount_minor)

    async def _until_settled(self, transaction: dict) -> dict:
        """Shippo may answer QUEUED/WAITING even with async=false: poll the transaction until it settles."""
        for _ in range(PENDING_POLLS):
            if transaction.get("status") not in parse.TRANSACTION_PENDING:
                return transaction
            await asyncio.sleep(self.poll_interval_s)
            transaction = await self.http.request("GET", f"/transactions/{transaction['object_id']}", write=True)
        raise UnknownOutcome(self.code, "Shippo is still working on the label purchase")

    async def find_booking_by_reference(self, our_reference: str) -> Booking | None:
        """Our purchase, by scanning recent transactions' metadata (Shippo cannot filter on it)."""
        for page in range(1, LOOKUP_PAGES + 1):
            listing = await self.http.request("GET", "/transactions", params={"results": 100, "page": page})
            with reading_response(self.code):
                results = listing["results"]
                match = next((t for t in results if t.get("metadata") == our_reference
                              and t.get("status") in ("SUCCESS", *parse.TRANSACTION_PENDING)), None)
            if match is not None:
                match = await self._until_settled(match)
                rate_id = match["rate"]["object_id"] if isinstance(match["rate"], dict) else match["rate"]
                rate = await self.http.request("GET", f"/rates/{rate_id}")
                with reading_response(self.code):
                    return parse.booking(match, rate, our_reference, carrier=self.code)
            if not listing.get("next"):
                return None
        return None

    async def track(self, tracking_ref: str) -> list[TrackingEvent]:
        _, carrier, number = requests.split_booking_ref(tracking_ref)
        track = await self.http.request("GET", f"/tracks/{carrier}/{number}")
        with reading_response(self.code):
            return parse.tracking_events(track, carrier=self.code, local_zone=zone_named(self.config.local_zone))

    async def label(self, tracking_ref: str) -> Label:
        transaction_id, _, _ = requests.split_booking_ref(tracking_ref)
        transaction = await self.http.request("GET", f"/transactions/{transaction_id}")
        if not transaction.get("label_url"):
            raise BookingNotFound(self.code, f"Shippo has no label for {transaction_id}")
        return Label("PDF", transaction["label_url"])

    async def cancel(self, tracking_ref: str) -> CancelResult:
        transaction_id, _, _ = requests.split_booking_ref(tracking_ref)
        refund = await self.http.request("POST", "/refunds", json_body={"transaction": transaction_id, "async": False})
        with reading_response(self.code, write=True):
            return parse.cancel_result(tracking_ref, refund)

    async def refund_status(self, tracking_ref: str) -> CancelResult:
        transaction_id, _, _ = requests.split_booking_ref(tracking_ref)
        transaction = await self.http.request("GET", f"/transactions/{transaction_id}")
        with reading_response(self.code):
            return parse.refund_result(tracking_ref, transaction)

    async def test_connection(self) -> ConnectionResult:
        await self.http.request("GET", "/carrier_accounts", params={"results": 1})
        mode = "test" if self.config.credential("api_token").startswith("shippo_test_") else "live"
        return ConnectionResult(True, f"Connected to Shippo ({mode} token).")
