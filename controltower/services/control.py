"""The exception queue as the windows see it: its service (read the cases, act on them), the rules engine that
finds them, and the plain values they show. The UI imports these from here, never from `control`."""
from __future__ import annotations

from ..control.actions import ActionResult, ControlService
from ..control.cases import KIND_LABELS, CaseFilter, CaseRow, RebookQuote, VanChoice
from ..control.engine import ExceptionEngine

__all__ = ["ControlService", "ExceptionEngine", "ActionResult", "CaseFilter", "CaseRow", "RebookQuote", "VanChoice",
           "KIND_LABELS"]
