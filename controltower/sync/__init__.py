"""The background sync engine: a durable outbox for carrier writes, polite retries, tracking polls. No Qt."""
from .engine import SyncEngine  # noqa: F401
from .outbox import OutboxEntry  # noqa: F401
from .policy import SyncPolicy  # noqa: F401
from .state import SyncState  # noqa: F401
from .writes import CannotCancel, QueuedWrite, cancel_write, enqueue_booking, enqueue_cancel, enqueue_return  # noqa: F401
