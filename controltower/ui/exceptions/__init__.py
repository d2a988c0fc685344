"""The exception queue view and its action forms."""
from .view import ExceptionQueueView  # noqa: F401
