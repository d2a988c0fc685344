"""The one carrier interface: requests, results, typed errors and the adapter contract (no Qt, no store).

Every carrier (real API, sandbox, built-in) is a `CarrierAdapter`. The sync engine and services
talk only to this interface; each adapter folder (requests.py ours->theirs, parse.py theirs->ours,
client.py the HTTP calls) fills it in.

References between calls are plain strings so the store can keep them:
`Booking.external_id` is what the store saves in `shipments.external_id`, and it is the
`tracking_ref` passed back to `track`, `label`, `cancel` and `proof_of_delivery`.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from ..domain import Money, Quote, ShipmentStatus, TrackingEvent
from ..domain.models import Address, CarrierKind, GeoPoint
from ..kernel.errors import UserFacingError
from ..kernel.redact import redact, remember_secret

DEFAULT_TIMEOUT_S = 20.0


class Capability(StrEnum):
    QUOTE = "quote"
    BOOK = "book"
    LABEL = "label"
    TRACK = "track"
    CANCEL = "cancel"
    RETURN = "return"
    PROOF_OF_DELIVERY = "proof_of_delivery"


# ---------------------------------------------------------------- requests and results


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str = ""  # E.164 where the carrier needs it (+15551234567)
    email: str = ""
    company: str = ""


@dataclass(frozen=True)
class Parcel:
    weight_g: int
    length_cm: float = 30.0
    width_cm: float = 20.0
    height_cm: float = 10.0
    description: str = "Parcel"
    value: Money | None = None
    quantity: int = 1


@dataclass(frozen=True)
class ShipmentRequest:
    """What we ask a carrier to move: used for quotes, bookings and returns alike.

    `our_reference` is unique per shipment attempt and is sent to the carrier wherever it has a
    reference field, so an uncertain booking can be found again (`find_booking_by_reference`).
    """

    our_reference: str
    order_ref: str
    pickup: Address
    pickup_contact: Contact
    dropoff: Address
    dropoff_contact: Contact
    parcels: tuple[Parcel, ...] = (Parcel(1000),)
    ready_at: datetime | None = None  # when the goods can be collected
    deliver_by: datetime | None = None  # the promised latest delivery time
    value: Money = field(default_factory=Money.zero)
    service: str = ""  # a service code from a quote; empty = carrier's choice / cheapest
    quote_id: str = ""  # the carrier's quote/rate id when booking a quote
    pickup_location: GeoPoint | None = None
    dropoff_location: GeoPoint | None = None
    dropoff_instructions: str = ""
    is_return: bool = False

    def __post_init__(self) -> None:
        if not self.our_reference.strip():
            raise ValueError("a shipment request needs our own reference")
        if not self.parcels:
            raise ValueError("a shipment request needs at least one parcel")
        for moment in (self.ready_at, self.deliver_by):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("ready_at and deliver_by must be timezone-aware")

    @property
    def total_weight_g(self) -> int:
        return sum(p.weight_g * p.quantity for p in self.parcels)


@dataclass(frozen=True)
class Label:
    format: str  # "PDF", "PNG", "ZPL"
    url: str = ""
    data: bytes = b""  # when the carrier returns the document itself


@dataclass(frozen=True)
class Booking:
    """A carrier's answer to a booking: its ids, tracking number, cost and documents."""

    carrier: str
    our_reference: str
    external_id: str  # the tracking_ref for later calls; stored in shipments.external_id
    tracking_number: str = ""
    service: str = ""
    cost: Money | None = None
    status: ShipmentStatus = ShipmentStatus.BOOKED
    label: Label | None = None
    tracking_url: str = ""
    estimated_pickup: datetime | None = None
    estimated_delivery: datetime | None = None
    raw_status: str = ""
    # The carrier's estimate names only a day (a date, or midnight "Z"): the store dates it by the end of that day in
    # the shop's zone, which carriers don't know (read as UTC it lands a day early west of Greenwich).
    delivery_day: date | None = None

    @property
    def tracking_ref(self) -> str:
        return self.external_id


