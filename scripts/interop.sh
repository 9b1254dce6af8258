#!/usr/bin/env bash
# SDK interoperability test: hookguard CLI <-> official provider SDKs (tests/interop/).
#
# Makes throwaway SDK installs under target/interop/ (venv + node_modules; redone only when
# tests/interop/requirements.txt or package.json change), then runs tests/interop/interop.py.
#
#   scripts/interop.sh              # all checks against $HOOKGUARD_BIN (default target/debug/hookguard)
#   scripts/interop.sh --sdk-only   # only check the SDK calls against the documented vectors
#
# Needs python3 (>= 3.10, with pip/venv), node >= 20 and npm. If the binary is missing and cargo is
# available, it is built with `cargo build -p hookguard-cli` (set INTEROP_NO_BUILD=1 to skip that).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/tests/interop"
WORK="$ROOT/target/interop"
VENV="$WORK/venv"
PYLIB="$WORK/pylib"
NODE_DIR="$WORK/node"
PYTHON="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 npm_config_update_notifier=false

log() { printf 'interop.sh: %s\n' "$*" >&2; }

mkdir -p "$WORK"

# --- Python SDKs -------------------------------------------------------------------------------
PY=""
if [[ -x "$VENV/bin/python" ]] && cmp -s "$SRC/requirements.txt" "$VENV/.requirements.txt"; then
  PY="$VENV/bin/python"
elif [[ -d "$PYLIB" ]] && cmp -s "$SRC/requirements.txt" "$PYLIB/.requirements.txt"; then
  PY="$PYTHON"
  export PYTHONPATH="$PYLIB${PYTHONPATH:+:$PYTHONPATH}"
else
  if [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV" >/dev/null 2>&1 || { rm -rf "$VENV"; false; }; then
    log "installing Python SDKs into $VENV"
    "$VENV/bin/python" -m pip install -q -r "$SRC/requirements.txt"
    cp "$SRC/requirements.txt" "$VENV/.requirements.txt"
    PY="$VENV/bin/python"
  else
    # no venv module (e.g. Debian without python3-venv): plain pip --target install instead
    log "python3 -m venv unavailable; installing Python SDKs into $PYLIB"
    rm -rf "$PYLIB"
    "$PYTHON" -m pip install -q --target "$PYLIB" -r "$SRC/requirements.txt"
    cp "$SRC/requirements.txt" "$PYLIB/.requirements.txt"
    PY="$PYTHON"
    export PYTHONPATH="$PYLIB${PYTHONPATH:+:$PYTHONPATH}"
  fi
fi

# --- npm SDKs ----------------------------------------------------------------------------------
mkdir -p "$NODE_DIR"
if [[ ! -d "$NODE_DIR/node_modules" ]] || ! cmp -s "$SRC/package.json" "$NODE_DIR/package.json"; then
  log "installing npm SDKs into $NODE_DIR"
  cp "$SRC/package.json" "$NODE_DIR/package.json"
  rm -f "$NODE_DIR/package-lock.json"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error >&2
fi
export INTEROP_NODE_DIR="$NODE_DIR"

# --- hookguard binary --------------------------------------------------------------------------
export HOOKGUARD_BIN="${HOOKGUARD_BIN:-$ROOT/target/debug/hookguard}"
if [[ " $* " != *" --sdk-only "* && ! -x "$HOOKGUARD_BIN" && "${INTEROP_NO_BUILD:-0}" != 1 ]] \
   && [[ "$HOOKGUARD_BIN" == "$ROOT/target/debug/hookguard" ]] && command -v cargo >/dev/null 2>&1; then
  log "building $HOOKGUARD_BIN (cargo build -p hookguard-cli)"
  (cd "$ROOT" && cargo build --quiet -p hookguard-cli) >&2
fi

exec "$PY" "$SRC/interop.py" "$@"
