"""Command-line entry points: the app (demo, screenshot) and scripting commands."""
from __future__ import annotations

import importlib
import sys

# Subcommands live next to the code they drive; each module exposes main(argv) -> int.
SUBCOMMANDS = {
    "solve-vrp": "controltower.routing.cli",
    "import": "controltower.imports.cli",
    "export": "controltower.exports.cli",
    "quote": "controltower.dispatch.cli",
    "sync": "controltower.sync.run",
    "send-notifications": "controltower.control.notify.sender",
    "serve-api": "controltower.api.child",  # the local API's own process (the frozen app has no -m)
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from .store.files import private_by_default
    from .store.problems import StoreProblem

    private_by_default()  # the store, backups, logs, exports, the demo folder: readable by this user only
    if argv and argv[0] in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[argv[0]])
        try:
            return int(module.main(argv[1:]) or 0)
        except StoreProblem as exc:  # damaged, newer, read-only, disk full, network drive: one sentence, no traceback
            print(f"controltower: {exc}", file=sys.stderr)
            return 2
    from .app import run_app

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
