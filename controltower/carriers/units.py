"""Conversions every carrier mapping needs: units, times and money from carriers' wire formats."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation

from ..domain import Money

GRAMS_PER_OZ = Decimal("28.349523125")
CM_PER_INCH = Decimal("2.54")


def grams_to_oz(grams: int) -> float:
    return float((Decimal(grams) / GRAMS_PER_OZ).quantize(Decimal("0.1")))


def grams_to_lb(grams: int) -> float:
    return float((Decimal(grams) / GRAMS_PER_OZ / 16).quantize(Decimal("0.01")))


def cm_to_inches(cm: float) -> float:
    return float((Decimal(str(cm)) / CM_PER_INCH).quantize(Decimal("0.1")))


def parse_time(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601 / RFC 3339 text or epoch seconds; None when absent or unreadable."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:  # carriers that omit the zone mean UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_estimate(value: object) -> tuple[datetime | None, date | None]:
    """A carrier's delivery estimate as (moment, None), or (None, day) when it names only a day: a bare date, or
    midnight UTC (EasyPost `est_delivery_date` "2026-12-08T00:00:00Z", Shippo `eta`), which carriers send for a day
    they give no time for. The day is dated later, in the shop's zone."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return None, date.fromisoformat(text)
        except ValueError:
            return None, None
    moment = parse_time(value)
    if moment is not None and moment.time() == time(0) and isinstance(value, str) \
            and re.search(r"(Z|[+-]00:?00)$", value.strip()):
        return None, moment.date()
    return moment, None


def transit_days(*values: object) -> int | None:
    """Days in transit from the first usable value: a whole number (EasyPost `delivery_days`, Shippo
    `estimated_days`) or text naming one ("Delivery in 2 business days", Shippo `duration_terms`)."""
    for value in values:
        if isinstance(value, bool) or value in (None, ""):
            continue
        if isinstance(value, (int, float)) and int(value) == value and value >= 0:
            return int(value)
        found = re.search(r"(\d+)\s*(?:business\s+)?days?", str(value), re.IGNORECASE)
        if found:
            return int(found.group(1))
    return None


def time_of_day(value: object) -> time | None:
    """A wall-clock time such as Shippo's `arrives_by` "08:30:00"; None when absent or unreadable."""
    if not value:
        return None
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        return None


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def decimal_money(amount: object, currency: str | None) -> Money:
    """Money from a decimal string such as "8.20" (EasyPost, Shippo); ValueError when it is not a number."""
    try:
        return Money.parse(str(amount), (currency or "USD").upper())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc


def minor_money(amount: object, currency: str | None) -> Money:
    """Money from integer minor units (Uber Direct, DoorDash send cents)."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or int(amount) != amount:
        raise ValueError(f"not an amount in cents: {amount!r}")
    return Money(int(amount), (currency or "USD").upper())
