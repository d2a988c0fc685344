"""Calls that can't overflow or hang: a 2 GB (or endless) answer is stopped past its limit, a trickle ends by the deadline.

The servers are raw sockets on 127.0.0.1 that behave like a broken proxy or carrier: headers, then a
body that never ends (or ends only after 2 GB), or one byte every 0.3 s, each pause inside the read timeout.
Each server gives up after SERVER_CAP bytes so that even the old, unbounded client could not eat the machine.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time
import tracemalloc

import pytest

from controltower.carriers.base import CarrierDown, MalformedResponse, UnknownOutcome
from controltower.carriers.http import CarrierHttp

SERVER_CAP = 192 * 1024 * 1024
CHUNK = b" " * 65536


class RawServer:
    """Accepts connections and answers each with `reply(connection)`; counts the body bytes it managed to send."""

    def __init__(self, reply) -> None:
        self.reply = reply
        self.sent = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        try:
            connection.recv(65536)  # the request (small: headers and a short JSON body)
            self.reply(self, connection)
        except OSError:
            pass  # the client hung up: what a bounded client does
        finally:
            connection.close()

    def close(self) -> None:
        self.listener.close()


def huge(declared: str):
    def reply(server: RawServer, connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + declared.encode() + b"\r\n")
        connection.sendall(b'{"rates": ["')
        while server.sent < SERVER_CAP:
            connection.sendall(CHUNK)
            server.sent += len(CHUNK)
    return reply


def trickle(server: RawServer, connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        time.sleep(0.3)
        connection.sendall(b" ")
        server.sent += 1


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("declared", ["Content-Length: 2147483648\r\n", "Connection: close\r\n"],
                         ids=["2GB-declared", "endless"])
async def test_an_answer_past_the_size_limit_is_stopped_not_read_whole(declared):
    server = RawServer(huge(declared))
    http = CarrierHttp("easypost", server.url, name="EasyPost", timeout_s=5, deadline_s=30)
    tracemalloc.start()
    try:
        with pytest.raises(MalformedResponse, match="larger than 10 MB; we stopped reading it"):
            await asyncio.wait_for(http.request("GET", "/shipments"), 60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await http.aclose()
        server.close()
    assert peak < 40 * 1024 * 1024  # the 10 MB kept, plus the bytearray's growth; not the answer
    assert server.sent < SERVER_CAP  # we hung up long before the server's own cap


@pytest.mark.anyio
async def test_a_huge_answer_to_a_purchase_is_an_uncertain_outcome():
    """It may have said 'bought': the engine looks the booking up before any retry."""
    server = RawServer(huge("Connection: close\r\n"))
    http = CarrierHttp("easypost", server.url, name="EasyPost", timeout_s=5, deadline_s=30)
    try:
        with pytest.raises(UnknownOutcome, match="larger than 1 MB"):
            await asyncio.wait_for(http.request("POST", "/shipments/shp_1/buy", json_body={}, max_bytes=1024 * 1024), 60)
    finally:
        await http.aclose()
        server.close()


@pytest.mark.anyio
@pytest.mark.parametrize("method,error", [("GET", CarrierDown), ("POST", UnknownOutcome)])
async def test_a_trickle_inside_the_read_timeout_ends_by_the_call_deadline(method, error):
    server = RawServer(trickle)
    http = CarrierHttp("shippo", server.url, name="Shippo", timeout_s=0.5, deadline_s=1.5)
    started = time.monotonic()
    try:
        with pytest.raises(error, match="did not finish answering .* within 1.5 s"):
            await asyncio.wait_for(http.request(method, "/transactions"), 10)
    finally:
        await http.aclose()
        server.close()
    assert 1.4 < time.monotonic() - started < 3
    assert server.sent >= 3  # it was answering, one byte inside every read timeout


def test_the_deadline_defaults_to_three_read_timeouts():
    assert CarrierHttp("shippo", "http://127.0.0.1:9", timeout_s=20).deadline_s == 60
