"""Demo mode: a realistic generated day of a small shop, on a store of its own."""
from .generator import DemoSummary, generate  # noqa: F401
