"""The local API's server: uvicorn in a thread of the API's own process (api/child.py; tests and scripts may serve
it from theirs), on 127.0.0.1 unless the
shop turns LAN access on. Settings: api.enabled (off by default), api.port, api.lan, api.rate_per_second."""
from __future__ import annotations

import asyncio
import logging
import socket
import threading

import uvicorn

from .app import build_app
from .guard import Guard, RateLimit

log = logging.getLogger(__name__)
DEFAULT_PORT = 8765


class LocalApiServer:
    """Start it, and it serves until `stop()`; `port` is the port it got (ask for 0 in tests)."""

    def __init__(self, core, *, port: int | None = None, lan: bool | None = None,
                 rate_per_second: float | None = None) -> None:
        db = core.db
        self.core = core
        self.port = int(db.get_setting("api.port") or DEFAULT_PORT) if port is None else port
        self.lan = (db.get_setting("api.lan") or "0") in ("1", "true") if lan is None else lan
        rate = rate_per_second or float(db.get_setting("api.rate_per_second") or 20)
        self.app = Guard(build_app(core), allowed_hosts=self.allowed_hosts, who=core.api_tokens.who,
                         rate_limit=RateLimit(rate))
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def allowed_hosts(self) -> set[str]:
        """Exact Host values: a rebinding attack's name (evil.example:port) is never among them."""
        hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        if self.lan:
            hosts.add(f"{_lan_address()}:{self.port}")
        return hosts

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: without it a response's head and body wait on the client's delayed ACK
        # (Nagle), 40 ms a request (measured by benchmarks/api_bench.py: median 48 ms before, see the commit).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("0.0.0.0" if self.lan else "127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            started.set()
            loop.run_until_complete(self._server.serve(sockets=[sock]))
            loop.close()

        self._thread = threading.Thread(target=serve, name="local-api", daemon=True)
        self._thread.start()
        started.wait(5)
        log.info("local API on %s (lan=%s)", self.base_url, self.lan)

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Tests and scripts: block until the server accepts connections."""
        import time

        end = time.monotonic() + timeout
        while self._server is not None and not self._server.started:
            if time.monotonic() > end:
                raise TimeoutError("the local API did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None

    async def stop_async(self) -> None:
        await asyncio.to_thread(self.stop)


def _lan_address() -> str:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the interface
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()
