"""Run the sandbox courier network on its own: prints its base URL, serves until stdin closes or it is killed."""
from __future__ import annotations

import argparse
import sys

from .faults import Faults
from .server import SandboxNetwork


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controltower.demo.sandbox")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--speed", type=float, default=1.0, help="sandbox minutes per real minute")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--latency-ms", type=float, nargs=2, default=(0.0, 0.0), metavar=("LOW", "HIGH"))
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--hang", type=float, default=5.0, help="seconds a 'timeout' fault holds a request")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    faults = Faults(rate=args.fault_rate, latency_ms=tuple(args.latency_ms), retry_after_s=args.retry_after,
                    hang_s=args.hang, seed=args.seed)
    network = SandboxNetwork(speed=args.speed, seed=args.seed, faults=faults, port=args.port)
    print(network.start(), flush=True)
    try:
        sys.stdin.read()  # the parent closes our stdin (or dies) to stop us
    except KeyboardInterrupt:
        pass
    network.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
