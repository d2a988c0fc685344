"""The KPIs as the windows see them: the service that counts them and the values the panel shows and filters by.
The UI imports these from here, never from `control`."""
from __future__ import annotations

from ..control.csat import CsatRow, ReasonRow
from ..control.kpis import KpiFilter, KpiService, KpiValue, Period, ScorecardRow

__all__ = ["CsatRow", "KpiService", "KpiFilter", "KpiValue", "Period", "ReasonRow", "ScorecardRow"]
