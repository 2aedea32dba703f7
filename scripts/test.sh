#!/usr/bin/env bash
# Set up (first time only) and run every check CI runs: lint, format, tests, scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "== ruff check"; .venv/bin/ruff check .
echo "== ruff format --check"; .venv/bin/ruff format --check .
echo "== example scenarios"
.venv/bin/endcall-console run assets/scenarios/*.yaml --no-save -q \
  --junit test-artifacts/scenarios-junit.xml
echo "== pytest"
exec .venv/bin/python -m pytest "$@"
