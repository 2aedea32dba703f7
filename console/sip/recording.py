"""The recording of a SIP call: caller on the left channel, agent on the right.

On a SIP line the agent's audio is the clock (see `line`): it arrives in order, one
sample per session sample, and drives the writing. The caller's audio is placed ahead
of it, at the sample where it goes out on the line, and waits here until the agent's
audio for those samples arrives. The same WAV writer as a local call (header kept
current every half second, a full disk stops writing without stopping the call), so
`repair_wav`, the session browser and the exports read it the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from console.audio.envelope import CallWaveforms
from console.audio.recorder import AGENT, CALLER, WavWriter, mix_in


class LineRecorder:
    def __init__(self, path: str | Path, rate: int, on_error: Callable[[str], None] | None = None):
        self.rate = rate
        self.writer = WavWriter(path, rate, 2, on_error=on_error)
        self._caller: list[tuple[int, np.ndarray]] = []  # (first sample index, samples)
        self.late_caller_samples = 0  # caller audio placed where the file was already written
        self.end_index: int | None = None
        # What has been written, as it is written: the window draws it during the call.
        self.waveforms = CallWaveforms(rate)

    @property
    def written(self) -> int:
        return self.writer.frames

    @property
    def failure(self) -> str:
        return self.writer.failure

    def put_caller(self, index: int, samples: np.ndarray) -> None:
        """Caller audio that goes out on the line from sample `index` on."""
        if self.end_index is not None:
            samples = samples[: max(0, self.end_index - index)]
        if not len(samples):
            return
        late = min(len(samples), max(0, self.writer.frames - index))
        self.late_caller_samples += late
        if late < len(samples):
            self._caller.append((index + late, samples[late:]))

    def write_agent(self, samples: np.ndarray) -> None:
        """The agent's next samples (the clock): write them with the caller's beside them."""
        start = self.writer.frames
        if self.end_index is not None:
            samples = samples[: max(0, self.end_index - start)]
        n = len(samples)
        if n == 0:
            return
        block = np.zeros((n, 2), dtype=np.float32)
        block[:, AGENT] = samples
        self._caller = mix_in(block, start, self._caller, CALLER)
        self.writer.write(block)
        self.waveforms.add(start, block[:, CALLER], block[:, AGENT])

    def end_at(self, index: int) -> None:
        """The line dropped at sample `index`: nothing after it is recorded."""
        if self.end_index is None:
            self.end_index = max(0, index)

    def close(self) -> str:
        return self.writer.close()
