"""Riding a terminal call until it ends: Ctrl+C is the tester's hang-up, not a crash.

Both terminal calls (the local agent and the SIP line) wait the same way, so a Ctrl+C
always hangs up cleanly and the session is written whichever line was in use."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Protocol


class HangsUp(Protocol):
    def start(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...

    def tester_hang_up(self) -> None: ...


def ride(
    call: HangsUp,
    read_input: Callable[[HangsUp], None],
    started: Callable[[], None] = lambda: None,
) -> None:
    """Start the call, run `started`, feed the call typed lines from a daemon thread
    running `read_input`, and return when it has ended. Ctrl+C hangs up and waits up to
    5 s for the drop. The previous SIGINT handler is back in place on return, also on an
    error."""
    interrupted = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        call.start()
        started()
        threading.Thread(target=read_input, args=(call,), daemon=True).start()
        while not call.wait(0.1):
            if interrupted.is_set():
                print("  (Ctrl+C: hanging up)", flush=True)
                call.tester_hang_up()
                call.wait(5)
                break
    finally:
        signal.signal(signal.SIGINT, previous)
