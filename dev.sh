#!/usr/bin/env bash
# Set-up and main jobs on a fresh machine (needs only python3 >= 3.11 and pip):
#   ./dev.sh reproduce   reproduce all claims (quick size), write gflab-report/report.html
#   ./dev.sh test        lint, type-check and run the test suite
#   ./dev.sh test -m "not slow"   the fast inner loop (under a minute)
# Each creates .venv on first use and installs gflab there, with its dependencies pinned by
# constraints.txt (the versions the suite last passed with; pyproject's ranges stay loose).
set -euo pipefail
cd "$(dirname "$0")"
VENV="${GFLAB_VENV:-.venv}"
if [ ! -f "$VENV/.gflab-installed" ] || [ pyproject.toml -nt "$VENV/.gflab-installed" ] || [ constraints.txt -nt "$VENV/.gflab-installed" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e '.[test]'
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
    "$VENV/bin/lint-imports"
    # one pytest worker per core (GFLAB_TEST_WORKERS=0: in this process, e.g. for a debugger);
    # the 15 slowest tests are listed, to keep the suite within its 15 minutes
    exec "$VENV/bin/python" -m pytest -n "${GFLAB_TEST_WORKERS:-auto}" --durations=15 "$@"
    ;;
  *)
    echo "usage: ./dev.sh reproduce|test" >&2
    exit 2
    ;;
esac
