"""`python -m bench`: run every benchmark and print its figures (`--json` for machines).

Takes about eight minutes on a 2-core machine, most of it real calls through audio
(fixed-silence and adaptive end of turn).
"""

from __future__ import annotations

import sys

from bench import (
    audio_calls,
    echo,
    long_call,
    sessions_index,
    startup,
    timeline_paint,
    turns,
    under_load,
    voicemail,
)

BENCHMARKS = (
    timeline_paint.main,
    startup.main,
    sessions_index.main,
    long_call.main,
    voicemail.main,
    turns.main,
    audio_calls.main,
    under_load.main,
    echo.main,
)


def main() -> int:
    args = ["--json"] if "--json" in sys.argv[1:] else []
    for run in BENCHMARKS:
        run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
