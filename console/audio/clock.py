"""The session clock of a live call, read off the capture stream's sample positions.

Session time t is the recording's sample index divided by the rate: t = 1.0 s is sample
16,000 of a 16 kHz recording, by definition. The audio API stamps every callback with
the time its first sample is captured (ADC) or heard (DAC); those stamps jitter, and
come in bursts while a stream starts, but frame counts do not. So each stream's
timestamps are reduced to one number, the time of its frame 0, by a running median of
(stamp - frame / rate): robust to bursts, and it follows any slow drift between the
sound card's clock and the system's. Output frames are placed on the session timeline
through it, which is how "the goodbye's last sample" gets a session time.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

WINDOW = 64  # blocks in the running median (about 1.3 s at 20 ms blocks)


class FrameTimes:
    """The audio-API time of a stream's frame 0, estimated from many callbacks."""

    def __init__(self, rate: int, window: int = WINDOW) -> None:
        self.rate = rate
        self._offsets: deque[float] = deque(maxlen=window)
        self.t0: float | None = None

    def add(self, frame: int, stamp: float) -> None:
        self._offsets.append(stamp - frame / self.rate)
        self.t0 = float(np.median(self._offsets))

    def time_of(self, frame: float) -> float:
        assert self.t0 is not None, "no timestamps yet"
        return self.t0 + frame / self.rate


class SampleClock:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.input = FrameTimes(rate)
        self.output = FrameTimes(rate)
        self._zero_frame: int | None = None  # input frame at session time 0
        self._latest: tuple[float, float] | None = None  # (stream time, monotonic) then
        self._last = 0.0
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._zero_frame is not None

    def start_at(self, frame: int) -> None:
        """Session time 0 is the input frame `frame` (the first frame of the recording)."""
        self._zero_frame = frame

    def on_input_block(self, frame: int, adc_time: float, stream_time: float, mono: float) -> None:
        self.input.add(frame, adc_time)
        self._latest = (stream_time, mono)

    def on_output_block(self, frame: int, dac_time: float) -> None:
        self.output.add(frame, dac_time)

    def session_of_frame(self, frame: int) -> float:
        assert self._zero_frame is not None
        return (frame - self._zero_frame) / self.rate

    def session_of_stream_time(self, stamp: float) -> float:
        """Session time of an audio-API timestamp."""
        if self._zero_frame is None or self.input.t0 is None:
            return 0.0
        return stamp - self.input.time_of(self._zero_frame)

    def session_of_output_frame(self, frame: float) -> float:
        """Session time at which output frame `frame` is heard."""
        return self.session_of_stream_time(self.output.time_of(frame))

    def now(self) -> float:
        latest = self._latest
        if latest is None or not self.started:
            return 0.0
        stream_time, mono = latest
        t = self.session_of_stream_time(stream_time + (time.monotonic() - mono))
        with self._lock:  # never decreasing, whichever thread asks
            self._last = max(self._last, t)
            return self._last
