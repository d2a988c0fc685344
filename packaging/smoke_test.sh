#!/usr/bin/env bash
# Smoke test of the frozen app: build it (or reuse the last build with --reuse), then, offscreen and in a throw-away
# home folder so nothing of the user's is touched:
#   1. `ControlTower --demo --db <tmp> --screenshot out.png` exits 0 and writes a full-size, non-blank PNG;
#   2. `ControlTower solve-vrp` plans a small Solomon instance with PyVRP (the native solver libraries load),
#      and `ControlTower export orders` writes an .xlsx, and `ControlTower import` brings in a 25,000-row CSV
#      (checked in spawned worker processes: multiprocessing works in the frozen app);
#   3. every OR-Tools and PyVRP extension in the bundle resolves its shared libraries inside the bundle (Linux).
# Usage: packaging/smoke_test.sh [--reuse]      Result: build/smoke/out.png, last line one JSON object.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${DIST:-dist}
case "$(uname -s)" in
    Darwin) APP="$DIST/ControlTower.app/Contents/MacOS/ControlTower" ;;
    MINGW*|MSYS*|CYGWIN*) APP="$DIST/ControlTower/ControlTower.exe" ;;
    *) APP="$DIST/ControlTower/ControlTower" ;;
esac
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3

build_seconds=null
if [ "${1:-}" != "--reuse" ] || [ ! -x "$APP" ]; then
    started=$(date +%s)
    packaging/build.sh
    build_seconds=$(( $(date +%s) - started ))
fi

OUT=${OUT:-build/smoke}
rm -rf "$OUT"
mkdir -p "$OUT/home"
home=$(cd "$OUT/home" && pwd)
export HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_STATE_HOME="$home/state" \
       XDG_CACHE_HOME="$home/cache" APPDATA="$home/appdata" LOCALAPPDATA="$home/localappdata"
export QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu"

fail() { printf 'smoke test FAILED: %s\n' "$*" >&2; exit 1; }

# 1. The window, on a fresh demo store, rendered to a PNG.
started=$SECONDS
status=0
"$APP" --demo --db "$OUT/demo.db" --screenshot "$OUT/out.png" --offline >"$OUT/app.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
    tail -20 "$OUT/app.log" >&2
    # The traceback of an unhandled exception goes to the app's own log file, in the throw-away home.
    find "$home" -name 'controltower.log' -exec tail -40 {} \; >&2
    fail "the app exited with status $status"
fi
screenshot_seconds=$(( SECONDS - started ))
[ -s "$OUT/out.png" ] || fail "no screenshot written"
read -r width height bytes < <("$PYTHON" - "$OUT/out.png" <<'PY'
import os, struct, sys
data = open(sys.argv[1], "rb").read(24)
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
print(width, height, os.path.getsize(sys.argv[1]))
PY
)
[ "$width" -ge 1280 ] && [ "$height" -ge 800 ] || fail "screenshot is ${width}x${height}, expected at least 1280x800"
# A blank or one-colour window compresses to a few kilobytes; the real window (table, docks, text) does not.
[ "$bytes" -ge 40000 ] || fail "screenshot is only $bytes bytes: the window looks blank"

# 2. The solver, frozen: a small Solomon instance through PyVRP.
cat >"$OUT/tiny.txt" <<'VRP'
TINY

VEHICLE
NUMBER     CAPACITY
  2         50

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME
    0      40         50          0          0       1236          0
    1      45         68         10        912        967         90
    2      45         70         30        825        870         90
    3      42         66         10         65        146         90
    4      42         68         10        727        782         90
    5      42         65         10         15         67         90
VRP
status=0
"$APP" solve-vrp "$OUT/tiny.txt" --seconds 3 --json >"$OUT/solve.json" 2>"$OUT/solve.log" || status=$?
[ "$status" -eq 0 ] || { cat "$OUT/solve.log" >&2; fail "solve-vrp exited with status $status"; }
"$PYTHON" - "$OUT/solve.json" <<'PY' || fail "solve-vrp did not return a plan"
import json, sys
plan = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
assert plan.get("routes"), plan
PY

# 2b. An export to Excel, frozen (openpyxl and the store's queries).
status=0
"$APP" export orders --db "$OUT/demo.db" --out "$OUT/orders.xlsx" >"$OUT/export.log" 2>&1 || status=$?
[ "$status" -eq 0 ] && [ -s "$OUT/orders.xlsx" ] || { cat "$OUT/export.log" >&2; fail "export to .xlsx failed ($status)"; }

# 2c. A big import, frozen: its rows are checked in spawned worker processes, which must start from the bundle.
"$PYTHON" - "$OUT/orders.csv" <<'PY'
import sys
with open(sys.argv[1], "w", encoding="utf-8") as handle:
    handle.write("order_ref,customer_name,phone,street,city,postcode,country,item,quantity\n")
    for i in range(25_000):
        handle.write(f"F-{i},Customer {i},+1 217 555 {i % 10000:04d},{i} Elm St,Springfield,62701,US,Widget,2\n")
PY
status=0
"$APP" import "$OUT/orders.csv" --db "$OUT/import.db" --create --json >"$OUT/import.json" 2>"$OUT/import.log" || status=$?
[ "$status" -eq 0 ] || { cat "$OUT/import.log" >&2; fail "import exited with status $status"; }
"$PYTHON" - "$OUT/import.json" <<'PY' || fail "the frozen import did not import every row"
import json, sys
report = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
assert (report["imported"], report["rejected"]) == (25_000, 0), report
PY

# 3. Native libraries of the solvers resolve inside the bundle (catches a library left behind by the spec).
if [ "$(uname -s)" = Linux ]; then
    internal="$(dirname "$APP")/_internal"
    missing=$(find "$internal/ortools" "$internal/pyvrp" -name '*.so' -print0 \
              | LD_LIBRARY_PATH="$internal" xargs -0 ldd 2>/dev/null | grep 'not found' | sort -u || true)
    [ -z "$missing" ] || fail "solver libraries missing from the bundle: $missing"
fi

size_mb=$(du -sm "$(dirname "$APP")" | cut -f1)
echo "smoke test passed: ${width}x${height} screenshot ($bytes bytes) at $OUT/out.png" >&2
printf '{"ok": true, "screenshot": "%s", "width": %s, "height": %s, "png_bytes": %s, "screenshot_run_seconds": %s, "size_mb": %s, "build_seconds": %s}\n' \
    "$OUT/out.png" "$width" "$height" "$bytes" "$screenshot_seconds" "$size_mb" "$build_seconds"
