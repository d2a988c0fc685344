"""The default choice among the ways to send an order: cheapest that keeps the promise, bent by the shop's preferences."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain import Money
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


def money(row: WayRow) -> str:
    return row.price.format() if row.price else "?"


def label(row: WayRow) -> str:
    """How a way is named in a reason: "Zippy ground", "Own van"."""
    return f"{row.name} {row.service}".strip() if row.service and row.kind not in ("own_fleet", "pickup") else row.name


@dataclass(frozen=True)
class Screened:
    """An order's ways after the shop's settings: the usable ones, those that keep the promise, and what was set aside."""

    usable: list[WayRow]
    keepers: list[WayRow]
    notes: list[str]
    refusal: str = ""  # set when the settings leave no way at all


def screen(rows: list[WayRow], preferences: Preferences = Preferences(), left_out: dict[str, str] | None = None) -> Screened:
    """Exclusions, left-out carriers and the reliability floor, the same for one order (`choose`) and the whole day.

    The floor never leaves an order without a way that keeps its promise: when every such carrier is under
    it, they stay, with a note.
    """
    usable = [r for r in rows if r.usable and QUOTE_EXPIRED not in r.flags]
    if not usable:
        return Screened([], [], [], "No carrier gave a usable quote; try again or book by hand.")
    notes: list[str] = []
    for carrier, why in (left_out or {}).items():
        skipped = [r for r in usable if r.carrier == carrier]
        if skipped:
            usable = [r for r in usable if r.carrier != carrier]
            notes.append(f"{skipped[0].name} left out: {why}")
    if not usable:
        return Screened([], [], notes, join_notes("No other way quoted.", notes))
    excluded = [r for r in usable if r.carrier in preferences.excluded_carriers]
    if excluded:
        usable = [r for r in usable if r.carrier not in preferences.excluded_carriers]
        notes.append(f"{', '.join(sorted({r.name for r in excluded}))} excluded by your settings")
        if not usable:
            return Screened([], [], notes, "Every carrier that quoted is excluded by your settings.")
    keepers = [r for r in usable if r.keeps_promise]
    floor = preferences.reliability_floor
    if floor is not None and keepers:
        reliable = [r for r in keepers if r.on_time.delivered < MIN_HISTORY or (r.on_time.rate or 0) >= floor]
        dropped = sorted({r.name for r in keepers} - {r.name for r in reliable})
        if reliable and dropped:
            notes.append(f"{', '.join(dropped)} below your {floor:.0%} on-time floor")
            keepers = reliable
        elif dropped:
            notes.append(f"all carriers are below your {floor:.0%} on-time floor")
    return Screened(usable, keepers, notes)


def choose(rows: list[WayRow], preferences: Preferences = Preferences(), shares: dict[str, float] | None = None,
           left_out: dict[str, str] | None = None) -> Decision:
    """The recommended way and, in plain words, why. `left_out` maps carriers to skip this time to the reason."""
    screened = screen(rows, preferences, left_out)
    if screened.refusal:
        return Decision(None, screened.refusal)
    usable, keepers, notes = screened.usable, screened.keepers, screened.notes
    if not keepers:
        dated = [r for r in usable if r.estimated_delivery is not None and r.kind != "pickup"] or usable
        earliest = min(dated, key=lambda r: (r.estimated_delivery.timestamp() if r.estimated_delivery else float("inf"), r.price.amount_minor))
        return Decision(earliest, join_notes(f"No way keeps the promise; {label(earliest)} arrives earliest ({money(earliest)}).", notes))
    in_budget = [r for r in keepers if OVER_BUDGET not in r.flags]
    if in_budget:
        keepers = in_budget
    cheapest = min(keepers, key=lambda r: r.price.amount_minor)
    if preferences.prefer_own_fleet:
        own = [r for r in keepers if r.carrier == OWN_FLEET]
        if own:
            return Decision(own[0], join_notes(own_van_reason(own[0].price, label(cheapest), cheapest.price), notes))
    second = preferences.second_carrier
    if second and preferences.second_carrier_share > 0:
        share = (shares or {}).get(second, 0.0)
        backups = [r for r in keepers if r.carrier == second]
        if backups and share < preferences.second_carrier_share and cheapest.carrier != second:
            backup = min(backups, key=lambda r: r.price.amount_minor)
            return Decision(backup, join_notes(
                f"{label(backup)} keeps the promise and has {share:.0%} of recent bookings, under the "
                f"{preferences.second_carrier_share:.0%} you keep with it ({money(backup)} vs {money(cheapest)}).", notes))
    others = sorted((r for r in keepers if r is not cheapest), key=lambda r: r.price.amount_minor)
    after = others[0] if others else None
    return Decision(cheapest, join_notes(cheapest_reason(label(cheapest), cheapest.price, after and label(after),
                                                         after and after.price), notes))


def own_van_reason(own: Money, cheapest_name: str, cheapest: Money) -> str:
    """Why the own van, when the shop prefers own vans (for one order, and for each order of the day)."""
    if own.amount_minor <= cheapest.amount_minor:
        return f"Own van is the cheapest that keeps the promise ({own.format()})."
    return f"Own van keeps the promise and you prefer own vans ({own.format()}; cheapest was {cheapest_name} at {cheapest.format()})."


def cheapest_reason(name: str, price: Money, next_name: str | None = None, next_price: Money | None = None) -> str:
    versus = f"; next is {next_name} at {next_price.format()}" if next_name and next_price is not None else ""
    return f"{name} is the cheapest that keeps the promise ({price.format()}{versus})."


def join_notes(reason: str, notes: list[str]) -> str:
    """A reason followed by what the settings set aside for it."""
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
