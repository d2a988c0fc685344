"""Dispatch as the windows see it: the service (compare ways to send, book, labels, returns, failed deliveries)
and the plain values its panels show and fill in. The UI imports these from here, never from `dispatch`."""
from __future__ import annotations

from ..dispatch.allocate import Choice
from ..dispatch.booking import FAILED, BookingLine, BookingReport
from ..dispatch.options import DeliveryOffer, DeliveryRequest
from ..dispatch.policy import Decision, Preferences
from ..dispatch.rates import QUOTE_EXPIRED, WayRow
from ..dispatch.returns import (
    CONVERT_TO_PICKUP, FAILED_ATTEMPT_ACTIONS, OWN_ROUTE, REATTEMPT, REBOOK, RETURN_METHODS, RETURN_TO_STOCK, ReturnCase,
)
from ..dispatch.settings import ShopSettings, Zone

__all__ = [
    "DispatchService", "Comparison", "DayPlan", "Choice", "FAILED", "BookingLine", "BookingReport", "DeliveryOffer",
    "DeliveryRequest", "Decision", "Preferences", "QUOTE_EXPIRED", "WayRow", "CONVERT_TO_PICKUP",
    "FAILED_ATTEMPT_ACTIONS", "OWN_ROUTE", "REATTEMPT", "REBOOK", "RETURN_METHODS", "RETURN_TO_STOCK", "ReturnCase",
    "ShopSettings", "Zone",
]

_LAZY = {"DispatchService", "Comparison", "DayPlan"}  # the service module loads the label and solver libraries


def __getattr__(name: str):
    if name in _LAZY:
        from ..dispatch import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
