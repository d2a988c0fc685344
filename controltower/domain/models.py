"""The delivery domain as plain dataclasses: orders, stops, shipments, routes, exceptions."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from .money import Money
from .status import ShipmentStatus
from .timeutil import TimeWindow


class DeliveryOption(StrEnum):
    STANDARD = "standard"
    EXPRESS = "express"
    SAME_DAY = "same_day"
    SCHEDULED = "scheduled"
    PICKUP = "pickup"

    @property
    def label(self) -> str:
        return {"same_day": "Same-day", "pickup": "In-store pickup", "scheduled": "Scheduled window"}.get(
            self.value, self.value.capitalize()
        )


class GeoPrecision(StrEnum):
    """How exactly a position is known, best first."""

    ROOFTOP = "rooftop"  # the house itself
    INTERPOLATED = "interpolated"  # between known house numbers of its street
    STREET = "street"
    POSTCODE = "postcode"
    CITY = "city"
    UNKNOWN = "unknown"

    @property
    def is_approximate(self) -> bool:
        return self in (GeoPrecision.POSTCODE, GeoPrecision.CITY, GeoPrecision.UNKNOWN)

    @property
    def words(self) -> str:
        """Where the pin is, in the shop owner's words: 'the house', 'the street', 'the postcode's centre'."""
        return {"rooftop": "the house", "interpolated": "between known house numbers", "street": "the street",
                "postcode": "the postcode's centre", "city": "the town's centre"}.get(self.value, "an unknown spot")


class CarrierKind(StrEnum):
    OWN_FLEET = "own_fleet"
    COURIER = "courier"  # on-demand (Uber Direct, DoorDash Drive, sandbox couriers)
    PARCEL = "parcel"  # parcel carriers via EasyPost, Shippo, karrio
    PICKUP = "pickup"  # in-store pickup


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"critical": 0, "high": 1, "medium": 2, "low": 3}[self.value]


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    postcode: str
    country: str = "US"
    line2: str = ""
    region: str = ""

    def one_line(self) -> str:
        parts = [self.street, self.line2, self.city, " ".join(p for p in (self.region, self.postcode) if p), self.country]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float
    precision: GeoPrecision = GeoPrecision.ROOFTOP
    confidence: float = 1.0  # 0..1, from the geocoder

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError(f"not a position on Earth: {self.lat}, {self.lon}")


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    quantity: int = 1
    unit_price: Money | None = None


@dataclass(frozen=True)
class Order:
    order_ref: str  # the shop's own order id; unique
    customer_name: str
    address: Address
    delivery_option: DeliveryOption
    created_at: datetime
    phone: str = ""
    email: str = ""
    location: GeoPoint | None = None
    promised_window: TimeWindow | None = None
    parcels: int = 1
    weight_g: int = 0
    value: Money = field(default_factory=Money.zero)
    notes: str = ""
    source: str = "manual"
    lines: tuple[OrderLine, ...] = ()
    status: ShipmentStatus = ShipmentStatus.CREATED
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.order_ref.strip():
            raise ValueError("an order needs the shop's order number")
        if self.parcels < 0 or self.weight_g < 0:
            raise ValueError("parcels and weight cannot be negative")


@dataclass(frozen=True)
class Shipment:
    order_id: int
    carrier: str  # carrier code, e.g. "own_fleet", "easypost", "sandbox:zippy"
    status: ShipmentStatus = ShipmentStatus.CREATED
    service: str = ""
    tracking_number: str = ""
    cost: Money | None = None
    quoted_cost: Money | None = None
    promised_by: datetime | None = None
    eta: datetime | None = None
    kind: str = "delivery"  # or "return"
    external_id: str = ""
    label_path: str = ""
    status_as_of: datetime | None = None
    created_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class TrackingEvent:
    carrier: str
    tracking_number: str
    status: ShipmentStatus
    event_time: datetime
    raw_code: str = ""
    raw_text: str = ""
    carrier_event_id: str = ""
    location: str = ""
    lat: float | None = None
    lon: float | None = None
    shipment_id: int | None = None
    # The carrier's delivery estimate as it stood with this event (Shippo's track `eta`): a moment, or only a day.
    eta: datetime | None = None
    eta_day: date | None = None

    def dedup_key(self) -> str:
        """The carrier's event id, else a hash of the event's content."""
        if self.carrier_event_id:
            return f"id:{self.carrier_event_id}"
        import hashlib

        content = "|".join([self.raw_code, self.raw_text, self.status.value, self.event_time.isoformat(), self.location])
        return "h:" + hashlib.sha256(content.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CarrierAccount:
    code: str  # unique, e.g. "easypost", "uber_direct"
    name: str
    kind: CarrierKind
    enabled: bool = True
    settings: dict = field(default_factory=dict)  # non-secret settings; keys live in the keychain


@dataclass(frozen=True)
class Quote:
    carrier: str
    service: str
    price: Money
    estimated_pickup: datetime | None = None
    estimated_delivery: datetime | None = None
    expires_at: datetime | None = None
    order_id: int | None = None
    external_id: str = ""
    id: int | None = None
    # A parcel carrier that gives no date often gives days in transit (business days from the ship date) and
    # sometimes the time of day it arrives by (local at the destination): dispatch turns them into an ETA in the
    # shop's zone (carriers know no zone), one less sure than a carrier's own time.
    transit_days: int | None = None
    arrives_by: time | None = None
    # A carrier estimate that names only a day ("2026-12-08", or midnight "Z"): by the end of it in the shop's zone.
    delivery_day: date | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True)
class Driver:
    name: str
    phone: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Vehicle:
    name: str
    capacity_parcels: int
    capacity_weight_g: int
    shift: TimeWindow | None = None
    break_minutes: int = 30
    skills: frozenset[str] = frozenset()
    driver_id: int | None = None
    depot_id: int | None = None
    cost_per_hour: Money = field(default_factory=lambda: Money(2500))
    cost_per_km: Money = field(default_factory=lambda: Money(40))
    id: int | None = None


@dataclass(frozen=True)
class Depot:
    name: str
    address: Address
    location: GeoPoint
    opening: TimeWindow | None = None
    id: int | None = None


@dataclass(frozen=True)
class Stop:
    order_id: int
    kind: str = "delivery"  # or "pickup" (a return collected from a customer)
    route_id: int | None = None
    sequence: int | None = None
    planned_arrival: datetime | None = None
    service_minutes: float = 4.0
    locked: bool = False
    status: str = "planned"  # planned, en_route, arrived, delivered, failed, skipped
    id: int | None = None


@dataclass(frozen=True)
class Route:
    plan_date: str  # ISO date in the shop's timezone
    vehicle_id: int
    stops: tuple[Stop, ...] = ()
    distance_m: int = 0
    duration_s: int = 0
    status: str = "planned"  # planned, dispatched, in_progress, done
    id: int | None = None


@dataclass(frozen=True)
class ExceptionCase:
    kind: str  # late, at_risk, failed_attempt, stalled, address_problem, ...
    severity: Severity
    cause_key: str  # a case is never opened twice for the same cause
    opened_at: datetime
    order_id: int | None = None
    shipment_id: int | None = None
    summary: str = ""
    suggested_action: str = ""
    resolved_at: datetime | None = None
    resolution: str = ""
    snoozed_until: datetime | None = None
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class Notification:
    order_id: int
    channel: str  # email or sms
    template: str
    recipient: str
    subject: str = ""
    body: str = ""
    status: str = "queued"  # queued, sent, failed, suppressed
    dedup_key: str = ""
    created_at: datetime | None = None
    sent_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class AuditEntry:
    action: str
    entity: str
    entity_id: str
    at: datetime
    before: dict | None = None
    after: dict | None = None
    actor: str = "user"
    id: int | None = None
