"""karrio carriers (UPS, USPS wired): each call in a worker thread with our own timeout, never on the event loop."""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from ...domain import Quote, TrackingEvent
from ...domain.models import CarrierKind
from ..base import (
    AdapterConfig, Booking, CancelResult, Capability, CarrierAdapter, CarrierDown, CarrierError, ConnectionResult,
    CredentialField, MalformedResponse, NotSupported, ShipmentRequest, UnknownOutcome,
)
from ..local_time import zone_named
from . import parse, requests

log = logging.getLogger(__name__)
T = TypeVar("T")

# Shared by every karrio adapter: karrio's urllib calls block, and a stuck one must not starve the others.
_WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="karrio")


def karrio_available() -> bool:
    try:
        import karrio.sdk  # noqa: F401
    except ImportError:
        return False
    _quiet_karrio()
    return True


def _quiet_karrio() -> None:
    """karrio logs every request through loguru at INFO, bodies and tokens included: keep that out of our logs."""
    try:
        from loguru import logger
    except ImportError:
        return
    logger.disable("karrio")


class KarrioAdapter(CarrierAdapter):
    code = "karrio"
    name = "karrio"
    kind = CarrierKind.PARCEL
    # The label comes with the booking (Booking.label.data); karrio cannot fetch it again later.
    capabilities = frozenset({Capability.QUOTE, Capability.BOOK, Capability.TRACK, Capability.CANCEL})
    # karrio has no idempotency key nor a lookup by our reference: after an UnknownOutcome on book,
    # find_booking_by_reference refuses (NotSupported), so the sync engine fails the entry visibly
    # instead of buying a second label.
    idempotent_booking = False

    def __init__(self, config: AdapterConfig) -> None:
        super().__init__(config)
        self.carrier = requests.carrier_name(config.code)  # "karrio:ups" -> "ups"
        self.name = config.name or requests.CARRIERS[self.carrier].title
        self._gateway = None

    @classmethod
    def fields_for(cls, code: str) -> tuple[CredentialField, ...]:
        return requests.CARRIERS[requests.carrier_name(code)].fields

    def _gateway_now(self):
        """karrio's gateway, built on first use (in the worker thread): keys are read only when needed."""
        if self._gateway is None:
            import karrio.sdk as karrio

            for credential in self.fields_for(self.code):
                if credential.required:
                    self.config.credential(credential.name)  # AuthFailed naming the missing key

            settings = requests.settings(self.carrier, self.config.credentials, base_url=self.config.base_url,
                                         test_mode=bool(self.config.settings.get("test_mode")))
            self._gateway = karrio.gateway[self.carrier].create(settings)
        return self._gateway

    async def _in_worker(self, work: Callable[[], T], *, write: bool = False) -> T:
        """Run karrio off the loop with our timeout; its blocking call may outlive us, its answer is then dropped."""
        if not karrio_available():
            raise NotSupported(self.code, "the karrio extra is not installed",
                               advice="Install it with: pip install 'controltower[karrio]'")
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(_WORKERS, work)
        try:
            return await asyncio.wait_for(future, self.config.timeout_s)
        except asyncio.TimeoutError as exc:
            message = f"{self.name} did not answer within {self.config.timeout_s:g} s"
            raise (UnknownOutcome if write else CarrierDown)(self.code, message) from exc
        except CarrierError:
            raise
        except OSError as exc:  # urllib: refused, reset, DNS, timeouts inside karrio
            raise (UnknownOutcome if write else CarrierDown)(self.code, f"could not reach {self.name}: {exc}") from exc
        except Exception as exc:  # karrio parse failures and its own error types
            messages = getattr(exc, "messages", None)
            if messages:
                raise parse.error_for(self.code, messages) from exc
            text = f"{self.name} via karrio failed: {type(exc).__name__}: {exc}"
            raise (UnknownOutcome if write else MalformedResponse)(self.code, text) from exc

    async def quote(self, request: ShipmentRequest) -> list[Quote]:
        def work():
            import karrio.sdk as karrio

            return karrio.Rating.fetch(requests.rate_request(request)).from_(self._gateway_now()).parse()

        rates, messages = await self._in_worker(work)
        if not rates:
            raise parse.error_for(self.code, parse.errors_only(messages))
        return parse.quotes(self.code, rates)

    async def book(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        service = request.service or (await self.quote(request))[0].service

        def work():
            import karrio.sdk as karrio

            return karrio.Shipment.create(requests.shipment_request(request, service)).from_(self._gateway_now()).parse()

        details, messages = await self._in_worker(work, write=True)
        if details is None:
            error = parse.error_for(self.code, parse.errors_only(messages))
            if isinstance(error, (MalformedResponse, CarrierDown)):
                # No refusal we could read (karrio turns a lost or garbled answer into messages): the label may be
                # bought, so the outcome is uncertain and no retry may buy again before a person has checked.
                raise UnknownOutcome(self.code, f"{self.name} gave no answer we could read to the purchase "
                                                f"({error.carrier_message}); it may have been made") from error
            raise error
        return parse.booking(self.code, details, request.our_reference, service)

    async def find_booking_by_reference(self, our_reference: str) -> Booking | None:
        """karrio cannot search a carrier's labels by our reference: refuse, so a person checks before a rebuy."""
        raise NotSupported(self.code, f"{self.name} cannot be asked whether label {our_reference} was bought",
                           advice=f"Check the {self.name} account for reference {our_reference}; "
                                  "if there is no label, book the order again.")

    async def track(self, tracking_ref: str) -> list[TrackingEvent]:
        _, number = parse.split_ref(tracking_ref)

        def work():
            import karrio.sdk as karrio
            from karrio.core.models import TrackingRequest

            return karrio.Tracking.fetch(TrackingRequest(tracking_numbers=[number])).from_(self._gateway_now()).parse()

        details, messages = await self._in_worker(work)
        problems = parse.errors_only(messages)
        if not details and problems:
            raise parse.error_for(self.code, problems)
        return parse.tracking_events(self.code, details, zone_named(self.config.local_zone))

    async def cancel(self, tracking_ref: str) -> CancelResult:
        identifier, _ = parse.split_ref(tracking_ref)

        def work():
            import karrio.sdk as karrio
            from karrio.core.models import ShipmentCancelRequest

            request = ShipmentCancelRequest(shipment_identifier=identifier)
            return karrio.Shipment.cancel(request).from_(self._gateway_now()).parse()

        confirmation, messages = await self._in_worker(work, write=True)
        if confirmation is None:
            problems = parse.errors_only(messages)
            return CancelResult(tracking_ref, False, message="; ".join(m.message or "" for m in problems))
        return CancelResult(tracking_ref, bool(confirmation.success))

    async def test_connection(self) -> ConnectionResult:
        """Tracking a made-up number proves the credentials work without buying anything ("not found" is fine)."""
        await self.track("1Z0000000000000000")
        return ConnectionResult(True, f"Connected to {self.name} through karrio.")
