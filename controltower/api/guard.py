"""The API's door: Host and Origin checked first (DNS rebinding, browsers), then the token, then the rate limit.

A pure ASGI middleware around the whole app, so nothing behind it (route, body parsing, docs) runs for a request
it turns away. AnkiConnect's history is the lesson: origins checked only after acting, no key by default.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from contextvars import ContextVar
from typing import Callable, Iterable

# The token's name for the request being served: handlers read it for the audit log ("by API token X").
current_token: ContextVar[str] = ContextVar("current_token", default="")


class RateLimit:
    """A token bucket per API token: `per_second` requests a second on average, bursts up to the same number."""

    def __init__(self, per_second: float = 20.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second, self.clock = float(per_second), clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.per_second, now))
            tokens = min(self.per_second, tokens + (now - at) * self.per_second)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            return allowed


class Guard:
    """ASGI middleware. `allowed_hosts()` gives the exact Host values accepted (e.g. "127.0.0.1:8765")."""

    def __init__(self, app, *, allowed_hosts: Callable[[], Iterable[str]], who: Callable[[str], str | None],
                 rate_limit: RateLimit) -> None:
        self.app, self.allowed_hosts, self.who, self.rate_limit = app, allowed_hosts, who, rate_limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").lower()
        if host not in {h.lower() for h in self.allowed_hosts()}:
            await _refuse(send, 421, "This API answers only on its own address (a foreign Host header was refused).")
            return
        if "origin" in headers:  # any browser page, even our own docs' scripts, is refused: the API is for programs
            await _refuse(send, 403, "Requests from web pages (with an Origin header) are refused.")
            return
        name = self.who(_presented_token(headers.get("authorization", "")))
        if name is None:
            await _refuse(send, 401, "A valid API token is required (Authorization: Bearer <token>).",
                          [(b"www-authenticate", b'Bearer, Basic realm="Control Tower API"')])
            return
        if not self.rate_limit.allow(name):
            await _refuse(send, 429, "Too many requests for this token; slow down.", [(b"retry-after", b"1")])
            return
        scope.setdefault("state", {})["api_token"] = name
        reset = current_token.set(name)
        try:
            await self.app(scope, receive, send)
        finally:
            current_token.reset(reset)


def _presented_token(authorization: str) -> str:
    """Bearer <token>, or Basic with the token as the password (so a browser can open the docs page)."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip()).decode("utf-8").partition(":")[2]
        except Exception:
            return ""
    return ""


async def _refuse(send, status: int, message: str, extra: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": body})
