"""Run console commands in a child process, each as a user would, and report how each
ended: its exit code, what it printed, and whether an exception escaped `main` (what a
user would have seen as a traceback).

The child's memory is capped, so a command that reads `/dev/zero` into memory fails
there (MemoryError, reported) instead of taking the machine down; the parent's timeout
catches one that hangs on a FIFO.

    python -m tests.session.cli_driver '[["sessions", "list", "--dir", "X"], ...]'
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import traceback

MEMORY_CAP = 1536 * 1024 * 1024


def run(argv: list[str]) -> dict:
    out, err = io.StringIO(), io.StringIO()
    raised = ""
    code = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
        except BaseException:  # what reaches a user as a traceback
            raised = traceback.format_exc()
    return {
        "argv": argv,
        "code": code,
        "out": out.getvalue(),
        "err": err.getvalue(),
        "raised": raised,
    }


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    from console.cli import main

    results = [run(argv) for argv in json.loads(sys.argv[1])]
    sys.stdout.write(json.dumps(results))
