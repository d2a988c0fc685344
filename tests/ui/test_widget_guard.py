"""Guard for the measured PySide6 6.12 + Python 3.11 crash: 20,000 widget calls must not abort the interpreter.

The crash kills the process, so the calls run in a child process and the test checks it exits cleanly.
"""
import os
import subprocess
import sys

CHILD = """
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for i in range(20_000):
    label.setText(f"row {i}")
    label.text()
print("ok", label.text())
"""


def test_twenty_thousand_widget_calls_survive():
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok row 19999"
