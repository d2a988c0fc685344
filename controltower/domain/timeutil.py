"""Timezone-aware time helpers: UTC in the store, local time in the UI."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

UTC = timezone.utc


def utcnow() -> datetime:
    return datetime.now(UTC)


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The last second of the calendar `day` in `zone`, in UTC: what "by that day" means for a date-only estimate."""
    return datetime.combine(day, time(23, 59, 59), zone).astimezone(UTC)


def require_aware(moment: datetime, what: str = "time") -> datetime:
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment


def to_iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a 'Z'-free +00:00 offset, sortable as text."""
    if moment is None:
        return None
    return require_aware(moment).astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"stored time without a timezone: {text!r}")
    return moment


@dataclass(frozen=True)
class TimeWindow:
    """A promised or allowed interval [start, end]; both ends timezone-aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "window start")
        require_aware(self.end, "window end")
        if self.end < self.start:
            raise ValueError(f"window ends before it starts: {self.start.isoformat()} > {self.end.isoformat()}")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def lateness(self, moment: datetime) -> timedelta:
        """How far past the end a moment is (zero when inside or early)."""
        return max(moment - self.end, timedelta(0))
