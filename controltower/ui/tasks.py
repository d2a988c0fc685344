"""Run work off the UI thread and deliver the result back on it (the one way background results reach widgets)."""
from __future__ import annotations

import logging
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # delivered to the UI, never swallowed
            exc.__traceback_text__ = traceback.format_exc()
            self.relay.failed.emit(exc)
        else:
            self.relay.done.emit(result)


class Task(QObject):
    """A handle on one background job; `cancelled` results are dropped on arrival."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancelled = False
        self.relay = _Relay()

    def cancel(self) -> None:
        self.cancelled = True


_live: set[Task] = set()


def run_in_thread(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
                  on_error: Callable[[BaseException], None] | None = None, pool: QThreadPool | None = None) -> Task:
    """Run `fn` in the thread pool; `on_done(result)` or `on_error(exc)` run later on the UI thread."""
    task = Task()
    _live.add(task)

    def finished(result: Any) -> None:
        _live.discard(task)
        if not task.cancelled and on_done is not None:
            on_done(result)

    def failed(exc: BaseException) -> None:
        _live.discard(task)
        if task.cancelled:
            return
        if on_error is not None:
            on_error(exc)
        else:
            log.error("background task failed: %s", getattr(exc, "__traceback_text__", exc))

    task.relay.done.connect(finished)
    task.relay.failed.connect(failed)
    (pool or QThreadPool.globalInstance()).start(_Job(fn, task.relay))
    return task
