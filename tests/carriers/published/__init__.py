"""Payloads in the shapes the carriers publish (see each folder's README), and a MockTransport that answers with them."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

import httpx

HERE = Path(__file__).parent


def payload(carrier: str, name: str) -> Any:
    """A published payload: `payload("uber_direct", "delivery")` reads uber_direct/delivery.json."""
    path = HERE / carrier / name
    return json.loads((path if path.suffix else path.with_suffix(".json")).read_text())


def page(carrier: str, name: str) -> str:
    return (HERE / carrier / name).read_text()


Answer = tuple[int, Any] | Callable[[httpx.Request], httpx.Response]


class PublishedCarrier:
    """An httpx.MockTransport answering routes with published payloads; every request is kept in `calls`.

    `routes` maps "METHOD /path-regex" to (status, body) or to a function of the request. A route's
    answer may be a list: one answer per call, the last repeated.
    """

    def __init__(self, routes: dict[str, Answer | list[Answer]]) -> None:
        self.routes = [(key.split(" ", 1)[0], re.compile(key.split(" ", 1)[1] + "$"), answer) for key, answer in routes.items()]
        self.calls: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        for method, pattern, answer in self.routes:
            if method == request.method and pattern.search(request.url.path):
                if isinstance(answer, list):
                    answer = answer.pop(0) if len(answer) > 1 else answer[0]
                if callable(answer):
                    return answer(request)
                status, body = answer
                if isinstance(body, str):
                    return httpx.Response(status, text=body, headers={"Content-Type": "text/html; charset=utf-8"})
                return httpx.Response(status, json=body)
        return httpx.Response(404, json={"message": f"no published payload for {request.method} {request.url.path}"})

    def sent(self, method: str, pattern: str) -> list[httpx.Request]:
        regex = re.compile(pattern + "$")
        return [c for c in self.calls if c.method == method and regex.search(c.url.path)]
