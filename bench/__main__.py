"""`python -m bench`: run every benchmark and print its figures."""

from __future__ import annotations

import sys

from bench import timeline_paint

BENCHMARKS = {"timeline_paint": timeline_paint.main}


def main() -> int:
    args = sys.argv[1:]
    for run in BENCHMARKS.values():
        run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
