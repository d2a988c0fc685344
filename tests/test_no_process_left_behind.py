"""Tests leave no process behind, even when they fail: tests/conftest.py kills what a test left running and says so."""
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent

LEAKY_TESTS = '''
import subprocess, sys

SLEEP = [sys.executable, "-c", "import time; time.sleep(300)"]


def record(pid):
    with open("pids.txt", "a") as handle:
        handle.write(f"{pid}\\n")


def test_forgets_its_child():
    record(subprocess.Popen(SLEEP).pid)


def test_fails_with_its_child_running(child_processes):
    record(child_processes(SLEEP).pid)
    assert False, "a failing test"


def test_a_grandchild_of_a_killed_child_goes_too(child_processes):
    middle = child_processes([sys.executable, "-c", "import subprocess, sys, time; "
                              "print(subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']).pid, flush=True); "
                              "time.sleep(300)"], stdout=subprocess.PIPE, text=True)
    record(middle.pid)
    record(int(middle.stdout.readline()))
    middle.kill()  # the grandchild is adopted by init, outside the test's tree
'''


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_children_left_by_passing_and_failing_tests_are_killed_and_reported(tmp_path):
    (tmp_path / "test_leaky.py").write_text(LEAKY_TESTS)
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-q", "-p", "no:cacheprovider", "test_leaky.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])})
    pids = [int(line) for line in (tmp_path / "pids.txt").read_text().split()]
    assert len(pids) == 4
    assert [pid for pid in pids if running(pid)] == [], run.stdout
    assert "1 failed, 2 passed, 1 error" in run.stdout, run.stdout
    assert "left running (killed now)" in run.stdout
