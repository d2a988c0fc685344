"""Two years of the demo shop's past demand, as daily counts per zone and option (fast: one executemany).

A plant-and-homeware shop: busier Fridays and Saturdays, quiet Sundays, a spring high and a December peak, 25 %
growth a year, closed on the big public holidays, and its peaks (Valentine's Day, Mother's Day, Black Friday,
Cyber Monday, the weeks before Christmas). The detailed days of the demo take their counts from the same shape.
"""
from __future__ import annotations

import math
import random
from datetime import date, timedelta

from ..forecast import history as demand_history
from ..forecast.calendar import calendar_days

YEARS = 2
LEVEL_TODAY = 150.0  # orders on an ordinary weekday about now
GROWTH = 0.25  # a year
WEEKDAY = (0.95, 0.92, 1.0, 1.05, 1.22, 1.18, 0.68)  # Monday first
# The big days off, in the United States and in Finland (the holidays package's English names).
CLOSED_ON = {"New Year's Day", "Memorial Day", "Independence Day", "Labor Day", "Thanksgiving Day", "Christmas Day",
             "Midsummer Day", "Second Day of Christmas", "Good Friday"}
LIFT = {"Valentine's Day": 2.3, "Mother's Day": 1.9, "Black Friday": 1.8, "Cyber Monday": 1.4, "Christmas Eve": 1.3,
        "Christmas run-up, 3 weeks before": 1.25, "Christmas run-up, 2 weeks before": 1.45,
        "Christmas run-up, last week": 1.7, "Halloween": 1.15}
NOISE = 0.07  # day-to-day luck beyond Poisson (weather, a newsletter)


class Demand:
    """The demo's expected orders per day, and a noisy count drawn from it."""

    def __init__(self, today: date, country: str, region: str | None, seed: int) -> None:
        self.today = today
        self.rng = random.Random(seed * 7919 + 21)  # its own stream: the detailed days' draws stay as they were
        start = today - timedelta(days=366 * YEARS + 7)
        self.events: dict[date, list[str]] = {}
        for event in calendar_days(country, region, start, today + timedelta(days=60)):
            self.events.setdefault(event.day, []).append(event.name)

    def expected(self, day: date) -> float:
        names = [n.replace(" (observed)", "") for n in self.events.get(day, ())]
        if any(name in CLOSED_ON for name in names):
            return 0.0
        years = (day - self.today).days / 365.25
        yearly = 1 + 0.12 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 130) / 365.25)
        lift = math.prod(LIFT.get(name, 1.0) for name in names)
        return LEVEL_TODAY * (1 + GROWTH) ** years * WEEKDAY[day.weekday()] * yearly * lift

    def count(self, day: date) -> int:
        mean = self.expected(day)
        if mean <= 0:
            return 0
        mean *= math.exp(self.rng.gauss(0, NOISE) - NOISE * NOISE / 2)
        return max(0, int(round(self.rng.gauss(mean, math.sqrt(mean)))))  # Poisson-like spread


def write_history(conn, demand: Demand, before: date, shares: dict[tuple[str, str], float]) -> int:
    """Daily counts for the two years before `before`, split over (zone, option) by `shares`; returns the orders."""
    cells = sorted(shares)
    weights = [shares[c] for c in cells]
    rows, total = [], 0
    day = before - timedelta(days=366 * YEARS)
    while day < before:
        count = demand.count(day)
        total += count
        split = dict.fromkeys(cells, 0)
        for cell in demand.rng.choices(cells, weights, k=count) if count else ():
            split[cell] += 1
        iso = day.isoformat()
        rows += [(iso, zone, option, orders) for (zone, option), orders in split.items() if orders]
        day += timedelta(days=1)
    demand_history.write_days(conn, rows)
    return total
