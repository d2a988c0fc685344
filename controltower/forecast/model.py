"""The forecast's plain values: what the forecast area, the capacity plan and the refresh job exchange (frozen, no Qt).

Read it as:  report = core.forecast.latest()          # ForecastReport | None (the last refresh, from the store)
             report.total.days[0].p50                  # tomorrow-ish: orders the shop should expect (median)
             report.series(SeriesKey("Within 8 km"))   # one zone; SeriesKey(zone, option) one zone x option
             report.slots                              # load per delivery slot for the next days (p50, p80)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

ALL = None  # SeriesKey(zone=ALL, option=ALL) is the shop's total


@dataclass(frozen=True)
class SeriesKey:
    """Which orders a series counts: one delivery zone (its name in the shop's settings, or OUTSIDE), one delivery
    option (a DeliveryOption value), both, or neither (None = all: SeriesKey() is the shop's total)."""

    zone: str | None = None
    option: str | None = None

    OUTSIDE = "Outside our zones"  # orders no zone of the shop covers (parcel carriers take them)

    @property
    def is_total(self) -> bool:
        return self.zone is None and self.option is None

    @property
    def label(self) -> str:
        if self.is_total:
            return "All orders"
        option = (self.option or "").replace("_", " ").capitalize()
        return " · ".join(part for part in (self.zone, option) if part)


@dataclass(frozen=True)
class Accuracy:
    """How the chosen method did in its rolling-origin backtest on this series' own history.

    wape: sum|actual - forecast| / sum actual (0.14 = off by 14 % of a day's orders); wape_naive the same for
    'same weekday last week'; improvement_pct how much better (27.0 = 27 % better; negative = worse);
    coverage80/95: share of backtest days inside the (calibrated) 80 % / 95 % interval; words: the sentence
    the forecast area shows."""

    wape: float | None
    wape_naive: float | None
    improvement_pct: float | None
    windows: int
    days: int
    coverage80: float | None = None
    coverage95: float | None = None
    words: str = ""


@dataclass(frozen=True)
class DayForecast:
    """Orders expected on one shop day. p50 is the median, p80 the 80th percentile (plan capacity on it);
    lo80..hi80 and lo95..hi95 the central 80 % and 95 % intervals. `known` orders are already placed or
    recurring for that day (the forecast never goes below them). last_year: the same weekday 52 weeks
    earlier (None before the history reaches back). note: why the day is special ('Closed: Christmas Day',
    "Valentine's Day: +62 % last time")."""

    day: date
    p50: float
    p80: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    known: int = 0
    last_year: float | None = None
    note: str = ""
    closed: bool = False


@dataclass(frozen=True)
class SeriesForecast:
    """History and forecast of one series. method names the model chosen by backtest ('ETS', 'Seasonal naive',
    'Holiday regression', 'Split of zone by recent shares', 'Simple: mean of recent days'); simple_reason says
    why a labelled simple forecast was made instead of a model (too little history), else None."""

    key: SeriesKey
    history: tuple[tuple[date, int], ...]
    days: tuple[DayForecast, ...]
    method: str
    simple_reason: str | None = None
    accuracy: Accuracy | None = None

    def day(self, day: date) -> DayForecast | None:
        return next((d for d in self.days if d.day == day), None)


@dataclass(frozen=True)
class SlotLoad:
    """Expected orders in one delivery slot of a coming day (shop total split by the recent slot shares)."""

    day: date
    slot_label: str  # "10:00–12:00", shop time
    start: datetime  # aware, UTC
    end: datetime
    p50: float
    p80: float
    known: int = 0


@dataclass(frozen=True)
class CalendarEvent:
    """A day the forecast treats specially. kind: 'public_holiday' (the holidays package, shop's country and
    region), 'peak' (Valentine's Day, Mother's Day, Black Friday, the weeks before Christmas...), 'closure' or
    'promotion' (the shop's own, stored by forecast.calendar). lift: orders that day / a normal such day, as
    measured the last time the event happened (1.62 = +62 %), None if never seen; closed: the shop is shut."""

    day: date
    name: str
    kind: str
    closed: bool = False
    lift: float | None = None
    last_seen: date | None = None
    id: int | None = None  # the stored row of a shop closure or promotion (to remove it)


@dataclass(frozen=True)
class ForecastReport:
    """One refresh: the shop total, every zone and zone x option series, and the slot loads of the next days."""

    made_at: datetime
    horizon_days: int
    total: SeriesForecast
    by_series: tuple[SeriesForecast, ...] = ()
    slots: tuple[SlotLoad, ...] = ()
    fit_seconds: float = 0.0
    history_days: int = 0
    events: tuple[CalendarEvent, ...] = field(default=())

    def series(self, key: SeriesKey) -> SeriesForecast | None:
        if key.is_total:
            return self.total
        return next((s for s in self.by_series if s.key == key), None)

    def keys(self) -> list[SeriesKey]:
        return [self.total.key, *(s.key for s in self.by_series)]
