"""Underflows and overflows as stretches on the timeline, each with its length.

PortAudio flags a block whose stream ran dry (output underflow: the device played
silence the console never handed it) or lost audio (input overflow: captured samples
were dropped). A flag alone says neither when on the session clock nor for how long, and
a text warning limited to one every two seconds hid both ("output underflow (1 so
far)"). So each stream's flagged blocks are followed here: consecutive flagged blocks
make one run, whose length is the time the stream's own timestamps say passed beyond
the samples it carried (at least one block per flagged block: the flag says something
was lost even when the timestamps jitter over it). A run is reported once it ends, at
the session time of its first flagged block.

Pure bookkeeping, called on the pump thread (never in a callback).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Xrun:
    stream: str  # "output" (underflow: the agent's audio ran dry) or "input" (overflow)
    t: float  # session time of the first flagged block
    length_s: float  # how long the stream was out: silence inserted, or audio lost
    blocks: int  # flagged blocks merged into this run

    @property
    def cause(self) -> str:
        return "underflow" if self.stream == "output" else "overflow"


class XrunRuns:
    """One stream's flagged blocks, merged into runs."""

    def __init__(self, stream: str, rate: int) -> None:
        self.stream = stream
        self.rate = rate
        self._prev: tuple[float, int] | None = None  # (timestamp, frames) of the last block
        self._open: Xrun | None = None

    def block(self, flagged: bool, t: float | None, stamp: float, frames: int) -> Xrun | None:
        """One block: whether it was flagged, its session time (None before the call's
        clock started: not on the timeline), its stream timestamp and its frame count.
        Returns the run this block ended, if any."""
        late = 0.0
        if self._prev is not None:
            late = stamp - (self._prev[0] + self._prev[1] / self.rate)
        self._prev = (stamp, frames)
        if not flagged or t is None:
            return self.flush()
        length = max(late, frames / self.rate)
        run = self._open
        if run is None:
            self._open = Xrun(self.stream, t, length, 1)
        else:
            self._open = Xrun(self.stream, run.t, run.length_s + length, run.blocks + 1)
        return None

    def flush(self) -> Xrun | None:
        """The run still open (the stream stopped flagging, or the call ended)."""
        run, self._open = self._open, None
        return run
