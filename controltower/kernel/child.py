"""Work in a spawned child process that reports through a queue: the window's Python never waits on it (no GIL shared),
and stopping it is ending the process. Never a fork: the parent may be running Qt."""
from __future__ import annotations

import atexit
import multiprocessing
import queue as queue_module
import time
from typing import Callable


class ChildProcess:
    """`target(*args, messages)` in a spawned child; it puts tuples on `messages` and ends with one whose first item
    is "done" or "failed". Poll `messages()` from a timer, or `wait()` in scripts and tests; `cancel()` ends it.

    A child that dies without its last word is reported as ("failed", `unexpected_end` with its exit code, advice)."""

    FINAL = ("done", "failed")

    def __init__(self, target: Callable, args: tuple, *, name: str, daemon: bool,
                 unexpected_end: str = "The work stopped unexpectedly (exit code {code}).", advice: str = "") -> None:
        context = multiprocessing.get_context("spawn")
        self._queue = context.Queue()
        self._process = context.Process(target=target, args=(*args, self._queue), name=name, daemon=daemon)
        self._unexpected_end, self._advice = unexpected_end, advice
        self.finished = False

    def start(self):
        self._process.start()
        atexit.register(self.cancel)  # a normal exit of the app ends the child first
        return self

    def messages(self) -> list[tuple]:
        ended = not self._process.is_alive()  # asked before draining: a finished child's last word is in the queue
        found = []
        while True:
            try:
                message = self._queue.get_nowait()
            except queue_module.Empty:
                break
            found.append(message)
            self.finished = self.finished or message[0] in self.FINAL
        if ended and not self.finished:
            self.finished = True
            found.append(("failed", self._unexpected_end.format(code=self._process.exitcode), self._advice))
        return found

    def wait(self, timeout: float | None = None) -> list[tuple]:
        """Block until the child ends; every message. TimeoutError when it is still running after `timeout` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        found = []
        while not self.finished:
            try:
                message = self._queue.get(timeout=0.2)
            except queue_module.Empty:
                found += self.messages()
                if not self.finished and deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"{self._process.name} still running")
                continue
            found.append(message)
            self.finished = message[0] in self.FINAL
        self._process.join(timeout=10)
        atexit.unregister(self.cancel)
        return found

    def cancel(self) -> None:
        """End the child now (nothing happens when it has ended)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=10)
        self.finished = True
        atexit.unregister(self.cancel)
