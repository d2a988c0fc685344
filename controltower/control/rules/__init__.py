"""Exception rules: one small function per kind, registered by kind."""
from .base import RULES, Facts, Finding, rule  # noqa: F401
from . import (  # noqa: F401  (importing registers each rule)
    address_problem, at_risk, booking_failed, carrier_no_show, cost_over_quote, customer_unreachable,
    damaged_or_lost, failed_attempt, late, returned_to_sender, stalled,
)