@dataclass(frozen=True)
class CancelResult:
    external_id: str
    cancelled: bool  # True: done or under way (see `final`); False: the carrier refused
    status: ShipmentStatus = ShipmentStatus.CANCELLED
    raw_status: str = ""
    message: str = ""
    # False while a label refund is only submitted/queued: the carrier may still reject it, so the
    # shipment is not cancelled yet and the refund is asked after (`refund_status`) until it settles.
    final: bool = True


@dataclass(frozen=True)
class ProofOfDelivery:
    kind: str  # picture, signature, pincode, signed_by
    data: bytes = b""
    url: str = ""
    signed_by: str = ""


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    message: str  # plain words for the settings dialog
    account: str = ""  # who the carrier says we are, when it says


@dataclass(frozen=True)
class CredentialField:
    """One value an account needs; `secret` ones live only in the keychain."""

    name: str
    label: str
    secret: bool = True
    required: bool = True
    placeholder: str = ""


@dataclass(frozen=True)
class RateLimit:
    """A carrier's published request budget: at most `requests` in any `per_s` seconds, all our processes together."""

    requests: int
    per_s: float

    @classmethod
    def per_minute(cls, requests: int) -> "RateLimit":
        return cls(requests, 60.0)


@dataclass(frozen=True)
class AdapterConfig:
    """Everything an adapter needs to talk to its carrier; built by services from the store and keychain."""

    code: str
    credentials: dict[str, str] = field(default_factory=dict)  # from the keychain; never logged
    settings: dict = field(default_factory=dict)  # non-secret, from carrier_accounts.settings_json
    base_url: str = ""  # empty = the adapter's production default; tests point it at 127.0.0.1
    timeout_s: float = DEFAULT_TIMEOUT_S
    name: str = ""  # the account's name for messages ("Zippy Couriers"); empty = the adapter's own name
    # The shop's zone (IANA name): where a carrier's local time with no place is read (carriers.local_time).
    local_zone: str = ""

    def credential(self, name: str) -> str:
        value = self.credentials.get(name, "")
        if not value:
            raise AuthFailed(self.code, f"no {name.replace('_', ' ')} saved for {self.code}",
                             advice="Open Settings > Carrier accounts and paste the key.")
        return value


# ---------------------------------------------------------------- typed errors


class CarrierError(UserFacingError):
    """A carrier call failed; keeps the carrier's own message, code and HTTP status.

    `retryable` says whether the same call may succeed later unchanged.
    """

    retryable: ClassVar[bool] = False
    default_advice: ClassVar[str] = ""

    def __init__(self, carrier: str, message: str, *, carrier_message: str = "", code: str = "",
                 http_status: int | None = None, advice: str = "") -> None:
        # Where a carrier's answer becomes our text: an echoed key stops here, before any store or log sees it.
        super().__init__(redact(message), advice or self.default_advice)
        self.carrier = carrier
        self.carrier_message = redact(carrier_message)
        self.code = code
        self.http_status = http_status
        self.body = None  # the carrier's parsed error body, when there was one


class BadAddress(CarrierError):
    default_advice = "Check the street, postcode and city of the order, then try again."


class ServiceUnavailable(CarrierError):
    """The carrier cannot do this one (no couriers, outside coverage, service not offered)."""

    default_advice = "Choose another carrier or service for this order."


class AuthFailed(CarrierError):
    default_advice = "Check the key in Settings > Carrier accounts."


