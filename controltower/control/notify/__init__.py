"""Customer notifications: templates, a durable outbox over the notifications table, email and SMS channels, the sender."""
from .outbox import enqueue, history, is_opted_out, opt_out  # noqa: F401
from .templates import EVENTS, Rendered, TemplateSet  # noqa: F401
