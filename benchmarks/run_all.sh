#!/usr/bin/env bash
# Runs every Control Tower benchmark, one at a time, against the code of one checkout.
#
#   bash run_all.sh CHECKOUT OUT_FILE [BENCH ...]
#
#   CHECKOUT  folder of the checkout whose code is measured (e.g. a git worktree of an older commit, or this repository)
#   OUT_FILE  appended: one line per benchmark: "<name><TAB><the benchmark's last stdout line, verbatim JSON>"
#   BENCH...  optional subset, by name (default: all, in the order below)
#
# Beside OUT_FILE it writes OUT_FILE.meta.tsv (name, exit code, wall seconds, `uptime` before the run, command)
# and OUT_FILE.logs/<name>.out / .err (full stdout/stderr).
# Environment: PY (interpreter, default this repository's .venv/bin/python), DBDIR (where store_bench and kpi_bench
# keep their generated databases, default /tmp/ct-bench-dbs-<checkout folder name>; kept between runs, so a
# second run skips the build; delete it to rebuild).
# Each script gets PYTHONPATH=CHECKOUT (exported, so the subprocesses they start import the same code), runs with
# CHECKOUT as working directory, under `timeout 1200`, with QT_QPA_PLATFORM=offscreen and
# QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu".
set -u
if [ $# -lt 2 ]; then
    echo "usage: bash $0 CHECKOUT OUT_FILE [BENCH ...]" >&2
    exit 2
fi
CHECKOUT=$(cd "$1" && pwd) || exit 2
OUT=$(realpath -m "$2")
shift 2
PY=${PY:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python}
DBDIR=${DBDIR:-/tmp/ct-bench-dbs-$(basename "$CHECKOUT")}
mkdir -p "$DBDIR" "$OUT.logs" "$(dirname "$OUT")"

export PYTHONPATH="$CHECKOUT"
export QT_QPA_PLATFORM=offscreen
export QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu"

where=$(cd "$CHECKOUT" && "$PY" -c "import controltower; print(controltower.__file__)")
case "$where" in
    "$CHECKOUT"/*) echo "controltower imported from $where" >&2 ;;
    *) echo "controltower imported from $where, not from $CHECKOUT: stopping" >&2; exit 1 ;;
esac

# name | options (defaults unless noted; see RESULTS.md for why an option differs)
declare -A OPTS=(
    [carrier_soak]=""
    [dispatch_allocate]=""
    [dispatch_quotes]=""
    [export_bench]=""
    [import_bench]=""
    [kpi_bench]="--db $DBDIR/kpi-1000000-3000000.db"
    [map_bench]=""
    [startup_bench]=""
    [store_bench]="--db $DBDIR/store-1000000-5000000.db"
    [sync_bench]=""
    [vrptw_bench]="${VRPTW_OPTS:-}"
    [wizard_bench]=""
    [api_bench]=""
    [area_bench]=""
    [road_matrix_bench]=""
    [forecast_bench]=""
    [capacity_bench]=""
)
ORDER=(dispatch_quotes dispatch_allocate carrier_soak sync_bench map_bench startup_bench import_bench wizard_bench
       export_bench store_bench kpi_bench api_bench area_bench road_matrix_bench forecast_bench capacity_bench vrptw_bench)
[ $# -gt 0 ] && ORDER=("$@")

for name in "${ORDER[@]}"; do
    if [ -z "${OPTS[$name]+x}" ]; then
        echo "unknown benchmark $name" >&2
        continue
    fi
    cmd="timeout 1200 $PY benchmarks/$name.py ${OPTS[$name]}"
    load=$(uptime)
    echo "== $name: $cmd   [$load]" >&2
    start=$(date +%s.%N)
    (cd "$CHECKOUT" && $cmd >"$OUT.logs/$name.out" 2>"$OUT.logs/$name.err")
    rc=$?
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    last=$(grep -v '^[[:space:]]*$' "$OUT.logs/$name.out" | tail -n 1)
    printf '%s\t%s\n' "$name" "$last" >>"$OUT"
    printf '%s\t%s\t%.1f\t%s\t%s\n' "$name" "$rc" "$wall" "$load" "$cmd" >>"$OUT.meta.tsv"
    printf '   rc=%s wall=%.1fs\n   %s\n' "$rc" "$wall" "$last" >&2
done
