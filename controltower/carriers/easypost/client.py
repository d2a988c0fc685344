"""EasyPost over HTTPS: rates, buy, trackers, refunds and returns; purchases made safe by reference lookup."""
from __future__ import annotations

import base64

import httpx

from ...domain import Quote, TrackingEvent
from ...domain.models import CarrierKind
from ..base import (
    AdapterConfig, BookingNotFound, Booking, CancelResult, Capability, CarrierError, ConnectionResult,
    CredentialField, RateLimit, Label, NotSupported, ProofOfDelivery, ServiceUnavailable, ShipmentRequest,
)
from ..http import CarrierHttp, reading_response
from ..local_time import zone_named
from ..lookup import LookupBeforeRetry
from . import parse, requests

BASE_URL = "https://api.easypost.com/v2"
LOOKUP_PAGES = 3  # pages of 100 recent purchases scanned to find an uncertain booking


class EasyPostAdapter(LookupBeforeRetry):
    code = "easypost"
    name = "EasyPost"
    kind = CarrierKind.PARCEL
    published_limit = RateLimit(5, 1.0)  # the one fixed figure (list calls); rates and buys are load-limited
    capabilities = frozenset({Capability.QUOTE, Capability.BOOK, Capability.LABEL, Capability.TRACK,
                              Capability.CANCEL, Capability.RETURN, Capability.PROOF_OF_DELIVERY})
    credential_fields = (CredentialField("api_key", "API key", placeholder="EZAK… or EZTK…"),)

    def __init__(self, config: AdapterConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config)
        self.local_zone = zone_named(config.local_zone)
        self.http = CarrierHttp(self.code, config.base_url or BASE_URL, name=self.name, timeout_s=config.timeout_s,
                                auth_headers=self._auth, error_parser=parse.error_info, classify=parse.classify,
                                transport=transport)

    def _auth(self) -> dict[str, str]:
        # HTTP Basic with the API key as the user name and no password.
        pair = base64.b64encode(f"{self.config.credential('api_key')}:".encode()).decode()
        return {"Authorization": f"Basic {pair}"}

    async def aclose(self) -> None:
        await self.http.aclose()

    async def quote(self, request: ShipmentRequest) -> list[Quote]:
        shipment = await self.http.request("POST", "/shipments", json_body=requests.create_shipment(request), write=False)
        with reading_response(self.code):
            found = parse.quotes(shipment, carrier=self.code)
        if not found:
            raise ServiceUnavailable(self.code, "EasyPost found no rates for this parcel",
                                     carrier_message=parse.rate_problem(shipment))
        return found

    async def _buy(self, request: ShipmentRequest, *, is_return: bool) -> Booking:
        if request.quote_id:
            shipment_id, rate_id = requests.split_quote_id(request.quote_id)
            shipment = await self.http.request("GET", f"/shipments/{shipment_id}")
            if parse.is_purchased(shipment):  # an earlier attempt bought it: never buy twice
                with reading_response(self.code):
                    return parse.booking(shipment, request.our_reference, carrier=self.code, local_zone=self.local_zone)
        else:
            shipment = await self.http.request("POST", "/shipments", write=False,
                                               json_body=requests.create_shipment(request, is_return=is_return))
            with reading_response(self.code):
                choices = parse.quotes(shipment, carrier=self.code)
            wanted = [q for q in choices if not request.service or q.service == request.service]
            if not wanted:
                raise ServiceUnavailable(self.code, f"EasyPost offered no {request.service or 'rate'} for this parcel",
                                         carrier_message=parse.rate_problem(shipment))
            shipment_id, rate_id = requests.split_quote_id(wanted[0].external_id)
        try:
            bought = await self.http.request("POST", f"/shipments/{shipment_id}/buy", json_body=requests.buy(rate_id))
        except CarrierError as exc:
            if exc.code != parse.ALREADY_BOUGHT:
                raise
            bought = await self.http.request("GET", f"/shipments/{shipment_id}")  # bought by an earlier attempt
        with reading_response(self.code, write=True):
            return parse.booking(bought, request.our_reference, carrier=self.code, local_zone=self.local_zone)

    async def find_booking_by_reference(self, our_reference: str) -> Booking | None:
        """The purchased shipment carrying our reference, scanning recent purchases newest first."""
        params: dict = {"purchased": "true", "page_size": 100}
        for _ in range(LOOKUP_PAGES):
            page = await self.http.request("GET", "/shipments", params=params)
            with reading_response(self.code):
                shipments = page["shipments"]
                for shipment in shipments:
                    if shipment.get("reference") == our_reference and parse.is_purchased(shipment):
                        return parse.booking(shipment, our_reference, carrier=self.code, local_zone=self.local_zone)
            if not page.get("has_more") or not shipments:
                return None
            params["before_id"] = shipments[-1]["id"]
        return None

    async def _shipment(self, tracking_ref: str) -> dict:
        return await self.http.request("GET", f"/shipments/{tracking_ref}")

    async def label(self, tracking_ref: str) -> Label:
        shipment = await self._shipment(tracking_ref)
        with reading_response(self.code):
            found = parse.label(shipment)
        if found is None:
            raise BookingNotFound(self.code, f"EasyPost has no label for {tracking_ref} (not purchased)")
        return found

    async def track(self, tracking_ref: str) -> list[TrackingEvent]:
        shipment = await self._shipment(tracking_ref)
        with reading_response(self.code):
            return parse.tracking_events(shipment, carrier=self.code)

    async def proof_of_delivery(self, tracking_ref: str) -> ProofOfDelivery:
        """EasyPost passes on only who signed (Tracker.signed_by), when the carrier recorded it."""
        shipment = await self._shipment(tracking_ref)
        signed_by = ((shipment.get("tracker") or {}).get("signed_by") or "").strip()
        if not signed_by:
            raise BookingNotFound(self.code, f"{self.name} has no signature for {tracking_ref} yet")
        return ProofOfDelivery(kind="signed_by", signed_by=signed_by)

    async def cancel(self, tracking_ref: str) -> CancelResult:
        refunded = await self.http.request("POST", f"/shipments/{tracking_ref}/refund", json_body={})
        with reading_response(self.code, write=True):
            return parse.cancel_result(refunded)

    async def refund_status(self, tracking_ref: str) -> CancelResult:
        shipment = await self._shipment(tracking_ref)
        with reading_response(self.code):
            return parse.cancel_result(shipment)

    async def test_connection(self) -> ConnectionResult:
        page = await self.http.request("GET", "/shipments", params={"page_size": 1})
        if not isinstance(page, dict) or "shipments" not in page:
            raise NotSupported(self.code, "EasyPost answered, but not as expected: check the base URL")
        mode = "test" if self.config.credential("api_key").startswith("EZTK") else "production"
        return ConnectionResult(True, f"Connected to EasyPost ({mode} key).")
