"""A webhook receiver on 127.0.0.1 that checks each delivery with the published Standard Webhooks library and
counts what it accepted by webhook-id; `down` makes it answer 503 (an outage), `delay_s` slows each answer."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


class Receiver:
    def __init__(self, secret: str = "", *, delay_s: float = 0.0) -> None:
        self.secret, self.delay_s, self.down = secret, delay_s, False
        self.accepted: Counter = Counter()
        self.events: list[dict] = []
        self.refused = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                time.sleep(receiver.delay_s)
                status = receiver.take(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def take(self, body: bytes, headers: dict) -> int:
        with self.lock:
            if self.down:
                self.refused += 1
                return 503
            payload = Webhook(self.secret).verify(body, headers)  # raises on a bad signature or a stale timestamp
            self.accepted[headers["webhook-id"]] += 1
            self.events.append(payload)
            return 204

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
