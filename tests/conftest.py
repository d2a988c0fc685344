"""Test setup: headless Qt, QtWebEngine without the sandbox, an in-memory keychain, temp stores."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

import keyring  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """A keychain that lives in memory, so tests never touch the real one."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True)
def computer_in_utc(monkeypatch):
    """The computer's own zone (the shop's when none is set) is UTC in every test, whatever the machine says, as
    the clock is one a test sets; a test that needs another patches shop_clock.computer_zone (or sets TZ in a child)."""
    from datetime import timezone

    from controltower.store import shop_clock

    monkeypatch.setattr(shop_clock, "computer_zone", lambda: timezone.utc)


# Item 10 of issue 17: the suite on a fixed shop clock. CT_TEST_SHOP_TIME (or --shop-time) names one of three
# shop times; every test that does not set its own clock then runs there (time-machine, ticking), so a rule that
# reads "now" is tried on a Monday morning, a Saturday evening after closing and the night the clocks go back.
# `.ci/run` runs the tests marked time_sensitive at each of them, in a fresh HOME.
SHOP_TIMES = {
    "monday-0845": (2026, 11, 23, 8, 45, 0),
    "saturday-1910": (2026, 11, 28, 19, 10, 0),
    "dst-change": (2026, 11, 1, 1, 30, 0),  # the first 01:30 (PDT): an hour later it is 01:30 again (PST)
}


def pytest_addoption(parser):
    parser.addoption("--shop-time", default=os.environ.get("CT_TEST_SHOP_TIME", ""), choices=["", *SHOP_TIMES],
                     help="run tests that set no clock of their own at this time in Portland (CT_TEST_SHOP_TIME)")


def pytest_configure(config):
    config.addinivalue_line("markers", "time_sensitive: the result depends on 'now' (KPIs, exception rules, dispatch "
                                       "options and slots, ETAs, demo generation, routing days); CI runs these at "
                                       "each shop time (--shop-time)")
    config.addinivalue_line("markers", "wall_clock: the test runs the app in a child process, which reads the real "
                                       "clock, so both sides must read it (no shop-time travel)")


# Modules whose every test reads "now" through the code under test; a test elsewhere says so with the marker itself.
TIME_SENSITIVE_MODULES = (
    "control/test_eta.py", "control/test_kpi_cache.py", "control/test_kpi_shop_days.py", "control/test_kpis.py",
    "control/test_open_exceptions.py", "control/test_rules.py", "control/test_notify_shop_zone.py",
    "dispatch/test_options.py", "dispatch/test_day.py", "dispatch/test_allocate.py", "dispatch/test_shop_day_reattempt.py",
    "routing/test_service.py", "routing/test_after_hours.py", "test_demo.py", "test_demo_hours.py",
    "ui/test_kpi_panel.py", "ui/test_kpis_shop_day.py", "ui/test_exceptions_queue.py", "ui/test_routes_view.py",
    "store/test_shop_clock.py", "imports/test_export_kpis.py",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.removeprefix("tests/").split("::")[0] in TIME_SENSITIVE_MODULES:
            item.add_marker(pytest.mark.time_sensitive)


@pytest.fixture(autouse=True)
def shop_time(request):
    """Travels to the chosen shop time for the test; a test's own time_machine.travel still wins inside it."""
    name = request.config.getoption("--shop-time")
    if not name or request.node.get_closest_marker("wall_clock"):
        yield None
        return
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    moment = datetime(*SHOP_TIMES[name], tzinfo=ZoneInfo("America/Los_Angeles"))
    with time_machine.travel(moment, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def memory_keyring():
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def store(tmp_path):
    from controltower.store import Database

    database = Database(tmp_path / "store.db")
    yield database
    database.close()


# No process outlives its test. Every subprocess.Popen is recorded; one a test started and left running is killed
# (with its own children) at the test's end and fails it; at the session's end every helper process still running
# below this one is killed and fails the run. (A SIGKILL test once left a sync child running for minutes.)
import signal  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

_started: list[subprocess.Popen] = []
_popen_init = subprocess.Popen.__init__
_STARTED_IN_CALL = pytest.StashKey[list]()
# Children that are not a test's to stop: Qt's web engine and multiprocessing's pools and trackers (they end with us).
_HELPERS = ("QtWebEngineProcess", "from multiprocessing", "multiprocessing.")


def _recording_init(self, *args, **kwargs):
    _popen_init(self, *args, **kwargs)
    _started.append(self)


subprocess.Popen.__init__ = _recording_init


def _parents() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, session id) of every process, read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            found[int(entry.name)] = (int(fields[1]), int(fields[3]))
    return found


def _descendants(root: int, sessions: set[int] = frozenset()) -> list[int]:
    """Processes below `root`, plus any left in `sessions` (children of a killed child are adopted by init)."""
    parents = _parents()
    below, grew = {pid for pid, (_, sid) in parents.items() if sid in sessions and pid != root}, True
    while grew:
        more = {pid for pid, (ppid, _) in parents.items() if (ppid == root or ppid in below) and pid not in below}
        below |= more
        grew = bool(more)
    return sorted(below)


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def _exited(pid: int) -> bool:
    """The process has ended (a zombie waiting to be reaped) or is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_process_tree(process: subprocess.Popen) -> None:
    """SIGKILL a child, its children and anything left in its own session, and reap it."""
    own_session = {process.pid} if _session_of(process.pid) == process.pid else set()
    for pid in [process.pid, *_descendants(process.pid, own_session)]:
        _kill(pid)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    first = len(_started)
    yield
    item.stash[_STARTED_IN_CALL] = _started[first:]


@pytest.fixture(autouse=True)
def no_process_left_behind(request):
    """Fails a test that leaves a process it started running, after killing it (and its children)."""
    yield
    left = [p for p in request.node.stash.get(_STARTED_IN_CALL, []) if p.poll() is None]
    del _started[:]
    for process in left:
        kill_process_tree(process)
    if left:
        pytest.fail("left running (killed now): " + "; ".join(f"{p.pid} {p.args}" for p in left), pytrace=False)


@pytest.fixture
def child_processes():
    """Starts helper processes (`start(args, **popen_kwargs)`), each in its own session, and kills each with
    everything it started when the test ends, passed or failed."""
    started: list[subprocess.Popen] = []

    def start(args, **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(args, start_new_session=True, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        kill_process_tree(process)


_leftovers: list[str] = []


def pytest_sessionfinish(session, exitstatus):
    for pid in _descendants(os.getpid()):
        command = _command(pid)
        if _exited(pid):  # a zombie (exited, not yet reaped, e.g. Qt's web helper at teardown) is not running
            continue
        if not any(helper in command for helper in _HELPERS):
            _kill(pid)
            _leftovers.append(f"{pid} {command}")
    if _leftovers:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _leftovers:
        terminalreporter.section("processes left behind (killed)")
        for line in _leftovers:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session", autouse=True)
def web_pages_go_before_their_profiles():
    """At the end of the run, delete what the tests' windows left for later (their web pages) while the application
    still exists: a map page outliving its profile crashes the interpreter on exit (exit 139 after a green run)."""
    yield
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in app.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
