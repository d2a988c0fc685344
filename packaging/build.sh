#!/usr/bin/env bash
# Build the one-folder app with PyInstaller: packaging/build.sh  ->  dist/ControlTower/ControlTower
# (on macOS also dist/ControlTower.app). Prints the folder's size and the build time on its last line.
#   PYTHON=...   the interpreter with the project and PyInstaller installed (default .venv/bin/python)
#   DIST=...     where the app goes (default dist)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
DIST=${DIST:-dist}
WORK=${WORK:-build/pyinstaller}

"$PYTHON" -c 'import PyInstaller' 2>/dev/null || "$PYTHON" -m pip install -q 'pyinstaller>=6'
started=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level "${LOG_LEVEL:-WARN}" \
    --distpath "$DIST" --workpath "$WORK" packaging/controltower.spec
seconds=$(( $(date +%s) - started ))
folder="$DIST/ControlTower"
size_mb=$(du -sm "$folder" | cut -f1)
printf '{"app": "%s", "size_mb": %s, "build_seconds": %s}\n' "$folder" "$size_mb" "$seconds"
