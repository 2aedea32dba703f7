"""The one clock of a call: seconds since the call started.

Every event is stamped from a SessionClock. Hosts choose the source: wall-clock
monotonic time for a live call, a virtual clock that the scenario runner advances, and
(for recorded calls) sample positions of the recording, so the timeline and the
recording agree by construction.
"""

from __future__ import annotations

import time
from typing import Protocol


class SessionClock(Protocol):
    def now(self) -> float:
        """Seconds since the call started (0.0 at call start), never decreasing."""


class MonotonicClock:
    """Wall time from time.monotonic(), zeroed when the clock is created or reset."""

    def __init__(self) -> None:
        self._t0 = time.monotonic()

    def reset(self) -> None:
        self._t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._t0


class VirtualClock:
    """A clock that only moves when told to: the scenario runner's simulated time."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, t: float) -> None:
        if t < self._now:
            raise ValueError(f"a session clock never goes back ({t} < {self._now})")
        self._now = t
