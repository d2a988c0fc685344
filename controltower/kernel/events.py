"""A small Qt-free event hub: lower layers announce facts, the UI subscribes (never the other way round)."""
from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any, Callable

log = logging.getLogger(__name__)
Handler = Callable[[str, dict[str, Any]], None]


class EventHub:
    """Publish/subscribe by topic; '*' receives everything. Handlers run on the publisher's thread."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        with self._lock:
            self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers[topic]:
                    self._handlers[topic].remove(handler)

        return unsubscribe

    def publish(self, topic: str, **payload: Any) -> None:
        with self._lock:
            handlers = list(self._handlers.get(topic, ())) + list(self._handlers.get("*", ()))
        for handler in handlers:
            try:
                handler(topic, payload)
            except Exception:  # one broken subscriber must not stop the others
                log.exception("event handler failed for %s", topic)


# Topics in use (add here when adding one):
#   orders.changed(ids)          shipments.changed(ids)        exceptions.changed()
#   sync.state(online, last_sync, queue, errors)               routes.changed(plan_date)
#   notifications.changed()
#   sync.state also carries unknown, failed, tracked           outbox.changed(ids): a write was queued or withdrawn
#   sync.refreshed(shipments, seconds): a full tracking refresh finished
#   ratings.changed(rated): customers' replies were read and ratings recorded (the ratings job)
#   area.progress(stage, done, total)  area.built(folder, name)  area.failed(message, advice)  area.cancelled()
#   area.placed(placed, unplaced): rough pins looked up again in the shop's new area (services/area.py)
