"""Recurring deliveries: an order's RFC 5545 repeat rule (python-dateutil's rrule), expanded into its coming
shop days, closed days skipped. Those occurrences are known demand for the forecast."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from dateutil.rrule import rrulestr

MAX_OCCURRENCES = 400  # a rule without an end is read this far at most (over a year of daily deliveries)


class BadRepeatRule(ValueError):
    """A repeat rule that is not RFC 5545 RRULE text the app can read (the message says what to type)."""


@dataclass(frozen=True)
class Occurrence:
    order_id: int
    day: date
    option: str
    zone: str


def check_rule(rule: str, start: datetime | None = None) -> str:
    """The rule, cleaned ('RRULE:' prefix dropped, upper case); BadRepeatRule if it can't be read."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    text = text.upper()
    if not text:
        return ""
    if "FREQ=" not in text:
        raise BadRepeatRule(f"'{rule}' is not a repeat rule: it needs a FREQ, e.g. FREQ=WEEKLY;BYDAY=FR "
                            "(every Friday) or FREQ=MONTHLY;BYMONTHDAY=1 (the 1st of each month)")
    try:
        rrulestr(text, dtstart=(start or datetime(2000, 1, 1)).replace(tzinfo=None))
    except (ValueError, TypeError) as exc:
        raise BadRepeatRule(f"'{rule}' is not a repeat rule this app can read ({exc}); "
                            "try e.g. FREQ=WEEKLY;BYDAY=FR or FREQ=MONTHLY;BYMONTHDAY=1") from exc
    return text


def occurrences(rule: str, first: datetime, zone: tzinfo, start: date, end: date,
                closed: set[date] | frozenset[date] = frozenset()) -> list[date]:
    """Shop days in start..end (inclusive) on which the rule repeats an order first promised at `first` (aware; that
    first delivery is the order itself, not a repeat), closed days left out (the delivery is skipped that time, not moved)."""
    text = check_rule(rule, first)
    if not text:
        return []
    local_first = first.astimezone(zone).replace(tzinfo=None)
    repeat = rrulestr(text, dtstart=local_first)
    window_start = datetime.combine(max(start, local_first.date()), time.min)
    window_end = datetime.combine(end, time.max)
    days = []
    for moment in repeat.between(window_start, window_end, inc=True):
        if len(days) >= MAX_OCCURRENCES:
            break
        if moment != local_first and moment.date() not in closed:  # the order itself is already in the store
            days.append(moment.date())
    return days


def next_days(rule: str, first: datetime, zone: tzinfo, today: date, count: int = 5,
              closed: set[date] | frozenset[date] = frozenset()) -> list[date]:
    """The next `count` delivery days from today (for the order detail: 'next: Fri 11, Fri 18 ...')."""
    return occurrences(rule, first, zone, today, today + timedelta(days=400), closed)[:count]
