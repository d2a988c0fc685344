"""A real HTTP server on 127.0.0.1 for carrier tests: routes per fake carrier, plus injectable faults."""
from __future__ import annotations

import json
import re
import socketserver
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route pattern

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """What goes wrong with the next matching call.

    kind: "timeout" (handled, answered after `delay` s), "status" (answered `status`, not handled),
    "rate_limit" (429 with Retry-After, not handled), "malformed" (handled, answered with broken JSON),
    "lose_response" (handled, then the connection is closed without an answer).
    """

    kind: str
    status: int = 500
    retry_after: str = "7"
    delay: float = 2.0
    body: Any = None


Handler = Callable[[Request], Reply]


class _QuickServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: eight calls at once on a busy machine overflowed it, a dropped
    # connection attempt is retried only after a second, and the tests' 0.5 s timeout failed the call.
    request_queue_size = 128

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall on DNS; 127.0.0.1 needs no name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]


class FakeServer:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.faults: list[tuple[str | None, re.Pattern | None, Fault]] = []
        self.calls: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # otherwise every answer waits ~40 ms for a delayed ACK

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.httpd = _QuickServer(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> "FakeServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def inject(self, fault: Fault, method: str | None = None, path: str | None = None) -> None:
        """The next call matching method and path pattern (None = any) gets `fault`, once."""
        self.faults.append((method.upper() if method else None, re.compile(f"^{path}$") if path else None, fault))

    def calls_to(self, method: str, pattern: str) -> list[Request]:
        regex = re.compile(f"^{pattern}$")
        return [c for c in self.calls if c.method == method.upper() and regex.match(c.path)]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for index, (want_method, want_path, fault) in enumerate(self.faults):
                if (want_method in (None, method)) and (want_path is None or want_path.match(path)):
                    del self.faults[index]
                    return fault
        return None

    def _handle(self, request: Request) -> Reply:
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if method == request.method and match:
                request.params = match.groupdict()
                with self._lock:  # one state change at a time, like a real database
                    return handler(request)
        return Reply(404, {"code": "not_found", "message": f"no route {request.method} {request.path}"})

    def _dispatch(self, http: BaseHTTPRequestHandler) -> None:
        split = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        request = Request(http.command, split.path, {k: v[0] for k, v in parse_qs(split.query).items()},
                          {k.lower(): v for k, v in http.headers.items()}, http.rfile.read(length) if length else b"")
        self.calls.append(request)
        fault = self._take_fault(request.method, request.path)
        if fault is None:
            return self._send(http, self._handle(request))
        if fault.kind == "status":
            return self._send(http, Reply(fault.status, fault.body if fault.body is not None else {"message": "fake failure"}))
        if fault.kind == "rate_limit":
            return self._send(http, Reply(429, fault.body or {"message": "slow down"}, {"Retry-After": fault.retry_after}))
        reply = self._handle(request)
        if fault.kind == "timeout":
            time.sleep(fault.delay)
            return self._send(http, reply)
        if fault.kind == "malformed":
            return self._send(http, Reply(reply.status, b'{"id": "broken', {"Content-Type": "application/json"}))
        if fault.kind == "lose_response":
            http.close_connection = True
            try:
                http.connection.shutdown(2)
            except OSError:
                pass
            return None
        raise ValueError(f"unknown fault {fault.kind}")

    def _send(self, http: BaseHTTPRequestHandler, reply: Reply) -> None:
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode() if reply.body is not None else b""
        try:
            http.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for name, value in headers.items():
                http.send_header(name, value)
            http.send_header("Content-Length", str(len(body)))
            http.end_headers()
            http.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def running(server_class: type[FakeServer]):
    """A started fake server, stopped afterwards: `with running(FakeEasyPost) as fake: ...`."""
    server = server_class().start()
    try:
        yield server
    finally:
        server.stop()
