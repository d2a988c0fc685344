"""The import wizard."""
from .wizard import ImportWizard  # noqa: F401
