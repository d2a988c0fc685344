"""The Routes area (own-van route planning)."""
from .view import RoutesView, RouteTree  # noqa: F401
