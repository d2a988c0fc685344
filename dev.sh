#!/usr/bin/env bash
# One command for each job on Linux (and macOS):
#   ./dev.sh demo   set everything up, then open Control Tower on a fresh demo store
#   ./dev.sh test   set everything up, then run the whole test suite headless
#   ./dev.sh setup  only set up (Debian packages, a Python 3.12+ virtual environment, the project with its dev extra)
set -euo pipefail
cd "$(dirname "$0")"
VENV=${VENV:-.venv}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

install_debian_packages() {
    command -v dpkg-query >/dev/null 2>&1 || return 0   # not Debian/Ubuntu (e.g. macOS): Qt ships what it needs
    local wanted missing=()
    wanted=$(grep -v '^\s*#' packaging/debian-packages.txt | grep -v '^\s*$')
    for pkg in $wanted; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# PySide6 6.12 aborts on Python 3.11 after a few thousand widget calls (measured); 3.12+ is safe.
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.12 python3.13 "$HOME/.pyenv/versions/3.12"*/bin/python3.12 \
                     /root/.pyenv/versions/3.12*/bin/python3.12 "$HOME/.pyenv/versions/3.13"*/bin/python3.13 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

setup() {
    install_debian_packages
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
        local python
        python=$(find_python) || die "Control Tower needs Python 3.12 or newer (python3.12 on PATH, or pyenv install 3.12)"
        say "creating $VENV with $python"
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$(cksum < pyproject.toml | cut -d" " -f1)"
    if [ ! -f "$stamp" ]; then
        say "installing Control Tower and its dependencies into $VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e '.[dev]'
        touch "$stamp"
    fi
}

case "${1:-demo}" in
    setup) setup ;;
    demo) setup; shift || true; exec "$VENV/bin/controltower" --demo "$@" ;;
    test)
        setup; shift || true
        export QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu"
        set +e
        "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
        code=$?
        set -e
        [ $code -eq 5 ] && die "pytest collected no tests"
        exit $code ;;
    *) die "usage: ./dev.sh [demo|test|setup] [args]" ;;
esac
