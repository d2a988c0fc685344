"""The local API in its own process: `python -m controltower.api.child --db FILE [--port N] [--lan] [--rate R]`.

It opens its own application core over the same store file (SQLite WAL lets both processes in; writes wait their
turn under the store's busy timeout), so every write goes through the same services, validation and audit entries
as the window's. Its hub events go to stdout as JSON lines, which the app republishes on its own hub (the Orders
view refreshes, the sync engine wakes); the first line says where it serves. stdin takes "stop"; its end stops it too
(the app died)."""
from __future__ import annotations

import argparse
import sys
import threading

from ..sync.process import encode_event

# What the window and the other jobs follow; the child's own job bookkeeping stays in the child.
FORWARDED = ("orders.changed", "shipments.changed", "exceptions.changed", "notifications.changed", "outbox.changed",
             "routes.changed", "ratings.changed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="controltower serve-api")
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--lan", action="store_true")
    parser.add_argument("--rate", type=float, default=None, help="requests per second per token")
    args = parser.parse_args(argv)

    from ..services.core import ControlTower, Options
    from ..store import Database
    from .server import LocalApiServer

    lock = threading.Lock()

    def say(topic: str, payload: dict) -> None:
        with lock:
            sys.stdout.write(encode_event(topic, payload) + "\n")
            sys.stdout.flush()

    core = ControlTower(Database(args.db), options=Options(sync=False))  # no jobs: the app runs those
    for topic in FORWARDED:
        core.hub.subscribe(topic, say)
    server = LocalApiServer(core, port=args.port, lan=args.lan if args.lan else None, rate_per_second=args.rate)
    try:
        server.start()
        server.wait_ready()
        say("api.ready", {"base_url": server.base_url, "port": server.port, "lan": server.lan})
        for line in sys.stdin:
            if line.strip() == "stop":
                break
    finally:
        server.stop()
        core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
