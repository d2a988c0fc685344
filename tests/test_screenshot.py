"""`controltower --demo --screenshot out.png` renders the real window offscreen and exits 0."""
import os
import subprocess
import sys

from PySide6.QtGui import QImage


def test_demo_screenshot(tmp_path):
    out = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "controltower.cli", "--demo", "--db", str(tmp_path / "demo.db"),
                             "--screenshot", str(out)], capture_output=True, text=True, timeout=180,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr[-3000:]
    image = QImage(str(out))
    assert image.width() >= 1280 and image.height() >= 800
    # Not a blank image: the Orders table and the map paint many different colours.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20
