"""Waveform envelopes: a call's audio as min/max per few milliseconds, for drawing.

A tester reads audio the way Audacity shows it. The timeline draws the caller's and the
agent's channels inside their lanes; at any zoom a pixel column shows the min and max of
the samples under it. The envelope keeps min/max per 5 ms (200 values a second, so a
30-minute call is 360,000 pairs per channel) and folds them further per column.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

STEP_S = 0.005


@dataclass
class Envelope:
    t0: float  # session time of the first bucket
    step: float  # seconds per bucket
    lo: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    hi: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    @classmethod
    def of(cls, samples: np.ndarray, rate: int, t0: float = 0.0, step: float = STEP_S):
        n = max(1, round(step * rate))
        whole = len(samples) // n * n
        blocks = np.asarray(samples[:whole], dtype=np.float32).reshape(-1, n)
        lo = blocks.min(axis=1) if len(blocks) else np.zeros(0, np.float32)
        hi = blocks.max(axis=1) if len(blocks) else np.zeros(0, np.float32)
        return cls(t0, n / rate, lo, hi)

    @property
    def end(self) -> float:
        return self.t0 + len(self.lo) * self.step

    def columns(self, t_left: float, t_right: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        """min and max for n equal columns over [t_left, t_right] (zeros where no audio)."""
        lo_out = np.zeros(n, np.float32)
        hi_out = np.zeros(n, np.float32)
        count = len(self.lo)
        if n <= 0 or count == 0 or t_right <= t_left:
            return lo_out, hi_out
        edges = np.linspace(t_left, t_right, n + 1)
        idx = np.floor((edges[:-1] - self.t0) / self.step).astype(np.int64)
        inside = (idx >= 0) & (idx < count)
        if not inside.any():
            return lo_out, hi_out
        stop = int(np.clip(np.ceil((t_right - self.t0) / self.step), 1, count))
        starts = np.clip(idx, 0, stop - 1)
        # reduceat folds each column's buckets; a column narrower than a bucket shows the
        # bucket it falls in.
        lo_out[:] = np.minimum.reduceat(self.lo[:stop], starts)
        hi_out[:] = np.maximum.reduceat(self.hi[:stop], starts)
        lo_out[~inside] = 0.0
        hi_out[~inside] = 0.0
        return lo_out, hi_out


class LiveEnvelope:
    """An envelope that grows while the call is recorded: the pump's thread adds the
    samples it writes, the GUI thread draws a snapshot on every tick.

    The buckets live in numpy arrays that double when full, so a snapshot is two views
    (no copy, whatever the call's length) and the lock is held only to read two numbers
    or to append one block's buckets."""

    def __init__(self, rate: int, step: float = STEP_S) -> None:
        self.rate = rate
        self.per = max(1, round(step * rate))
        self._lock = threading.Lock()
        self._lo = np.zeros(1024, np.float32)
        self._hi = np.zeros(1024, np.float32)
        self._count = 0
        self._pending = np.zeros(0, np.float32)
        self._start: int | None = None  # sample index of the first bucket

    def add(self, first_sample: int, samples: np.ndarray) -> None:
        """Samples from `first_sample` on; a jump forward is silence, in buckets."""
        with self._lock:
            if self._start is None:
                self._start = first_sample
            expected = self._start + self._count * self.per + len(self._pending)
            pieces = [self._pending]
            if first_sample > expected:
                pieces.append(np.zeros(first_sample - expected, np.float32))
            pieces.append(np.asarray(samples, np.float32))
            data = np.concatenate(pieces)
            whole = len(data) // self.per * self.per
            if whole:
                blocks = data[:whole].reshape(-1, self.per)
                self._append(blocks.min(axis=1), blocks.max(axis=1))
            self._pending = data[whole:]

    def _append(self, lo: np.ndarray, hi: np.ndarray) -> None:
        end = self._count + len(lo)
        if end > len(self._lo):
            size = max(end, 2 * len(self._lo))
            # New arrays: views handed out before stay valid on the old ones.
            self._lo = np.concatenate([self._lo[: self._count], np.zeros(size - self._count)])
            self._hi = np.concatenate([self._hi[: self._count], np.zeros(size - self._count)])
            self._lo = self._lo.astype(np.float32, copy=False)
            self._hi = self._hi.astype(np.float32, copy=False)
        self._lo[self._count : end] = lo
        self._hi[self._count : end] = hi
        self._count = end

    def snapshot(self) -> Envelope:
        """The envelope so far; its buckets are never written again, so views suffice."""
        with self._lock:
            count, lo, hi, start = self._count, self._lo, self._hi, self._start
        return Envelope((start or 0) / self.rate, self.per / self.rate, lo[:count], hi[:count])


class CallWaveforms:
    """Both channels of a call as its recorder writes them (the caller's and the
    agent's), for the window to draw while the call is on."""

    def __init__(self, rate: int) -> None:
        self._lanes = {"caller": LiveEnvelope(rate), "agent": LiveEnvelope(rate)}

    def add(self, first_sample: int, caller: np.ndarray, agent: np.ndarray) -> None:
        self._lanes["caller"].add(first_sample, caller)
        self._lanes["agent"].add(first_sample, agent)

    def snapshot(self) -> dict[str, Envelope]:
        return {lane: live.snapshot() for lane, live in self._lanes.items()}


def recording_envelopes(path: str | Path) -> dict[str, Envelope]:
    """The caller's (left) and the agent's (right) channel of a call's recording."""
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    out = {"caller": Envelope.of(data[:, 0], rate)}
    if data.shape[1] > 1:
        out["agent"] = Envelope.of(data[:, 1], rate)
    return out
