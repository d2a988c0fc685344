"""The route planner as the windows see it: the service (load a day, re-time, solve, save, dispatch) and the plain
values and helpers the Routes area shows. The UI imports these from here, never from `routing`."""
from __future__ import annotations

from ..area.speeds import SpeedProfile
from ..routing.evaluator import Evaluation
from ..routing.explain import Reason, slack_text
from ..routing.model import Plan
from ..routing.runsheet import export_run_sheets, run_sheets
from ..routing.service import PlanComparison, RoutingDay, RoutingService, StopInfo, VehicleInfo, compare_outcomes

__all__ = ["RoutingService", "RoutingDay", "StopInfo", "VehicleInfo", "PlanComparison", "Evaluation", "Plan", "Reason",
           "slack_text", "compare_outcomes", "export_run_sheets", "run_sheets", "SpeedProfile"]
