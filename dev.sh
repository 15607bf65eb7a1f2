#!/usr/bin/env bash
# Set-up and main jobs on a fresh machine (needs only python3 >= 3.11 and pip):
#   ./dev.sh reproduce   reproduce all claims (quick size), write gflab-report/report.html
#   ./dev.sh test        lint, type-check and run the test suite
# Each creates .venv on first use and installs gflab with its dependencies there.
set -euo pipefail
cd "$(dirname "$0")"
VENV="${GFLAB_VENV:-.venv}"
if [ ! -f "$VENV/.gflab-installed" ] || [ pyproject.toml -nt "$VENV/.gflab-installed" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e '.[test]'
  touch "$VENV/.gflab-installed"
fi
case "${1:-}" in
  reproduce)
    shift
    exec "$VENV/bin/gflab" reproduce --quick --out gflab-report "$@"
    ;;
  test)
    shift
    "$VENV/bin/ruff" check src tests bench examples
    "$VENV/bin/ruff" format --check src tests bench examples
    "$VENV/bin/mypy" src/gflab
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: ./dev.sh reproduce|test" >&2
    exit 2
    ;;
esac
