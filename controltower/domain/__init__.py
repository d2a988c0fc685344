"""Pure domain model: data and rules, no Qt, no SQL, no I/O."""
from .models import (  # noqa: F401
    Address, AuditEntry, CarrierAccount, CarrierKind, DeliveryOption, Depot, Driver, ExceptionCase,
    GeoPoint, GeoPrecision, Notification, Order, OrderLine, Quote, Route, Severity, Shipment, Stop,
    TrackingEvent, Vehicle,
)
from .money import Money  # noqa: F401
from .status import IllegalTransition, ShipmentStatus, Timeline, apply_event, can_transition, transition  # noqa: F401
from .timeutil import UTC, TimeWindow, from_iso, to_iso, utcnow  # noqa: F401
