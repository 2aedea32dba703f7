"""The call recording: one WAV, caller on the left channel, agent on the right.

Sample index i of the file is session time i / rate, so the timeline and the recording
agree by construction. The file is written as the call runs and its header is brought
up to date every half second, so a process killed mid-call leaves a WAV that opens (and
`repair_wav` fixes the last half second's header lag, if any).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

_HEADER = 44
CALLER, AGENT = 0, 1


def _header(rate: int, channels: int, data_bytes: int) -> bytes:
    block_align = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block_align, block_align, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class WavWriter:
    """16-bit PCM WAV, appended to, header patched as it grows."""

    def __init__(self, path: str | Path, rate: int, channels: int, patch_every_s: float = 0.5):
        self.path = Path(path)
        self.rate = rate
        self.channels = channels
        self.frames = 0
        self._fh = open(self.path, "wb")  # noqa: SIM115 - kept open for the whole call
        self._fh.write(_header(rate, channels, 0))
        self._patch_every = max(1, int(rate * patch_every_s))
        self._since_patch = 0

    def write(self, frames: np.ndarray) -> None:
        """frames: float32 in [-1, 1], shape (n, channels)."""
        pcm = np.clip(frames, -1.0, 1.0)
        self._fh.write((pcm * 32767.0).astype("<i2").tobytes())
        self.frames += len(frames)
        self._since_patch += len(frames)
        if self._since_patch >= self._patch_every:
            self._patch()

    def _patch(self) -> None:
        data = self.frames * self.channels * 2
        here = self._fh.tell()
        self._fh.seek(4)
        self._fh.write(struct.pack("<I", 36 + data))
        self._fh.seek(40)
        self._fh.write(struct.pack("<I", data))
        self._fh.seek(here)
        self._fh.flush()
        self._since_patch = 0

    def close(self) -> None:
        if self._fh.closed:
            return
        self._patch()
        os.fsync(self._fh.fileno())
        self._fh.close()


def wav_problem(path: str | Path) -> str:
    """ "" if the WAV opens as this console writes them, else what is wrong, in words."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEADER)
    except OSError as exc:
        return f"cannot be read ({exc})"
    if len(head) < _HEADER or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return "not a WAV file"
    data_hdr = struct.unpack("<I", head[40:44])[0]
    size = path.stat().st_size
    if data_hdr + _HEADER != size:
        return (
            f"its header says {data_hdr} bytes of audio but the file holds "
            f"{size - _HEADER}: the call was cut off (recover the session to repair it)"
        )
    return ""


def repair_wav(path: str | Path) -> bool:
    """Make a WAV's header match its data (after a crash). Returns True if it changed."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        head = fh.read(_HEADER)
        if len(head) < _HEADER or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path} is not a WAV file this console wrote")
        channels, block_align = (
            struct.unpack("<H", head[22:24])[0],
            struct.unpack("<H", head[32:34])[0],
        )
        if head[36:40] != b"data" or channels < 1 or block_align < 1:
            raise ValueError(f"{path} has a WAV header this console does not write")
        data = (size - _HEADER) // block_align * block_align
        riff, data_hdr = struct.unpack("<I", head[4:8])[0], struct.unpack("<I", head[40:44])[0]
        if riff == 36 + data and data_hdr == data and size == _HEADER + data:
            return False
        fh.seek(4)
        fh.write(struct.pack("<I", 36 + data))
        fh.seek(40)
        fh.write(struct.pack("<I", data))
        fh.truncate(_HEADER + data)  # a half-written last frame goes
    return True


class CallRecorder:
    """Lines up caller and agent audio on the recording's sample positions.

    Caller audio arrives in order from the capture stream and drives the writing. Agent
    audio arrives from the output stream ahead of time, stamped with the sample index
    at which it is heard; it waits in a small buffer until the caller audio for those
    samples arrives. The line drop ends the recording at its exact sample.
    """

    def __init__(self, path: str | Path, rate: int):
        self.rate = rate
        self.writer = WavWriter(path, rate, 2)
        self._agent: list[tuple[int, np.ndarray]] = []  # (first sample index, samples)
        self.end_index: int | None = None
        self.late_agent_samples = 0  # agent audio that came after its place was written

    @property
    def written(self) -> int:
        return self.writer.frames

    def put_agent(self, index: int, samples: np.ndarray) -> None:
        if self.end_index is not None:
            samples = samples[: max(0, self.end_index - index)]
        if len(samples) and np.any(samples):
            late = min(len(samples), max(0, self.writer.frames - index))
            self.late_agent_samples += late
            self._agent.append((index, samples))

    def write_caller(self, samples: np.ndarray) -> None:
        start = self.writer.frames
        if self.end_index is not None:
            samples = samples[: max(0, self.end_index - start)]
        n = len(samples)
        if n == 0:
            return
        block = np.zeros((n, 2), dtype=np.float32)
        block[:, CALLER] = samples
        keep = []
        for index, agent in self._agent:
            lo, hi = max(index, start), min(index + len(agent), start + n)
            if lo < hi:
                block[lo - start : hi - start, AGENT] += agent[lo - index : hi - index]
            if index + len(agent) > start + n:
                keep.append((index, agent))
        self._agent = keep
        self.writer.write(block)

    def end_at(self, index: int) -> None:
        """The line dropped at sample `index`: nothing after it is recorded."""
        self.end_index = max(index, 0) if self.end_index is None else self.end_index

    @property
    def complete(self) -> bool:
        return self.end_index is not None and self.writer.frames >= self.end_index

    def close(self) -> None:
        self.writer.close()
