"""Notices when the microphone hears the agent: the echo the tester should know about.

While the agent speaks, the signal the recogniser hears is compared with what the
speaker played (the far-end reference, console/audio/echo.py) over the last second:
the normalised cross-correlation over echo delays of 0-500 ms says how much of the
microphone is the agent's own voice, and its peak gives the delay and the level it comes
back at. Echo is reported when, in two windows running, at least RHO_MIN of the signal
follows the reference and that part is loud enough for the recogniser to take it for
speech (VOICE_MIN_RMS, the recogniser's own floor). Caller speech over the agent (double
talk) does not follow the reference, so it lowers the correlation instead of raising it.

Pure numpy on the pump thread; one FFT of a second and a half of audio every half second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.audio.echo import FarEnd
from console.speech.recognizer import VOICE_MIN_RMS

WINDOW_S = 1.0
HOP_S = 0.5
MAX_DELAY_S = 0.5  # echo paths searched: 0 to this
EARLY_S = 0.03  # and this much "early", for a clock estimate that is a little off
REF_ACTIVE_RMS = 0.01  # the agent is speaking (about -40 dBFS over the window)
RHO_MIN = 0.4  # this much of the microphone follows the reference
WINDOWS_IN_A_ROW = 2


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
