"""DoorDash Drive v2 over HTTPS: JWT per call, quotes, accept, deliveries keyed by our external_delivery_id."""
from __future__ import annotations

import httpx

from ...domain import Quote, TrackingEvent
from ...domain.models import CarrierKind
from ...domain.timeutil import utcnow
from ..base import (
    AdapterConfig, Booking, BookingNotFound, CancelResult, Capability, CarrierAdapter, ConnectionResult,
    CredentialField, RateLimit, NotSupported, ProofOfDelivery, RequestRejected, ShipmentRequest,
)
from ..http import CarrierHttp, reading_response
from . import auth, parse, requests

BASE_URL = "https://openapi.doordash.com/drive/v2"
ACCESS_SETTING = "access_granted"  # carrier_accounts.settings_json: DoorDash approved this business


class DoorDashAdapter(CarrierAdapter):
    code = "doordash"
    name = "DoorDash Drive"
    kind = CarrierKind.COURIER
    published_limit = RateLimit.per_minute(300)  # more in 60 s alerts DoorDash; keys may be disabled
    capabilities = frozenset({Capability.QUOTE, Capability.BOOK, Capability.TRACK, Capability.CANCEL,
                              Capability.RETURN, Capability.PROOF_OF_DELIVERY})
    idempotent_booking = True  # DoorDash keys deliveries by our external_delivery_id: a repeat gets 409
    credential_fields = (
        CredentialField("developer_id", "Developer ID", secret=False),
        CredentialField("key_id", "Key ID", secret=False),
        CredentialField("signing_secret", "Signing secret"),
    )

    def __init__(self, config: AdapterConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config)
        self.http = CarrierHttp(self.code, config.base_url or BASE_URL, name=self.name, timeout_s=config.timeout_s,
                                error_parser=parse.error_info, classify=parse.classify, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def access_granted(self) -> bool:
        return bool(self.config.settings.get(ACCESS_SETTING))

    async def _call(self, method: str, path: str, **kwargs):
        if not self.access_granted:
            raise NotSupported(self.code, "DoorDash Drive is switched off",
                               advice="DoorDash grants Drive access by application; once approved, tick "
                                      "'DoorDash has granted this business Drive access' in Settings > Carrier accounts.")
        credential = self.config.credential
        token = auth.make_jwt(credential("developer_id"), credential("key_id"), credential("signing_secret"))
        return await self.http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    async def quote(self, request: ShipmentRequest) -> list[Quote]:
        body = await self._call("POST", "/quotes", json_body=requests.delivery(request), write=False)
        with reading_response(self.code):
            return [parse.quote(body, utcnow(), carrier=self.code)]

    async def book(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        """Accept the quote, or create directly; a 409 means it already exists under our id: fetch that one."""
        delivery_id = requests.external_delivery_id(request.our_reference)
        try:
            if request.quote_id:
                delivery = await self._call("POST", f"/quotes/{request.quote_id}/accept", json_body={})
            else:
                delivery = await self._call("POST", "/deliveries", json_body=requests.delivery(request))
        except RequestRejected as exc:
            if exc.http_status != 409:
                raise
            delivery = await self._call("GET", f"/deliveries/{request.quote_id or delivery_id}")
        with reading_response(self.code, write=True):
            return parse.booking(delivery, request.our_reference, carrier=self.code)

    async def create_return(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        return await self.book(request, idempotency_key)  # a Dasher from the customer back to the shop

    async def find_booking_by_reference(self, our_reference: str) -> Booking | None:
        try:
            delivery = await self._call("GET", f"/deliveries/{requests.external_delivery_id(our_reference)}")
        except BookingNotFound:
            return None
        with reading_response(self.code):
            return None if delivery["delivery_status"] == "quote" else parse.booking(delivery, our_reference, carrier=self.code)

    async def track(self, tracking_ref: str) -> list[TrackingEvent]:
        delivery = await self._call("GET", f"/deliveries/{tracking_ref}")
        with reading_response(self.code):
            return [parse.tracking_event(delivery, utcnow(), carrier=self.code)]

    async def cancel(self, tracking_ref: str) -> CancelResult:
        try:
            delivery = await self._call("PUT", f"/deliveries/{tracking_ref}/cancel", json_body={})
        except RequestRejected as exc:
            if exc.http_status != 409:
                raise
            return CancelResult(tracking_ref, False, raw_status=exc.code, message=exc.carrier_message or
                                "DoorDash can no longer cancel this delivery.")
        status = delivery.get("delivery_status", "")
        return CancelResult(tracking_ref, status == "cancelled", raw_status=status)

    async def proof_of_delivery(self, tracking_ref: str) -> ProofOfDelivery:
        delivery = await self._call("GET", f"/deliveries/{tracking_ref}")
        found = parse.proof(delivery)
        if found is None:
            raise BookingNotFound(self.code, f"DoorDash has no proof of delivery for {tracking_ref} yet")
        return found

    async def test_connection(self) -> ConnectionResult:
        # A made-up id: 404 proves the JWT was accepted without creating anything.
        try:
            await self._call("GET", "/deliveries/controltower-connection-test")
        except BookingNotFound:
            pass
        return ConnectionResult(True, "Connected to DoorDash Drive: the JWT was accepted.")
