"""Sample-rate conversion between the line (8, 16 or 48 kHz) and the console (16 kHz).

On a SIP line the received audio is the session clock, so its conversion must not
delay or bunch samples: a general-purpose streaming resampler (soxr) holds back 60-100
ms and releases it in bursts, which would stall the clock and then jump it. This one is
a polyphase FIR for the rational ratios telephony uses (8k->16k is 2/1, 48k->16k is 1/3):
every input block gives exactly its share of output at once, the filter's state runs
across blocks (no clicks at the edges), and the delay is the filter's constant half
length (under 2 ms). Whole utterances (the caller's synthesised lines) use soxr.
"""

from __future__ import annotations

import math

import numpy as np

TAPS_PER_PHASE = 24


def _lowpass(factor: int, cutoff: float) -> np.ndarray:
    """A Kaiser-windowed sinc low-pass at `cutoff` (fraction of the Nyquist rate)."""
    n = TAPS_PER_PHASE * factor + 1
    k = np.arange(n) - (n - 1) / 2
    h = cutoff * np.sinc(cutoff * k) * np.kaiser(n, 8.0)
    return (h / h.sum()).astype(np.float64)


class StreamResampler:
    """Converts a stream block by block: `n` input samples give about n*dst/src output
    samples, with no latency beyond the filter's (constant) group delay."""

    def __init__(self, src: int, dst: int) -> None:
        if src <= 0 or dst <= 0:
            raise ValueError(f"sample rates must be positive ({src} -> {dst})")
        g = math.gcd(src, dst)
        self.src, self.dst = src, dst
        self.up, self.down = dst // g, src // g
        self.identity = self.up == 1 and self.down == 1
        if not self.identity:
            self._h = _lowpass(max(self.up, self.down), 1.0 / max(self.up, self.down)) * self.up
            self._history = np.zeros(len(self._h) - 1)
            self._phase = 0  # index (at the up-sampled rate) of the next sample to keep

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if self.identity or not len(x):
            return x.copy() if self.identity else np.zeros(0, dtype=np.float32)
        upsampled = np.zeros(len(x) * self.up)
        upsampled[:: self.up] = x
        data = np.concatenate([self._history, upsampled])
        filtered = np.convolve(data, self._h, mode="valid")  # one per upsampled sample
        self._history = data[len(data) - (len(self._h) - 1) :]
        picked = filtered[self._phase :: self.down]
        self._phase = (self._phase - len(filtered)) % self.down
        return picked.astype(np.float32)


def resample_once(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """A whole clip at another rate (best quality; not for streams)."""
    if src == dst:
        return np.asarray(x, dtype=np.float32)
    import soxr

    return soxr.resample(np.asarray(x, dtype=np.float32), src, dst).astype(np.float32)


def to_mono(pcm: bytes, channels: int) -> np.ndarray:
    """Signed 16-bit interleaved PCM as float32 mono in [-1, 1]."""
    data = np.frombuffer(pcm[: len(pcm) // (2 * channels) * 2 * channels], dtype="<i2")
    samples = data.astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples


def to_pcm(samples: np.ndarray, channels: int) -> bytes:
    """float32 mono as signed 16-bit interleaved PCM on `channels` channels."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    if channels > 1:
        pcm = np.repeat(pcm, channels)
    return pcm.tobytes()
