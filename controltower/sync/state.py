"""What the status bar shows about sync, kept up to date by the engine and published as `sync.state`."""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SyncState:
    online: bool = True
    last_sync: datetime | None = None   # last answer from any carrier
    queue: int = 0                      # writes waiting, being sent, or being checked
    unknown: int = 0                    # of those, sent with the answer lost (being reconciled)
    failed: int = 0                     # writes the carrier refused (shown as exceptions)
    tracked: int = 0                    # open shipments being polled
    errors: tuple[str, ...] = ()        # recent carrier errors, newest last, plain words

    def as_payload(self) -> dict:
        return {"online": self.online, "last_sync": self.last_sync, "queue": self.queue, "unknown": self.unknown,
                "failed": self.failed, "tracked": self.tracked, "errors": list(self.errors)}


@dataclass
class RecentErrors:
    """Errors from the last few minutes, newest last, each once."""

    keep_s: float = 600.0
    size: int = 5
    _items: deque = field(default_factory=lambda: deque(maxlen=50))

    def add(self, message: str) -> None:
        self._items.append((time.monotonic(), message))

    def current(self) -> tuple[str, ...]:
        cutoff = time.monotonic() - self.keep_s
        seen: dict[str, None] = {}
        for at, message in self._items:
            if at >= cutoff:
                seen.pop(message, None)
                seen[message] = None
        return tuple(list(seen)[-self.size:])
