"""Plays the agent's utterances inside the output callback, and says when each sample went.

The callback never blocks: commands arrive through a SimpleQueue read with get_nowait,
and what happened (an utterance's first sample, its last, a stop) leaves through
another, stamped with the output frame of the exact sample. That is what makes "the goodbye
played to its last sample" a measured fact rather than an estimate.

An utterance may arrive in pieces (speech synthesised sentence by sentence): pieces sent
with `more=True` are followed by more of the same utterance, and the player still reports
it once: "started" at the first piece's first sample, "finished" one past the last
piece's last sample. A piece that comes late leaves silence inside the utterance, which
the recording shows too.
"""

from __future__ import annotations

import queue
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PlaybackEvent:
    kind: str  # "started", "finished", "stopped"
    utterance_id: int
    frame: int  # the output stream's frame: the first sample, one past the last, or the cut
    length: int = 0  # "started": the utterance's length in frames


class Player:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.commands: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._queue: deque[tuple[int, np.ndarray, bool]] = deque()
        self._current: tuple[int, np.ndarray, bool] | None = None
        self._pos = 0
        self._open: int | None = None  # an utterance whose next piece has not come yet
        self._dead = False  # after the line drops nothing is ever played again

    # -- from any thread -------------------------------------------------------------
    def play(self, utterance_id: int, samples: np.ndarray, more: bool = False) -> None:
        """Queue samples; with `more`, further pieces of the same utterance follow."""
        self.commands.put(("play", utterance_id, samples.astype(np.float32, copy=False), more))

    def stop(self, utterance_id: int) -> None:
        self.commands.put(("stop", utterance_id))

    def drop_line(self) -> None:
        self.commands.put(("drop",))

    # -- from the output callback only ------------------------------------------------
    def fill(self, out: np.ndarray, frame: int) -> list[PlaybackEvent]:
        """Write the next block into `out` (1-D float32) and report what happened."""
        events: list[PlaybackEvent] = []
        while True:
            try:
                cmd = self.commands.get_nowait()
            except queue.Empty:
                break
            self._command(cmd, frame, events)
        out[:] = 0.0
        frames = len(out)
        offset = 0
        while offset < frames and not self._dead:
            if self._current is None:
                if not self._queue:
                    break  # (between two pieces of one utterance: silence inside it)
                self._current, self._pos = self._queue.popleft(), 0
                uid0, samples0, more0 = self._current
                if self._open is not None and self._open != uid0:  # never continued
                    events.append(PlaybackEvent("finished", self._open, frame + offset))
                if self._open != uid0:  # a new utterance; its length when it is whole
                    length = 0 if more0 else len(samples0)
                    events.append(PlaybackEvent("started", uid0, frame + offset, length))
                self._open = None
            uid, samples, more = self._current
            n = min(frames - offset, len(samples) - self._pos)
            out[offset : offset + n] = samples[self._pos : self._pos + n]
            self._pos += n
            offset += n
            if self._pos >= len(samples):
                if more:
                    self._open = uid
                else:
                    events.append(PlaybackEvent("finished", uid, frame + offset))
                self._current = None
        return events

    def _command(self, cmd: tuple, frame: int, events: list[PlaybackEvent]) -> None:
        if cmd[0] == "play" and not self._dead:
            self._queue.append((cmd[1], cmd[2], cmd[3]))
        elif cmd[0] == "stop":
            uid = cmd[1]
            if self._current is not None and self._current[0] == uid:
                self._current = None
                events.append(PlaybackEvent("stopped", uid, frame))
            elif self._open == uid:  # stopped between two of its pieces
                events.append(PlaybackEvent("stopped", uid, frame))
            if self._open == uid:
                self._open = None
            self._queue = deque(item for item in self._queue if item[0] != uid)
        elif cmd[0] == "drop":
            playing = self._current[0] if self._current is not None else self._open
            if playing is not None:
                events.append(PlaybackEvent("stopped", playing, frame))
            self._current, self._queue, self._dead, self._open = None, deque(), True, None
