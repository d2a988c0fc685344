"""File > Export: orders, shipments, routes, exceptions and KPIs to CSV or XLSX, written off the UI thread."""
from .actions import ExportActions  # noqa: F401
