"""Notices when the microphone hears the agent: the echo the tester should know about.

While the agent speaks, the signal the recogniser hears is compared with what the
speaker played (`FarEnd`: the player's blocks placed on the session clock) over the last
second: the normalised cross-correlation over echo delays of 0-500 ms says how much of the
microphone is the agent's own voice, and its peak gives the delay and the level it comes
back at. Echo is reported when, in two windows running, at least RHO_MIN of the signal
follows the reference and that part is loud enough for the recogniser to take it for
speech (VOICE_MIN_RMS, the recogniser's own floor). Caller speech over the agent (double
talk) does not follow the reference, so it lowers the correlation instead of raising it.

Pure numpy on the pump thread; one FFT of a second and a half of audio every half second.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from console.speech.recognizer import VOICE_MIN_RMS

OFFSET_TOLERANCE_S = 0.005  # the reference's placement moves only for a larger change
FAR_END_S = 4.0  # the reference kept, in seconds
WINDOW_S = 1.0
HOP_S = 0.5
MAX_DELAY_S = 0.5  # echo paths searched: 0 to this
EARLY_S = 0.03  # and this much "early", for a clock estimate that is a little off
REF_ACTIVE_RMS = 0.01  # the agent is speaking (about -40 dBFS over the window)
RHO_MIN = 0.4  # this much of the microphone follows the reference
WINDOWS_IN_A_ROW = 2


class FarEnd:
    """What the speaker played, indexed by the session sample at which it was heard.

    The player's output blocks arrive ahead of time with their output-stream frame and
    the session sample the clock places them at. The clock's estimate of that placement
    moves by a sample or two from block to block; the placement (session index minus
    output frame) is kept until it moves by more than OFFSET_TOLERANCE_S, so a stretch
    of reference is one piece, and a clock that settles or drifts is still followed.
    """

    def __init__(self, rate: int, seconds: float = FAR_END_S) -> None:
        self.rate = rate
        self._size = int(seconds * rate)
        self._buf = np.zeros(self._size, np.float32)
        self._offset: int | None = None
        self._tolerance = max(1, round(OFFSET_TOLERANCE_S * rate))
        self.start = 0  # the oldest index still kept
        self.end = 0  # one past the newest index known (0: nothing yet)
        self.reanchors = 0  # times the placement moved (clock settling, drift)
        self._lock = threading.Lock()  # written by the pump, read by tests and the bench

    def add(self, frame: int, index: int, samples: np.ndarray) -> None:
        """Output frame `frame` is heard at session sample `index`; `samples` follow it."""
        offset = index - frame
        if self._offset is None or abs(offset - self._offset) > self._tolerance:
            if self._offset is not None:
                self.reanchors += 1
            self._offset = offset
        first = frame + self._offset
        n = len(samples)
        if n == 0 or first + n <= 0:
            return
        if first < 0:  # played before session time 0
            samples, first, n = samples[-first:], 0, n + first
        with self._lock:
            if first + n > self.end:  # clear what lies between the old end and this block
                lo = max(self.end, first + n - self._size)
                self._clear(lo, first)
            pos = np.arange(first, first + n) % self._size
            self._buf[pos] = samples
            self.end = max(self.end, first + n)
            self.start = max(self.start, self.end - self._size)

    def _clear(self, lo: int, hi: int) -> None:
        if hi > lo:
            self._buf[np.arange(lo, hi) % self._size] = 0.0

    def get(self, first: int, n: int) -> np.ndarray:
        """Reference samples [first, first + n): zeros where nothing was played or known."""
        out = np.zeros(n, np.float32)
        with self._lock:
            lo, hi = max(first, self.start), min(first + n, self.end)
            if lo < hi:
                out[lo - first : hi - first] = self._buf[np.arange(lo, hi) % self._size]
        return out


@dataclass(frozen=True)
class EchoHeard:
    t: float  # session time of the end of the window that decided it
    level_db: float  # the echo's level against what was played (e.g. -6.0)
    delay_s: float  # how long after it was heard on the speaker it came back
    share: float  # the share of the microphone that follows the reference (0-1)


class EchoWatch:
    """Fed the heard microphone in order from session sample 0; `feed` returns an
    EchoHeard the first time echo is established, then None (once per call)."""

    def __init__(self, rate: int, far_end: FarEnd) -> None:
        self.rate = rate
        self.far_end = far_end
        self._window = int(WINDOW_S * rate)
        self._hop = int(HOP_S * rate)
        self._buf = np.zeros(0, np.float32)
        self._index = 0  # session index of the next sample fed
        self._since = 0
        self._in_a_row = 0
        self.heard: EchoHeard | None = None
        self.last: EchoHeard | None = None  # the latest window's measure (tests, bench)

    def feed(self, samples: np.ndarray) -> EchoHeard | None:
        self._buf = np.concatenate([self._buf, samples])[-self._window :]
        self._index += len(samples)
        self._since += len(samples)
        if self.heard is not None or self._since < self._hop or len(self._buf) < self._window:
            return None
        self._since = 0
        measure = self._measure()
        self.last = measure
        if measure is None:
            self._in_a_row = 0
            return None
        self._in_a_row += 1
        if self._in_a_row >= WINDOWS_IN_A_ROW:
            self.heard = measure
            return measure
        return None

    def _measure(self) -> EchoHeard | None:
        mic = self._buf.astype(np.float64)
        first = self._index - len(mic)
        late, early = int(MAX_DELAY_S * self.rate), int(EARLY_S * self.rate)
        ref = self.far_end.get(first - late, len(mic) + late + early).astype(np.float64)
        if np.sqrt(np.mean(ref[late : late + len(mic)] ** 2)) < REF_ACTIVE_RMS:
            return None  # the agent is not speaking: nothing to compare with
        e_mic = float(np.sum(mic**2))
        if e_mic <= 0.0:
            return None
        n = 1 << int(np.ceil(np.log2(len(ref) + len(mic))))
        # corr[k] = sum_t mic[t] * ref[t + k]: an echo delayed by d sits at k = late - d.
        corr = np.fft.irfft(np.fft.rfft(ref, n) * np.conj(np.fft.rfft(mic, n)), n)
        ks = np.arange(0, late + early + 1)
        cum = np.concatenate([[0.0], np.cumsum(ref**2)])
        e_ref = cum[ks + len(mic)] - cum[ks]  # the reference's energy under each lag
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = np.where(e_ref > 0, corr[ks] / np.sqrt(e_mic * e_ref), 0.0)
        k = int(np.argmax(rho))
        share = float(rho[k])
        echo_rms = share * np.sqrt(e_mic / len(mic))
        if share < RHO_MIN or echo_rms < VOICE_MIN_RMS:
            return None
        gain = corr[k] / e_ref[k]
        return EchoHeard(
            t=self._index / self.rate,
            level_db=round(float(20 * np.log10(max(gain, 1e-9))), 1),
            delay_s=round((late - k) / self.rate, 3),
            share=round(share, 2),
        )


def echo_message(heard: EchoHeard, cancelling: bool) -> str:
    """The timeline's warning, in words a tester can act on."""
    how = (
        f"its voice comes back {abs(heard.level_db):.0f} dB "
        f"{'below' if heard.level_db <= 0 else 'above'} what was played, "
        f"{heard.delay_s * 1000:.0f} ms later"
    )
    if cancelling:
        return (
            "the microphone hears the agent even with echo cancellation on: use a headset "
            f"or turn the speaker down ({how})"
        )
    return f"the microphone hears the agent: use echo cancellation or a headset ({how})"
