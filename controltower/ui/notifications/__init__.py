"""Customer messages: the composer and an order's message history."""
from .composer import MessageComposer, MessageHistory  # noqa: F401
