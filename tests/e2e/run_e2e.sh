#!/bin/sh
# Runs the pediad end-to-end acceptance tests (tests/e2e) with the Debian
# python3 (python3-kubernetes, python3-pytest) -- never the pyenv python3 on
# PATH. Exit 77 (skipped, with the reason) when a prerequisite is missing.
# Usage: run_e2e.sh [pytest args...]   (env: PEDIAD_BIN, KUBESIM_BIN)
PY=/usr/bin/python3
KUBECTL=${KUBECTL:-/usr/bin/kubectl}
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "skip: $*"; exit 77; }
[ -x "$PY" ] || skip "$PY not found"
[ -n "$PEDIAD_BIN" ] && [ -x "$PEDIAD_BIN" ] || skip "PEDIAD_BIN not built ($PEDIAD_BIN)"
[ -n "$KUBESIM_BIN" ] && [ -x "$KUBESIM_BIN" ] || skip "KUBESIM_BIN not built ($KUBESIM_BIN)"
[ -x "$KUBECTL" ] || skip "kubectl not found at $KUBECTL"
"$PY" -c 'import pytest' 2>/dev/null || skip "python3-pytest missing for $PY"
"$PY" -c 'import kubernetes' 2>/dev/null || skip "python3-kubernetes missing for $PY"
"$PY" -c 'import yaml' 2>/dev/null || skip "python3-yaml missing for $PY"
cd "$here" || exit 1
export PYTHONDONTWRITEBYTECODE=1
exec "$PY" -m pytest -q -rs -p no:cacheprovider "$@"
