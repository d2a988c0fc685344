"""KPI cards, trends and the scorecard."""
from .panel import KpiPanel  # noqa: F401
