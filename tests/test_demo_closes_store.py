"""The demo generator leaves no connection of its own open on the store it made (the app opens it right after)."""
import gc
import os
import sys
from pathlib import Path

import pytest

from controltower.demo import generate


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts this process's open files through /proc")
def test_no_file_of_the_store_is_left_open_after_the_demo_is_made(tmp_path):
    path = tmp_path / "demo.db"
    gc.disable()  # a connection left to the garbage collector would be closed at some later moment: not here
    try:
        generate(path, seed=7)
        still_open = [fd for fd in os.listdir("/proc/self/fd")
                      if os.path.realpath(f"/proc/self/fd/{fd}") == str(path.resolve())]
    finally:
        gc.enable()
    assert still_open == [], f"{len(still_open)} connection(s) of the generator still open on {path.name} ({sys.platform})"
