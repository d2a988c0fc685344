"""Start-up from source: the probe reports the first paint, and no solver is loaded before it or on the UI thread."""
from __future__ import annotations

import os
import subprocess
import sys

# Imported only when a plan is solved or an allocation computed, never to show the window; importing OR-Tools
# (and the pandas it pulls) holds the GIL for about a second, so the UI thread must never be the one doing it.
SOLVERS = ("ortools", "pyvrp")

# Runs the app like `python -m controltower.cli`, reporting the first import of each solver: when, and on which thread.
WATCHED_START = f"""
import sys, threading, time

class ReportSolverImports:
    def find_spec(self, name, path=None, target=None):
        if name in {SOLVERS!r}:
            on_ui = threading.current_thread() is threading.main_thread()
            print(f"CT_SOLVER_IMPORT {{name}} {{time.time():.6f}} {{on_ui}}", flush=True)
        return None

sys.meta_path.insert(0, ReportSolverImports())
from controltower.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _start(tmp_path, probe: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CT_STARTUP_PROBE"}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    if probe:
        env["CT_STARTUP_PROBE"] = "1"
    result = subprocess.run([sys.executable, "-c", WATCHED_START, "--demo", "--db", str(tmp_path / "demo.db"),
                             "--screenshot", str(tmp_path / "shot.png"), "--offline"],
                            capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "shot.png").stat().st_size > 0
    return result


def test_the_window_paints_before_any_solver_loads_and_never_loads_one_on_the_ui_thread(tmp_path):
    result = _start(tmp_path, probe=True)
    lines = [line.split() for line in result.stdout.splitlines()]
    marks = {line[1]: line for line in lines if line[:1] == ["CT_STARTUP"]}
    assert [line[1] for line in lines if line[:1] == ["CT_STARTUP"]].count("first_paint") == 1, result.stdout
    assert "ready:map" in marks  # each loading area reports too (some may finish before the first paint)
    first_paint, cpu_seconds = float(marks["first_paint"][2]), float(marks["first_paint"][3])
    assert first_paint > 1e9 and 0 < cpu_seconds < 600  # wall-clock seconds, then the app's CPU seconds

    for _, name, when, on_ui_thread in (line for line in lines if line[:1] == ["CT_SOLVER_IMPORT"]):
        assert on_ui_thread == "False", f"{name} was imported on the UI thread"
        assert float(when) > first_paint, f"{name} was imported before the window's first paint"


def test_without_the_probe_the_app_prints_nothing_about_start_up(tmp_path):
    result = _start(tmp_path, probe=False)
    assert "CT_STARTUP" not in result.stdout
