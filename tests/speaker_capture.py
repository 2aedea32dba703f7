"""What the console's speaker played, heard on the virtual sink's monitor: the evidence
that agent audio did (or did not) reach the line, independent of the console's own
recording (which ends at the drop)."""

from __future__ import annotations

import numpy as np

from console.audio.clock import FrameTimes
from console.audio.devices import open_stream, resolve
from console.audio.io import BLOCK

RATE = 16000
LOUD = 0.01


class SpeakerCapture:
    """Records what the console's speaker played (the virtual sink's monitor), on the
    same audio clock, so it can be placed on the call's session timeline."""

    def __init__(self, device: str) -> None:
        self.blocks: list[tuple[int, float, np.ndarray]] = []
        self.times = FrameTimes(RATE)
        self.frames = 0
        self.stream = open_stream(
            "input",
            resolve(device, "input"),
            samplerate=RATE,
            blocksize=BLOCK,
            callback=self._cb,
        )
        self.stream.start()

    def _cb(self, indata, frames, t, status) -> None:
        self.blocks.append((self.frames, t.inputBufferAdcTime, indata[:, 0].copy()))
        self.frames += frames

    def loud_times(self, clock) -> np.ndarray:
        """Session times of every loud sample heard."""
        for frame, adc, _ in self.blocks:
            self.times.add(frame, adc)
        times = []
        for frame, _, samples in self.blocks:
            idx = np.flatnonzero(np.abs(samples) > LOUD)
            if len(idx):
                times.append(clock.session_of_stream_time(self.times.time_of(frame + idx)))
        return np.concatenate(times) if times else np.array([])

    def close(self) -> None:
        self.stream.abort()
        self.stream.close()
