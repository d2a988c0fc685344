"""Wiring: parse the command line, open the store (or make a demo one), build the window, run the Qt+asyncio loop."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="controltower", description="Control Tower: plan, book, track and fix deliveries.")
    parser.add_argument("--demo", action="store_true", help="open a fresh demo store (sandbox carriers, a generated day)")
    parser.add_argument("--db", type=Path, help="the store file to open (default: your data folder)")
    parser.add_argument("--seed", type=int, default=7, help="seed for the demo day (same seed, same day)")
    parser.add_argument("--demo-city", choices=["helsinki", "portland"], default="helsinki",
                        help="the demo's city: Helsinki on the real streets of the shipped OpenStreetMap extract "
                             "(default), or Portland on its avenue grid with straight-line travel")
    parser.add_argument("--screenshot", type=Path, help="render the main window offscreen to this PNG, then exit")
    parser.add_argument("--area", choices=["forecast"],
                        help="with --screenshot: render this work area once its data is shown (a fresh demo's forecast "
                             "is made first, a minute or two)")
    parser.add_argument("--screen-size", type=_size, metavar="WxH",
                        help="lay the window out for a screen this size, e.g. 1280x800 (a laptop) for --screenshot")
    parser.add_argument("--offline", action="store_true", help="work without the network (no carriers, no tiles)")
    return parser.parse_args(argv)


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(f"not a size like 1280x800: {text!r}")
    return int(width), int(height)


def prepare_qt_environment(headless: bool) -> None:
    """QtWebEngine needs these before the QApplication exists."""
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    running_as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if (headless or running_as_root) and "--no-sandbox" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()


def demo_folder() -> Path:
    from platformdirs import user_data_path

    return user_data_path("ControlTower", "ControlTower") / "demo"


def store_path(args: argparse.Namespace) -> Path:
    from .store import default_path

    if args.db:
        return args.db
    return demo_folder() / "demo.db" if args.demo else default_path()


def open_core(args: argparse.Namespace, path: Path):
    """The application object over the store at `path` (in demo mode a freshly generated one)."""
    from .services.core import ControlTower

    from .demo.cities import APP_DEMO_CITY

    return ControlTower.open(path, demo=args.demo, seed=args.seed, offline=args.offline,
                             demo_city=getattr(args, "demo_city", None) or APP_DEMO_CITY)


def open_or_recover(args: argparse.Namespace, path: Path):
    """The application object over `path`, or None. A store that can't be used (damaged, newer, read-only, on a
    network drive, disk full) is said in one sentence on stderr and, with a screen, in a window that offers a
    damaged store's newest good backup; once that is restored (the damaged file kept aside) the store opens."""
    from .services.recovery import Recovery, StoreProblem

    try:
        return open_core(args, path)
    except StoreProblem as exc:
        log.warning("store refused: %s", exc)
        print(f"Control Tower could not open its store. {exc}", file=sys.stderr)
        if args.screenshot:
            return None
        from .ui.store_problem import ask_to_recover

        if not ask_to_recover(Recovery(path, exc)):
            return None
    return open_core(args, path)


def install_startup_probe(window) -> None:
    """With CT_STARTUP_PROBE=1, print the wall-clock time of the window's first paint and of each area becoming
    ready, then this process's CPU seconds so far ("CT_STARTUP first_paint 1700000000.123 0.812");
    benchmarks/startup_bench.py reads these lines."""
    if os.environ.get("CT_STARTUP_PROBE") != "1":
        return
    import time

    from PySide6.QtCore import QEvent, QObject

    def say(what: str) -> None:
        print(f"CT_STARTUP {what} {time.time():.6f} {time.process_time():.3f}", flush=True)

    class FirstPaint(QObject):
        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                watched.removeEventFilter(self)
                say("first_paint")
            return False

    window.installEventFilter(FirstPaint(window))
    for name, signal in window.areas.loading().items():
        signal.connect(lambda *_, name=name: say(f"ready:{name}"))


def run_app(argv: list[str]) -> int:
    args = parse_args(argv)
    from .logs import setup_logging

    setup_logging()
    prepare_qt_environment(headless=args.screenshot is not None)
    from PySide6.QtCore import QCoreApplication, QProcess
    from PySide6.QtWidgets import QApplication

    from .ui.schemes import register_schemes

    register_schemes()  # must precede the QApplication
    QCoreApplication.setOrganizationName("ControlTower")
    QCoreApplication.setApplicationName("ControlTower")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    from .ui.context import AppContext
    from .ui.crash import install_excepthook
    from .ui.main_window import MainWindow
    from .ui.single_instance import LockProblem, SingleInstance

    install_excepthook()
    path = store_path(args)
    instance = SingleInstance(path)
    try:
        acquired = instance.acquire()
    except LockProblem as exc:
        print(f"Control Tower could not start. {exc.message} {exc.advice}".rstrip(), file=sys.stderr)
        if not args.screenshot:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.critical(None, "Control Tower could not start", f"{exc.message}\n\n{exc.advice}".strip())
        return 2
    if not acquired:
        print(f"Control Tower is already open on {path}; brought that window to the front.", file=sys.stderr)
        return 1 if args.screenshot else 0  # no screenshot was written: say so in the exit code
    try:
        core = open_or_recover(args, path)
    except Exception as exc:
        log.exception("could not open the store")
        print(f"Control Tower could not open its store: {exc}", file=sys.stderr)
        instance.release()
        return 2
    if core is None:
        instance.release()
        return 2
    core.start()  # every background job: carrier sync, customer messages, exception checks, returns, shops, backup
    window = MainWindow(AppContext(core=core))
    install_startup_probe(window)
    instance.activated.connect(lambda: (window.showNormal(), window.raise_(), window.activateWindow()))
    window.show()
    if args.screen_size:
        from PySide6.QtCore import QSize

        window.fit_screen(QSize(*args.screen_size))
    result = {"code": 0}
    if args.screenshot:
        def shoot(ok: bool, widget=None) -> None:
            image = (widget or window).grab()
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            saved = image.save(str(args.screenshot), "PNG")
            if not ok:
                print("warning: some areas had not finished loading when the screenshot was taken", file=sys.stderr)
            result["code"] = 0 if saved and ok else 1
            window.close()

        if args.area:
            window.when_area_ready(args.area, lambda ok, widget: shoot(ok, widget))
        else:
            window.when_ready(shoot)
    # Closing the window ends the run, but background work (the sync engine process) is stopped first,
    # while the loop still runs: stopping it after Qt's own loop has quit crashes qasync.
    app.setQuitOnLastWindowClosed(False)
    closed = asyncio.Event()
    window.closing.connect(closed.set)
    app.aboutToQuit.connect(closed.set)

    async def until_closed() -> None:
        await closed.wait()
        await core.stop()

    with loop:
        loop.run_until_complete(until_closed())
    restored = _finish_restore(core)
    core.close()
    instance.release()
    if restored:  # after the lock is released, or the new copy would find this one "already open"
        QProcess.startDetached(sys.executable, sys.argv[1:] if getattr(sys, "frozen", False) else sys.argv)
    return result["code"]


def _finish_restore(core) -> bool:
    """A restore asked for while the app ran (File > Restore, the damaged-store alert) happens now, every job stopped."""
    try:
        kept = core.finish_pending_restore()
    except Exception:
        log.exception("the backup could not be restored; the store was left as it was")
        return False
    if kept is not None:
        log.info("backup restored; the previous store is kept as %s", kept)
    return kept is not None
