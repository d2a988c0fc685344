"""The first start works anywhere: the store's folder is made before the lock, a lock that fails says why."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from controltower.ui.single_instance import LockProblem, SingleInstance


def test_the_first_start_in_a_folder_that_does_not_exist_yet_takes_the_lock(qapp, tmp_path):
    store = tmp_path / "new" / "deeper" / "store.db"
    instance = SingleInstance(store)
    try:
        assert instance.acquire() is True
        assert (tmp_path / "new" / "deeper").is_dir()
    finally:
        instance.release()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write in read-only folders")
def test_a_read_only_folder_is_named_as_such_not_as_already_open(qapp, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(LockProblem, match="cannot write in"):
            SingleInstance(folder / "store.db").acquire()
    finally:
        folder.chmod(0o700)


def test_a_lock_held_by_a_copy_that_does_not_answer_is_not_called_already_open(qapp, tmp_path):
    store = tmp_path / "store.db"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from PySide6.QtCore import QLockFile; "
        f"lock = QLockFile({str(store) + '.lock'!r}); assert lock.tryLock(100); print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockProblem, match="locked by another program that does not answer"):
            SingleInstance(store).acquire()
    finally:
        holder.kill()
        holder.wait()


def test_a_file_where_the_folder_should_be_is_a_clear_error(qapp, tmp_path):
    (tmp_path / "blocker").write_text("not a folder")
    with pytest.raises(LockProblem, match="cannot create the folder"):
        SingleInstance(tmp_path / "blocker" / "store.db").acquire()


def test_the_app_started_on_a_new_folder_opens_and_a_screenshot_run_that_writes_nothing_fails(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_DATA_HOME=str(tmp_path / "data"))
    (tmp_path / "blocker").write_text("not a folder")
    shot = tmp_path / "shot.png"
    run = subprocess.run([sys.executable, "-m", "controltower.cli", "--db", str(tmp_path / "blocker" / "store.db"),
                          "--screenshot", str(shot), "--offline"], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 2 and not shot.exists()
    assert "cannot create the folder" in run.stderr and "already open" not in run.stderr
