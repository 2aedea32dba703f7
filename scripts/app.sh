#!/usr/bin/env bash
# Set up (first time only) and run End Call Console. Arguments go to `endcall-console`;
# with none, it runs every example scenario and prints their timelines.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then
  set -- run assets/scenarios/*.yaml
fi
exec .venv/bin/endcall-console "$@"
