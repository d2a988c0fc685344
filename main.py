"""Start Control Tower (same as the `controltower` command)."""
import sys

from controltower.cli import main

if __name__ == "__main__":
    sys.exit(main())
