"""What the API reads and writes: request bodies (validated by pydantic) and our domain values as JSON."""
from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, Field

from ..domain import Address, DeliveryOption, Order
from ..domain.money import Money
from ..domain.timeutil import TimeWindow, utcnow


class AddressIn(BaseModel):
    street: str = Field(min_length=1)
    city: str = Field(min_length=1)
    postcode: str = ""
    country: str = "US"
    line2: str = ""
    region: str = ""


class WindowIn(BaseModel):
    start: datetime = Field(description="with its UTC offset, e.g. 2026-12-06T14:00:00-08:00")
    end: datetime


class OrderIn(BaseModel):
    """A new order, as the Orders view takes one."""

    order_ref: str = Field(min_length=1, description="the shop's own order number; unique")
    customer_name: str = Field(min_length=1)
    address: AddressIn
    delivery_option: DeliveryOption = DeliveryOption.STANDARD
    phone: str = ""
    email: str = ""
    promised_window: WindowIn | None = None
    parcels: int = Field(1, ge=0)
    weight_g: int = Field(0, ge=0)
    value_minor: int = Field(0, ge=0)
    currency: str = "USD"
    notes: str = ""
    rating_consent: bool = Field(False, description="the customer agreed to be asked \"How did we do?\" after delivery")

    def to_order(self) -> Order:
        window = None if self.promised_window is None else TimeWindow(self.promised_window.start,
                                                                      self.promised_window.end)
        return Order(self.order_ref, self.customer_name, Address(**self.address.model_dump()), self.delivery_option,
                     utcnow(), phone=self.phone, email=self.email, promised_window=window, parcels=self.parcels,
                     weight_g=self.weight_g, value=Money(self.value_minor, self.currency), notes=self.notes,
                     source="api")


class RatingConsentIn(BaseModel):
    """Whether the order's customer agreed to be asked for a rating after delivery (by SMS and email)."""

    consented: bool


class OrderChange(BaseModel):
    """What may change on an order through the API: its promised window (the customer is told by default)."""

    promised_window: WindowIn
    notify_customer: bool = True


class CancelIn(BaseModel):
    reason: str = Field(min_length=1)


class ResolveIn(BaseModel):
    reason: str = Field(min_length=1)


class SnoozeIn(BaseModel):
    until: datetime


def plain(value):
    """Dataclasses, enums, datetimes and money as JSON values."""
    if isinstance(value, Money):
        return {"amount_minor": value.amount_minor, "currency": value.currency}
    if is_dataclass(value) and not isinstance(value, type):
        return {k: plain(getattr(value, k)) for k in asdict(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
