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
# Under a real X server (Xvfb) when there is one to start, so GUI tests and screenshots
# (test-artifacts/) see what a desktop shows; otherwise Qt runs offscreen.
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  exec xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest "$@"
