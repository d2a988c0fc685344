"""Uber Direct over HTTPS: OAuth client credentials, quotes, deliveries keyed by idempotency key, POD, cancel."""
from __future__ import annotations

import asyncio
import time

import httpx

from ...domain import Quote, TrackingEvent
from ...domain.models import CarrierKind
from ...kernel.redact import remember_secret
from ..base import (
    AdapterConfig, AuthFailed, Booking, CancelResult, Capability, CarrierAdapter, ConnectionResult,
    CredentialField, RateLimit, ProofOfDelivery, RequestRejected, ShipmentRequest,
)
from ..http import CarrierHttp, reading_response
from . import parse, requests

BASE_URL = "https://api.uber.com/v1"
AUTH_URL = "https://login.uber.com/oauth/v2/token"
LOOKUP_PAGES = 3
TOKEN_MARGIN_S = 300  # renew a little before Uber says the token expires


class UberDirectAdapter(CarrierAdapter):
    code = "uber_direct"
    name = "Uber Direct"
    kind = CarrierKind.COURIER
    published_limit = RateLimit(200, 600.0)  # the only figure Uber publishes (sandbox, per application)
    capabilities = frozenset({Capability.QUOTE, Capability.BOOK, Capability.TRACK, Capability.CANCEL,
                              Capability.RETURN, Capability.PROOF_OF_DELIVERY})
    idempotent_booking = True  # Uber de-duplicates creates by idempotency_key
    credential_fields = (
        CredentialField("customer_id", "Customer ID", secret=False, placeholder="UUID from the Direct dashboard"),
        CredentialField("client_id", "Client ID", secret=False),
        CredentialField("client_secret", "Client secret"),
    )

    def __init__(self, config: AdapterConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config)
        self.http = CarrierHttp(self.code, config.base_url or BASE_URL, name=self.name, timeout_s=config.timeout_s,
                                error_parser=parse.error_info, classify=parse.classify, transport=transport)
        self.auth_url = config.settings.get("auth_url") or AUTH_URL
        self.auth_http = CarrierHttp(self.code, "", name=self.name, timeout_s=config.timeout_s, error_parser=parse.error_info,
                                     transport=transport)
        self._token = ""
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()  # many polls at once must share one token request

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.auth_http.aclose()

    async def _access_token(self) -> str:
        # Uber caps the token endpoint (about 100 an hour): one token is reused until close to expiry.
        async with self._token_lock:
            if self._token and time.monotonic() < self._token_expires:
                return self._token
            form = requests.token_form(self.config.credential("client_id"), self.config.credential("client_secret"))
            body = await self.auth_http.request("POST", self.auth_url, data=form, write=False)
            with reading_response(self.code):
                self._token = body["access_token"]
                remember_secret(self._token)  # a minted token is as secret as the key it came from
                self._token_expires = time.monotonic() + float(body.get("expires_in", 3600)) - TOKEN_MARGIN_S
            return self._token

    async def _call(self, method: str, path: str, **kwargs):
        """A call under /customers/{customer_id} with a bearer token; a rejected token is renewed once (401: nothing happened)."""
        path = f"/customers/{self.config.credential('customer_id')}{path}"
        for attempt in (1, 2):
            token = await self._access_token()
            try:
                return await self.http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
            except AuthFailed as exc:
                if attempt == 2 or exc.http_status != 401:
                    raise
                if self._token == token:  # not already renewed by a concurrent call
                    self._token = ""

    async def quote(self, request: ShipmentRequest) -> list[Quote]:
        body = await self._call("POST", "/delivery_quotes", json_body=requests.quote(request), write=False)
        with reading_response(self.code):
            return [parse.quote(body, carrier=self.code)]

    async def book(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        try:
            delivery = await self._call("POST", "/deliveries", json_body=requests.delivery(request, idempotency_key))
        except RequestRejected as exc:
            if exc.code != "duplicate_delivery":
                raise
            # The first attempt did create it: answer with that delivery instead of failing.
            delivery_id = await self._duplicate_id(exc, request.our_reference)
            delivery = await self._call("GET", f"/deliveries/{delivery_id}")
        with reading_response(self.code, write=True):
            return parse.booking(delivery, request.our_reference, carrier=self.code)

    async def _duplicate_id(self, exc: RequestRejected, our_reference: str) -> str:
        metadata = exc.body.get("metadata") if isinstance(exc.body, dict) else None
        metadata = metadata if isinstance(metadata, dict) else {}
        if metadata.get("delivery_id"):
            return metadata["delivery_id"]
        found = await self.find_booking_by_reference(our_reference)
        if found is None:
            raise exc
        return found.external_id

    async def create_return(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        # A return is a delivery from the customer back to the shop: the request already points that way.
        return await self.book(request, idempotency_key)

    async def find_booking_by_reference(self, our_reference: str) -> Booking | None:
        offset = 0
        for _ in range(LOOKUP_PAGES):
            page = await self._call("GET", "/deliveries", params={"limit": 100, "offset": offset})
            with reading_response(self.code):
                deliveries = page["data"]
                for delivery in deliveries:
                    if delivery.get("external_id") == our_reference:
                        return parse.booking(delivery, our_reference, carrier=self.code)
            if not page.get("next_href") or not deliveries:
                return None
            offset += len(deliveries)
        return None

    async def track(self, tracking_ref: str) -> list[TrackingEvent]:
        delivery = await self._call("GET", f"/deliveries/{tracking_ref}")
        with reading_response(self.code):
            events = [parse.tracking_event(delivery, carrier=self.code)]
            return_id = parse.return_delivery_id(delivery)
        if return_id:
            return_delivery = await self._call("GET", f"/deliveries/{return_id}")
            with reading_response(self.code):
                returned = parse.returned_event(delivery, return_delivery, carrier=self.code)
            if returned is not None:
                events.append(returned)
        return events

    async def cancel(self, tracking_ref: str) -> CancelResult:
        try:
            delivery = await self._call("POST", f"/deliveries/{tracking_ref}/cancel", json_body={})
        except RequestRejected as exc:
            if exc.code != "noncancelable_delivery":
                raise
            return CancelResult(tracking_ref, False, raw_status=exc.code, message=exc.carrier_message or
                                "Uber Direct can no longer cancel this delivery (the courier has it).")
        with reading_response(self.code, write=True):
            return parse.cancel_result(delivery)

    async def proof_of_delivery(self, tracking_ref: str) -> ProofOfDelivery:
        body = await self._call("POST", f"/deliveries/{tracking_ref}/proof-of-delivery",
                                json_body={"waypoint": "dropoff", "type": "picture"}, write=False)
        with reading_response(self.code):
            return ProofOfDelivery(kind="picture", data=parse.proof_document(body["document"]))

    async def test_connection(self) -> ConnectionResult:
        await self._access_token()
        await self._call("GET", "/deliveries", params={"limit": 1})
        return ConnectionResult(True, "Connected to Uber Direct: token granted and deliveries readable.")
