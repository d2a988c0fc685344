"""Start-up from source: the probe reports the first paint, and starting the window never loads the solvers."""
from __future__ import annotations

import os
import subprocess
import sys

# Loaded only when a plan is solved or an allocation computed (in their own process), never to show the window.
SOLVER_MODULES = ("ortools", "pyvrp")


def _imported_modules(importtime_log: str) -> set[str]:
    return {line.split("|")[-1].strip() for line in importtime_log.splitlines() if line.startswith("import time:")}


def test_the_window_paints_and_the_solvers_stay_unloaded(tmp_path):
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CT_STARTUP_PROBE": "1",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "state")}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "controltower.cli", "--demo",
                             "--db", str(tmp_path / "demo.db"), "--screenshot", str(shot), "--offline"],
                            capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-3000:]

    marks = [line.split() for line in result.stdout.splitlines() if line.startswith("CT_STARTUP ")]
    names = [mark[1] for mark in marks]
    assert names.count("first_paint") == 1, result.stdout
    assert "ready:map" in names  # each loading area reports too (some may finish before the first paint)
    assert all(float(mark[2]) > 1e9 for mark in marks)  # wall-clock seconds, comparable across processes
    assert all(0 < float(mark[3]) < 600 for mark in marks)  # then CPU seconds of the app so far
    assert shot.stat().st_size > 0

    imported = _imported_modules(result.stderr)
    assert "controltower.ui.main_window" in imported  # the log covers the whole start-up
    loaded = sorted(name for name in imported if name.split(".")[0] in SOLVER_MODULES)
    assert not loaded, f"start-up imported solver modules: {loaded[:10]}"


def test_without_the_probe_the_app_prints_nothing_about_start_up(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CT_STARTUP_PROBE"}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    result = subprocess.run([sys.executable, "-m", "controltower.cli", "--demo", "--db", str(tmp_path / "demo.db"),
                             "--screenshot", str(tmp_path / "shot.png"), "--offline"],
                            capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "CT_STARTUP" not in result.stdout
