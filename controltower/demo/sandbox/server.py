"""The sandbox's HTTP API on 127.0.0.1, in Uber Direct's wire shape, with faults injected on the way out."""
from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .clock import SimClock
from .faults import Faults
from .world import SandboxError, World

_ROUTES = [
    ("POST", re.compile(r"^/v1/customers/([^/]+)/delivery_quotes$"), "quote"),
    ("POST", re.compile(r"^/v1/customers/([^/]+)/deliveries$"), "create"),
    ("GET", re.compile(r"^/v1/customers/([^/]+)/deliveries$"), "list"),
    ("GET", re.compile(r"^/v1/customers/([^/]+)/deliveries/([^/]+)$"), "get"),
    ("POST", re.compile(r"^/v1/customers/([^/]+)/deliveries/([^/]+)/cancel$"), "cancel"),
    ("POST", re.compile(r"^/v1/customers/([^/]+)/deliveries/([^/]+)/proof-of-delivery$"), "proof"),
]


class SandboxNetwork:
    """A courier network on 127.0.0.1: `start()` returns its base URL, `stop()` ends it.

    The Uber Direct adapter talks to `api_base_url` (…/v1) and gets tokens from `token_url`;
    the customer id in the path picks the courier company (see couriers.COMPANIES).
    """

    def __init__(self, *, speed: float = 1.0, seed: int = 7, faults: Faults | None = None, port: int = 0,
                 currency: str = "USD") -> None:
        self.clock = SimClock(speed)
        self.world = World(self.clock, seed=seed, currency=currency)
        self.faults = faults or Faults()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.base_url = ""
        self.requests: list[dict] = []  # every API call: at (monotonic s), method, path, fault; for politeness checks
        self._log_lock = threading.Lock()

    def start(self) -> str:
        handler = type("BoundHandler", (_Handler,), {"network": self})
        self._server = _Server(("127.0.0.1", self._port), handler)
        self.stopping.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="sandbox-couriers",
                                        daemon=True)
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.base_url

    @property
    def api_base_url(self) -> str:
        return self.base_url + "/v1"

    @property
    def token_url(self) -> str:
        return self.base_url + "/oauth/v2/token"

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def log_request(self, method: str, path: str, fault: str | None) -> None:
        with self._log_lock:
            self.requests.append({"at": time.monotonic(), "method": method, "path": path, "fault": fault})
            del self.requests[:-10000]

    def bookings(self) -> list[dict]:
        """The sandbox's own record of every booking it made (not returns)."""
        return self.world.bookings()

    def __enter__(self) -> "SandboxNetwork":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many couriers polled at once must not overflow the listen backlog


class _Handler(BaseHTTPRequestHandler):
    network: SandboxNetwork
    protocol_version = "HTTP/1.1"  # keep-alive, as real APIs do
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart (delayed ACK)

    def log_message(self, format, *args) -> None:  # quiet: tests and benchmarks read stdout
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/_sandbox/"):
            return self._admin(method, url.path, body)
        if url.path == "/oauth/v2/token":
            return self._send(200, {"access_token": "sandbox-token", "expires_in": 2592000, "token_type": "Bearer",
                                    "scope": "eats.deliveries"})
        latency = self.network.faults.latency_s()
        if latency:
            time.sleep(latency)
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            return self._send(401, {"code": "unauthorized", "message": "Missing or invalid bearer token.", "kind": "error"})
        fault = self.network.faults.pick(method, url.path)
        self.network.log_request(method, url.path, fault)
        if fault == "timeout":
            self.network.stopping.wait(self.network.faults.hang_s)
            self.close_connection = True
            return
        if fault == "server_error":
            return self._send(503, {"code": "service_unavailable", "message": "Couriers are unavailable right now.", "kind": "error"})
        if fault == "rate_limited":
            return self._send(429, {"code": "customer_limited", "message": "Too many requests.", "kind": "error"},
                              headers={"Retry-After": f"{self.network.faults.retry_after_s:g}"})
        try:
            status, answer = self._route(method, url.path, url.query, body, fault)
        except SandboxError as error:
            status, answer = error.http_status, error.body()
        if fault == "lost_response":
            self.close_connection = True  # the work is done, the answer never arrives
            return
        if fault == "malformed":
            return self._send_raw(200, b'{"id": "del_', "application/json")
        self._send(status, answer)

    def _route(self, method: str, path: str, query: str, body: bytes, fault: str | None) -> tuple[int, dict]:
        world = self.network.world
        for route_method, pattern, name in _ROUTES:
            match = pattern.match(path)
            if route_method != method or not match:
                continue
            args = match.groups()
            if name == "get":
                stale = timedelta(minutes=self.network.faults.stale_minutes) if fault == "stale" else timedelta(0)
                return 200, world.get(*args, stale_by=stale)
            if name == "list":
                params = parse_qs(query)
                items = world.list(args[0], params.get("filter", [""])[0], int(params.get("limit", ["100"])[0]),
                                   int(params.get("offset", params.get("Offset", ["0"]))[0]))
                return 200, {"data": items, "next_href": None, "total_count": -1}
            if name == "cancel":
                return 200, world.cancel(*args)
            if name == "proof":
                return 200, world.proof_of_delivery(*args)
            payload = _json(body)
            return 200, world.quote(args[0], payload) if name == "quote" else world.create_delivery(args[0], payload)
        raise SandboxError(404, "not_found", f"No such endpoint: {method} {path}")

    def _admin(self, method: str, path: str, body: bytes) -> None:
        network = self.network
        if path == "/_sandbox/bookings":
            return self._send(200, {"bookings": network.bookings()})
        if path == "/_sandbox/couriers":
            return self._send(200, {"couriers": network.world.courier_positions(), "now": network.clock.now().isoformat()})
        if path == "/_sandbox/faults" and method == "POST":
            settings = _json(body)
            for forced in settings.pop("force", []):
                network.faults.force(forced["kind"], int(forced.get("times", 1)), forced.get("path_contains", ""))
            network.faults.configure(**settings)
            return self._send(200, {"injected": network.faults.injected})
        if path == "/_sandbox/seed" and method == "POST":
            settings = _json(body)
            return self._send(200, {"ids": network.world.seed(settings["customer"], int(settings["count"]))})
        if path == "/_sandbox/clock" and method == "POST":
            settings = _json(body)
            if "speed" in settings:
                network.clock.set_speed(float(settings["speed"]))
            if "advance_s" in settings:
                network.clock.advance(timedelta(seconds=float(settings["advance_s"])))
            return self._send(200, {"now": network.clock.now().isoformat(), "speed": network.clock.speed})
        self._send(404, {"code": "not_found", "message": path, "kind": "error"})

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        self._send_raw(status, json.dumps(body).encode(), "application/json", headers)

    def _send_raw(self, status: int, data: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        raise SandboxError(400, "invalid_params", "The request body is not JSON.") from None
    if not isinstance(value, dict):
        raise SandboxError(400, "invalid_params", "The request body must be a JSON object.")
    return value
