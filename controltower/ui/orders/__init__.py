"""The Orders area."""
from .view import OrdersView  # noqa: F401
