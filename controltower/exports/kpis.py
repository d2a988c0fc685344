"""Writing the KPIs of a period, their scorecard per carrier and driver, costs and customers' ratings, to CSV or XLSX."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from ..control.csat import CsatRow, ReasonRow
from ..control.kpis import CostRow, KpiService, KpiValue, Period, ScorecardRow
from ..domain import Money
from .tables import ExportTable, write_tables

UNITS = {"percent": "%", "hours": "hours", "count": "count", "km": "km", "number": "number"}  # money: the currency


@dataclass(frozen=True)
class KpiExport:
    """What an export wrote: the files, and how many KPIs and scorecard rows are in them."""

    files: tuple[Path, ...]
    kpis: int
    scorecard_rows: int

    def summary(self) -> str:
        rows = f"{self.scorecard_rows:,} scorecard row{'s' * (self.scorecard_rows != 1)}"
        return f"{self.kpis} KPIs and {rows} written to {', '.join(str(f) for f in self.files)}"


def export_kpis(service: KpiService, period: Period, path: str | Path, zone: tzinfo | None = None) -> KpiExport:
    """Write the period's KPIs (sheet or file "KPIs"), scorecard ("Scorecard"), costs ("Costs"), customers' ratings
    ("Ratings") and why low scores were low ("Low scores") to `path`.

    `zone` is the shop's time zone for the period's start and end (None: the computer's own)."""
    kpis = service.panels(period)
    scorecard = service.scorecard(period)
    costs = service.cost_breakdown(period)
    tables = [kpi_table(kpis, period, zone), scorecard_table(scorecard), cost_table(costs, service.currency),
              ratings_table(service.csat(period)), reasons_table(service.low_score_reasons(period))]
    return KpiExport(tuple(write_tables(path, tables)), len(kpis), len(scorecard))


def kpi_table(kpis: list[KpiValue], period: Period, zone: tzinfo | None = None) -> ExportTable:
    """One row per KPI: what it measures, the period (shop local), its value, the previous period's and the change."""
    start, end = _local(period.start, zone), _local(period.end, zone)
    zone_name = getattr(zone, "key", None) or period.start.astimezone(zone).tzname() or "local"
    headers = ("KPI", "Definition", f"Period start ({zone_name})", f"Period end ({zone_name})", "Current value",
               "Previous period", "Change", "Unit", "Better when")
    rows = [(kpi.label, kpi.definition, start, end, in_units(kpi, kpi.value), in_units(kpi, kpi.previous),
             in_units(kpi, kpi.change), kpi.currency if kpi.unit == "money" else UNITS.get(kpi.unit, kpi.unit), kpi.better)
            for kpi in kpis]
    return ExportTable("KPIs", headers, rows)


def in_units(kpi: KpiValue, value: float | None) -> float | int | None:
    """A KPI number as a spreadsheet shows it: percent in points, money in major units, counts whole."""
    if value is None:
        return None
    if kpi.unit == "percent":
        return _percent(value)
    if kpi.unit == "money":
        return _money(value, kpi.currency)
    if kpi.unit == "count":
        return int(round(value))
    return round(value, 2)


def scorecard_table(rows: list[ScorecardRow]) -> ExportTable:
    headers = ("Kind", "Carrier or driver", "Volume", "Delivered", "On time (%)", "First attempt (%)", "Cost per delivery",
               "Currency", "With exceptions (%)", "Quote accuracy (%)", "Complaints")
    return ExportTable("Scorecard", headers, [
        (row.kind, row.name, row.volume, row.delivered, _percent(row.on_time_rate), _percent(row.first_attempt_rate),
         _money(row.cost_per_delivery, row.currency), row.currency, _percent(row.exception_rate), _percent(row.quote_accuracy),
         row.complaints) for row in rows])


def cost_table(rows: list[CostRow], currency: str) -> ExportTable:
    headers = ("By", "Carrier or option", "Deliveries", "Cost per delivery", "Cost per parcel", "Currency")
    return ExportTable("Costs", headers, [
        (row.group, row.name, row.deliveries, _money(row.cost_per_delivery, currency), _money(row.cost_per_parcel, currency), currency)
        for row in rows])


def ratings_table(rows: list[CsatRow]) -> ExportTable:
    """CSAT beside how many were asked and replied: a delivery nobody rated is never counted as satisfied."""
    headers = ("By", "Driver, van, carrier or option", "Asked", "Replies", "Response rate (%)", "CSAT (%)",
               "Average score", "Low scores (1-2)")
    return ExportTable("Ratings", headers, [
        (row.group, row.name, row.asked, row.replies, _percent(row.response_rate), _percent(row.csat),
         None if row.average is None else round(row.average, 2), row.low) for row in rows])


def reasons_table(rows: list[ReasonRow]) -> ExportTable:
    return ExportTable("Low scores", ("Why", "Low scores", "Share (%)"),
                       [(row.label, row.count, _percent(row.share)) for row in rows])


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 2)


def _money(minor: float | None, currency: str) -> float | None:
    """Minor units to major, rounded to the minor unit as the panel shows it."""
    return None if minor is None else float(Money(int(round(minor)), currency).decimal)


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    """Shop-local wall time without the zone: spreadsheets can't hold zones (the header names it)."""
    return moment.astimezone(zone).replace(tzinfo=None)
