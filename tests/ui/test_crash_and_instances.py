"""Unhandled exceptions show a crash dialog; a second start on the same store does not open a second writer."""
import os
import subprocess
import sys
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from controltower.ui import crash


class Emitter(QObject):
    fire = Signal()


def test_exception_in_a_slot_shows_the_crash_dialog(qtbot, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    crash.install_excepthook()
    emitter = Emitter()

    def broken_slot():
        raise RuntimeError("boom for ann@example.com")

    emitter.fire.connect(broken_slot)
    emitter.fire.emit()
    qtbot.waitUntil(lambda: bool(crash._open_dialogs))
    dialog = crash._open_dialogs[-1]
    assert dialog.isVisible() and "went wrong" in dialog.text()
    dialog.copy_button.click()
    report = QApplication.clipboard().text()
    assert "RuntimeError: boom" in report and "ann@example.com" not in report and "PySide6" in report
    dialog.close()


def test_second_instance_on_the_same_store_defers_to_the_first(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    db = tmp_path / "shop.db"
    first = subprocess.Popen([sys.executable, "-m", "controltower.cli", "--db", str(db)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while not (tmp_path / "shop.db.lock").exists() and time.time() < deadline:
            time.sleep(0.2)
        assert (tmp_path / "shop.db.lock").exists()
        second = subprocess.run([sys.executable, "-m", "controltower.cli", "--db", str(db)], env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 0
        assert "already open" in second.stderr
        assert first.poll() is None  # the first one is still running, untouched
    finally:
        first.terminate()
        first.wait(timeout=30)
