"""What a rule sees (the store's facts at one moment) and what it returns (findings); the registry of rules."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from typing import Callable, Iterable

from ...domain import Severity
from ...domain.carriers import carrier_label
from ...domain.timeutil import to_iso
from ...store import carrier_accounts
from .. import eta as eta_module


RECENT = timedelta(days=30)
GAP_CACHE_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class Finding:
    """One cause for concern; the cause_key makes the same cause map to the same open case."""

    kind: str
    severity: Severity
    cause_key: str
    summary: str
    suggested_action: str
    order_id: int | None = None
    shipment_id: int | None = None


@dataclass
class Facts:
    """The store at one moment, with the costly derived facts computed once and shared by rules."""

    conn: sqlite3.Connection
    now: datetime
    gap_cache: dict = field(default_factory=dict)  # the engine keeps it between refreshes; gaps change slowly

    @property
    def now_iso(self) -> str:
        return to_iso(self.now)

    @property
    def recent_since(self) -> str:
        """Rules about finished shipments (returns, charges) look back this far; older cases close themselves."""
        return to_iso(self.now - RECENT)

    @cached_property
    def etas(self) -> list[eta_module.Eta]:
        return eta_module.estimate_all(self.conn, self.now, self.open_shipments)

    @cached_property
    def zone(self) -> tzinfo:
        """The shop's time zone: times in case summaries are the shop's clock."""
        return eta_module.shop_zone(self.conn)

    @cached_property
    def carrier_names(self) -> dict[str, str]:
        return carrier_accounts.names(self.conn)

    def carrier_name(self, code: str | None) -> str:
        """The carrier as case texts name it: the account's own name ("Pedal Couriers (sandbox)"), never its code."""
        return carrier_label(code, self.carrier_names)

    @cached_property
    def open_shipments(self) -> list[sqlite3.Row]:
        return eta_module.open_shipment_rows(self.conn)

    def carrier_normal_gap(self, carrier: str) -> timedelta:
        """How long this carrier usually goes quiet between scans (90th percentile of its recent gaps, with slack)."""
        cached = self.gap_cache.get(carrier)
        if cached is None or self.now - cached[0] > GAP_CACHE_TTL:
            from .stalled import normal_gap

            cached = self.gap_cache[carrier] = (self.now, normal_gap(self.conn, carrier))
        return cached[1]


Rule = Callable[[Facts], Iterable[Finding]]
RULES: dict[str, Rule] = {}


def rule(kind: str, *, facts_only: bool = False) -> Callable[[Rule], Rule]:
    """Register a rule under the exception kind it opens; a new rule is one decorated function in its own file.

    facts_only: the rule's answer changes only when the store does, not as the clock moves (the engine then
    reuses its last findings while nothing was written).
    """

    def register(function: Rule) -> Rule:
        function.facts_only = facts_only
        RULES[kind] = function
        return function

    return register