class RateLimited(CarrierError):
    retryable = True
    default_advice = "Control Tower will retry automatically after a pause."

    def __init__(self, carrier: str, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(carrier, message, **kwargs)
        self.retry_after = retry_after  # seconds, when the carrier said


class CarrierDown(CarrierError):
    """The carrier could not be reached or failed; the request did NOT take effect."""

    retryable = True
    default_advice = "Control Tower will retry automatically; check the internet connection if it persists."


class UnknownOutcome(CarrierError):
    """A write whose answer was lost: it may or may not have taken effect.

    Retry only with the same idempotency key, or look the booking up by our reference first.
    """

    retryable = True
    default_advice = "Control Tower will check with the carrier before trying again, so nothing is booked twice."


class MalformedResponse(CarrierError):
    """The carrier answered something we cannot read (bad JSON, missing fields)."""

    retryable = True
    default_advice = "Control Tower will retry; if it persists the carrier may have changed its API."


class RequestRejected(CarrierError):
    """The carrier refused the request as invalid (not an address problem); retrying unchanged won't help."""


class NotSupported(CarrierError):
    """The adapter does not offer this operation."""


class BookingNotFound(CarrierError):
    """The carrier does not know this booking or tracking reference."""


# ---------------------------------------------------------------- the adapter contract


class CarrierAdapter(abc.ABC):
    """One carrier. Async; every network call has a timeout; errors are CarrierError subclasses."""

    code: ClassVar[str]
    name: ClassVar[str]
    kind: ClassVar[CarrierKind]
    capabilities: ClassVar[frozenset[Capability]]
    # True when the carrier itself de-duplicates bookings by our idempotency key (or our own id);
    # False when an uncertain booking must be looked up with find_booking_by_reference before retrying.
    idempotent_booking: ClassVar[bool] = False
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    # What the carrier publishes (see carriers.md); None: no network, or no figure published.
    published_limit: ClassVar[RateLimit | None] = None

    def __init__(self, config: AdapterConfig) -> None:
        self.config = config
        # The account's code names this adapter's bookings, events and errors: "sandbox:zippy" runs
        # the Uber Direct adapter, and its shipments must still say "sandbox:zippy".
        self.code = config.code or type(self).code
        self.name = config.name or type(self).name
        public = {f.name for f in self.fields_for(self.code) if not f.secret}
        for name, value in config.credentials.items():
            if name not in public:  # whatever the carrier echoes of it is masked in every error text we keep
                remember_secret(value)

    @classmethod
    def fields_for(cls, code: str) -> tuple[CredentialField, ...]:
        """What the user pastes for the account `code` (adapters serving many carriers vary it by code)."""
        return cls.credential_fields

    @property
    def rate_limit(self) -> RateLimit | None:
        """The budget every call to this account shares: the account's `requests_per_minute` setting
        (0 = none, e.g. the local sandbox), else what the carrier publishes."""
        per_minute = self.config.settings.get("requests_per_minute")
        if per_minute is None:
            return self.published_limit
        return RateLimit.per_minute(int(per_minute)) if per_minute else None

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def _unsupported(self, capability: Capability) -> NotSupported:
        return NotSupported(self.code, f"{self.name} does not offer {capability.value.replace('_', ' ')}")

    async def quote(self, request: ShipmentRequest) -> list[Quote]:
        raise self._unsupported(Capability.QUOTE)

    async def book(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        """Book once: the same idempotency key (and our_reference) never makes a second booking."""
        raise self._unsupported(Capability.BOOK)

    async def label(self, tracking_ref: str) -> Label:
        raise self._unsupported(Capability.LABEL)

    async def track(self, tracking_ref: str) -> list[TrackingEvent]:
        """All events the carrier reports, mapped to ShipmentStatus, raw code and text kept."""
        raise self._unsupported(Capability.TRACK)

    async def cancel(self, tracking_ref: str) -> CancelResult:
        raise self._unsupported(Capability.CANCEL)

    async def create_return(self, request: ShipmentRequest, idempotency_key: str) -> Booking:
        raise self._unsupported(Capability.RETURN)

    async def refund_status(self, tracking_ref: str) -> CancelResult:
        """Where a cancel that came back not `final` stands now (label refunds take days)."""
        raise self._unsupported(Capability.CANCEL)

    async def proof_of_delivery(self, tracking_ref: str) -> ProofOfDelivery:
        raise self._unsupported(Capability.PROOF_OF_DELIVERY)

    async def find_booking_by_reference(self, our_reference: str) -> Booking | None:
        """The booking made for our reference, if any (reconciles an UnknownOutcome)."""
        return None

    async def test_connection(self) -> ConnectionResult:
        return ConnectionResult(True, f"{self.name} needs no connection.")

    async def aclose(self) -> None:
        """Release network resources; safe to call twice."""

    async def __aenter__(self) -> "CarrierAdapter":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()
