"""The default choice among the ways to send an order: cheapest that keeps the promise, bent by the shop's preferences."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.timeutil import to_iso
from .rates import OVER_BUDGET, QUOTE_EXPIRED, OWN_FLEET, WayRow

MIN_HISTORY = 5  # deliveries before a carrier's on-time record counts against it


@dataclass(frozen=True)
class Preferences:
    """What the shop owner set: each one is a reason the policy may give."""

    prefer_own_fleet: bool = False
    excluded_carriers: frozenset[str] = frozenset()
    reliability_floor: float | None = None  # e.g. 0.9: skip carriers under 90% on time (with enough history)
    second_carrier: str | None = None  # keep some work with this one so the shop is not dependent on one
    second_carrier_share: float = 0.0  # e.g. 0.2 = at least a fifth of carrier bookings


@dataclass(frozen=True)
class Decision:
    row: WayRow | None
    reason: str

    @property
    def carrier(self) -> str | None:
        return None if self.row is None else self.row.carrier


def _money(row: WayRow) -> str:
    return row.price.format() if row.price else "?"


def _label(row: WayRow) -> str:
    return f"{row.name} {row.service}".strip() if row.service and row.kind not in ("own_fleet", "pickup") else row.name


def choose(rows: list[WayRow], preferences: Preferences = Preferences(), shares: dict[str, float] | None = None,
           left_out: dict[str, str] | None = None) -> Decision:
    """The recommended way and, in plain words, why. `left_out` maps carriers to skip this time to the reason."""
    usable = [r for r in rows if r.usable and QUOTE_EXPIRED not in r.flags]
    if not usable:
        return Decision(None, "No carrier gave a usable quote; try again or book by hand.")
    notes: list[str] = []
    for carrier, why in (left_out or {}).items():
        skipped = [r for r in usable if r.carrier == carrier]
        if skipped:
            usable = [r for r in usable if r.carrier != carrier]
            notes.append(f"{skipped[0].name} left out: {why}")
    if not usable:
        return Decision(None, _join("No other way quoted.", notes))
    excluded = [r for r in usable if r.carrier in preferences.excluded_carriers]
    if excluded:
        usable = [r for r in usable if r.carrier not in preferences.excluded_carriers]
        notes.append(f"{', '.join(sorted({r.name for r in excluded}))} excluded by your settings")
        if not usable:
            return Decision(None, "Every carrier that quoted is excluded by your settings.")
    keepers = [r for r in usable if r.keeps_promise]
    if not keepers:
        dated = [r for r in usable if r.estimated_delivery is not None and r.kind != "pickup"] or usable
        earliest = min(dated, key=lambda r: (r.estimated_delivery.timestamp() if r.estimated_delivery else float("inf"), r.price.amount_minor))
        return Decision(earliest, _join(f"No way keeps the promise; {_label(earliest)} arrives earliest ({_money(earliest)}).", notes))
    floor = preferences.reliability_floor
    if floor is not None:
        reliable = [r for r in keepers if r.on_time.delivered < MIN_HISTORY or (r.on_time.rate or 0) >= floor]
        dropped = sorted({r.name for r in keepers} - {r.name for r in reliable})
        if reliable and dropped:
            notes.append(f"{', '.join(dropped)} below your {floor:.0%} on-time floor")
            keepers = reliable
        elif dropped:
            notes.append(f"all carriers are below your {floor:.0%} on-time floor")
    in_budget = [r for r in keepers if OVER_BUDGET not in r.flags]
    if in_budget:
        keepers = in_budget
    cheapest = min(keepers, key=lambda r: r.price.amount_minor)
    if preferences.prefer_own_fleet:
        own = [r for r in keepers if r.carrier == OWN_FLEET]
        if own:
            return Decision(own[0], _join(f"Own van keeps the promise and you prefer own vans ({_money(own[0])}; "
                                          f"cheapest was {_label(cheapest)} at {_money(cheapest)}).", notes)
                            if own[0] is not cheapest else _join(f"Own van is the cheapest that keeps the promise ({_money(own[0])}).", notes))
    second = preferences.second_carrier
    if second and preferences.second_carrier_share > 0:
        share = (shares or {}).get(second, 0.0)
        backups = [r for r in keepers if r.carrier == second]
        if backups and share < preferences.second_carrier_share and cheapest.carrier != second:
            backup = min(backups, key=lambda r: r.price.amount_minor)
            return Decision(backup, _join(
                f"{_label(backup)} keeps the promise and has {share:.0%} of recent bookings, under the "
                f"{preferences.second_carrier_share:.0%} you keep with it ({_money(backup)} vs {_money(cheapest)}).", notes))
    others = sorted((r for r in keepers if r is not cheapest), key=lambda r: r.price.amount_minor)
    versus = f"; next is {_label(others[0])} at {_money(others[0])}" if others else ""
    return Decision(cheapest, _join(f"{_label(cheapest)} is the cheapest that keeps the promise ({_money(cheapest)}{versus}).", notes))


def allowed(row: WayRow, preferences: Preferences) -> bool:
    """Whether the shop's settings let this way be used at all (for dispatching the day)."""
    if row.carrier in preferences.excluded_carriers:
        return False
    floor = preferences.reliability_floor
    return floor is None or row.on_time.delivered < MIN_HISTORY or (row.on_time.rate or 0) >= floor


def _join(reason: str, notes: list[str]) -> str:
    return reason if not notes else f"{reason} Note: {'; '.join(notes)}."


def carrier_shares(conn: sqlite3.Connection, now: datetime, days: int = 30) -> dict[str, float]:
    """Each carrier's share of the delivery shipments booked with carriers (not own vans or pickup) lately."""
    rows = conn.execute(
        "SELECT carrier, count(*) AS n FROM shipments WHERE kind = 'delivery' AND carrier NOT IN ('own_fleet', 'pickup') "
        "AND status != 'cancelled' AND created_at >= ? GROUP BY carrier", (to_iso(now - timedelta(days=days)),),
    ).fetchall()
    total = sum(r["n"] for r in rows)
    return {r["carrier"]: r["n"] / total for r in rows} if total else {}


PREFERENCES_KEY = "dispatch.preferences"


def load_preferences(source) -> Preferences:
    import json

    from .settings import read_setting

    text = read_setting(source, PREFERENCES_KEY)
    if not text:
        return Preferences()
    data = json.loads(text)
    return Preferences(bool(data.get("prefer_own_fleet", False)), frozenset(data.get("excluded_carriers", ())),
                       data.get("reliability_floor"), data.get("second_carrier"), float(data.get("second_carrier_share", 0.0)))


def save_preferences(db, preferences: Preferences) -> None:
    import json

    db.set_setting(PREFERENCES_KEY, json.dumps({
        "prefer_own_fleet": preferences.prefer_own_fleet, "excluded_carriers": sorted(preferences.excluded_carriers),
        "reliability_floor": preferences.reliability_floor, "second_carrier": preferences.second_carrier,
        "second_carrier_share": preferences.second_carrier_share,
    }))
