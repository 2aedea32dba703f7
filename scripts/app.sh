#!/usr/bin/env bash
# Set up (first time only) and run End Call Console: with no arguments, the desktop
# window; arguments go to `endcall-console` (e.g. `call`, `run assets/scenarios/*.yaml`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/endcall-console "$@"
