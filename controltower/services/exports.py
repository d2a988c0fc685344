"""File > Export: orders, shipments, routes and exception cases to CSV or Excel, and the KPIs of a period."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..control.kpis import KpiService, Period
from ..kernel.events import EventHub
from ..exports.tables import ExportCancelled, count_rows, export
from ..exports.kpis import KpiExport, export_kpis
from ..store import Database

__all__ = ["ExportService", "ExportCancelled"]


class ExportService:
    """Writes exports with the calling thread's own reader: call it from a worker, never the UI thread."""

    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    def count(self, what: str) -> int:
        """How many rows an export of `what` ("orders", "shipments", "routes", "exceptions") will write."""
        return count_rows(self.db.reader(), what)

    def write(self, what: str, path: Path, progress: Callable[[int], None] | None = None) -> int:
        """Write `what` to `path` (.csv or .xlsx); `progress(rows)` every few thousand rows may raise ExportCancelled
        to stop, leaving no file behind. Returns the rows written."""
        return export(self.db.reader(), what, path, progress=progress)

    def write_kpis(self, kpis: KpiService, period: Period, path: Path) -> KpiExport:
        """The KPIs, scorecard and costs of `period`, with times in the shop's zone."""
        return export_kpis(kpis, period, path, self.db.shop_timezone())
