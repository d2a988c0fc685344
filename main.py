"""Start Control Tower (same as the `controltower` command)."""
import sys

from controltower.cli import main

if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()  # the solver and the import run in spawned processes, also in the frozen app
    sys.exit(main())
