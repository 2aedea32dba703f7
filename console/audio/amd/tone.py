"""The answering machine's beep: a steady tone, found in the capture stream as it arrives.

Two stages, because finding a tone and timing it well want different tools:

1. **Finding**: every 10 ms hop, a 30 ms Hann-windowed FFT of the latest audio. A frame is
   *tonal* when its strongest spectral line lies between `min_hz` and `max_hz` and holds
   most of the power: of the whole band (`purity`), and nearly all of the power within
   `LOCAL_HZ` of it (`local_purity`). Speech spreads its power over harmonics and
   formants, noise over everything, a beep over one line; the local test keeps a beep in
   broadband noise tonal. A tone is a candidate while consecutive tonal frames keep the
   same frequency (within `drift`); it is *confirmed* once it has lasted `min_s` and was
   `contrast_db` louder than the same frequency just before it started (a beep has an
   onset; mains hum or a line tone that was always there does not). Synthetic speech
   (espeak-ng) holds one harmonic perfectly steady for up to about 170 ms in nasals and
   long vowels, and in broadband noise no spectral test tells that from a tone; its
   level does: a beep's level holds within a few tenths of a dB (`steady_db`, the
   standard deviation over the run), a voice's wavers by a dB or more. Measured on 300
   generated answers: speech runs reached 19 frames with a level spread of at least
   0.56 dB, beeps in 10 dB SNR noise spread at most 0.33 dB.
2. **Timing**: from the confirmation on, each hop is tested at that one frequency
   (a single-bin DFT, i.e. Goertzel): the tone goes on while the hop's power at the
   frequency is most of the hop's power and near the tone's level. Its first and last
   samples are then placed within a hop by demodulating the audio at the frequency and
   finding where the tone's envelope crosses half its amplitude.

Nothing here allocates more than a frame, keeps more than `KEEP_S` of audio, or reads a
clock: positions are the sample indices the caller hands in.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

KEEP_S = 0.6  # audio kept for placing a confirmed tone's onset and checking its contrast
FRAME_HOPS = 3  # the finding FFT covers this many hops (30 ms at 10 ms hops)
LOBE_HZ = 70.0  # a Hann window's main lobe at 30 ms: the peak's power lies within this
LOCAL_HZ = 400.0  # the neighbourhood of the peak for the local purity
BAND_HZ = (100.0, 7500.0)  # total power is measured over this band
END_MISSES = 2  # hops without the tone that end it (20 ms)
LEVEL_TOLERANCE_DB = 8.0  # a hop whose power at the frequency is this far below the tone's
CONTRAST_HOPS = 10  # hops before the onset checked for the tone's absence


@dataclass(frozen=True)
class ToneSettings:
    """What counts as a beep. Defaults cover the usual answering-machine tones
    (440-2000 Hz, 0.15-1.5 s) with margin, and reject speech and steady line tones."""

    min_hz: float = 300.0
    max_hz: float = 2600.0
    min_s: float = 0.2  # steady this long: confirmed
    max_s: float = 2.5  # a tone longer than this is not a beep (a line tone, a modem)
    purity: float = 0.6  # share of the frame's power (100-7500 Hz) in the peak's main lobe
    local_purity: float = 0.9  # share of the power within LOCAL_HZ of the peak in its lobe
    hop_share: float = 0.5  # share of a hop's power at the tone's frequency, while it lasts
    steady_db: float = 0.45  # a beep's level wavers less than this (standard deviation)
    drift_hz: float = 8.0  # frequency wander allowed (or 1 % of it, whichever is more)
    min_dbfs: float = -45.0  # quieter tones are ignored (dB relative to a full-scale sine)
    contrast_db: float = 10.0  # louder than the same frequency just before its onset


@dataclass(frozen=True)
class ToneStarted:
    """A tone has been steady for `min_s`: from `start` (sample) at `hz`; known at `at`."""

    start: int
    hz: float
    dbfs: float
    at: int


@dataclass(frozen=True)
class ToneSpan:
    """A beep heard whole: first sample `start`, first sample after it `end`; known at `at`."""

    start: int
    end: int
    hz: float
    dbfs: float
    at: int


def _dbfs(power: float) -> float:
    """dB of a sine of this power relative to a full-scale sine (amplitude 1)."""
    return 10 * math.log10(max(2 * power, 1e-20))


class ToneTracker:
    """Feed it consecutive hops with `step`; it returns a ToneStarted when a tone is
    confirmed and a ToneSpan when that tone ends (only if it ended within `max_s`)."""

    def __init__(self, rate: int, hop: int, settings: ToneSettings | None = None) -> None:
        self.rate = rate
        self.hop = hop
        self.s = settings or ToneSettings()
        self.frame_len = FRAME_HOPS * hop
        self.nfft = 1 << (2 * self.frame_len - 1).bit_length()
        self.window = np.hanning(self.frame_len).astype(np.float32)
        self.bin_hz = rate / self.nfft
        self.lobe = max(1, math.ceil(LOBE_HZ / self.bin_hz))
        self.local = max(self.lobe + 1, round(LOCAL_HZ / self.bin_hz))
        nyquist_bin = self.nfft // 2
        self.band = (
            max(1, round(BAND_HZ[0] / self.bin_hz)),
            min(nyquist_bin, round(BAND_HZ[1] / self.bin_hz)),
        )
        self.search = (
            max(self.band[0] + self.lobe, math.floor(self.s.min_hz / self.bin_hz)),
            min(self.band[1] - self.lobe, math.ceil(self.s.max_hz / self.bin_hz)),
        )
        self.min_power = 10 ** (self.s.min_dbfs / 10) / 2
        self.min_frames = max(1, round(self.s.min_s * rate / hop))
        self._hops: deque[tuple[int, np.ndarray]] = deque(maxlen=round(KEEP_S * rate / hop))
        self._reset()

    def _reset(self) -> None:
        self._cand_hz: list[float] = []  # frequencies of the current run of tonal frames
        self._cand_db: list[float] = []
        self._tone: _Tone | None = None

    @property
    def active(self) -> bool:
        """A confirmed tone is playing now."""
        return self._tone is not None and not self._tone.too_long

    # -- one hop ----------------------------------------------------------------------------
    def step(self, hop: np.ndarray, start: int) -> list[ToneStarted | ToneSpan]:
        self._hops.append((start, hop))
        if self._tone is not None:
            return self._follow(hop, start)
        found = self._frame()
        if found is None:
            self._cand_hz.clear()
            self._cand_db.clear()
            return []
        hz, db = found
        if self._cand_hz and abs(hz - float(np.median(self._cand_hz))) > self._drift(hz):
            self._cand_hz.clear()
            self._cand_db.clear()
        self._cand_hz.append(hz)
        self._cand_db.append(db)
        if len(self._cand_hz) < self.min_frames:
            return []
        # The level over the run's latest frames, leaving out its first two (the onset).
        levels = self._cand_db[max(2, len(self._cand_db) - self.min_frames) :]
        if float(np.std(levels)) > self.s.steady_db:
            return []
        return self._confirm(start + len(hop))

    def _drift(self, hz: float) -> float:
        return max(self.s.drift_hz, 0.01 * hz)

    def _frame(self) -> tuple[float, float] | None:
        """(frequency, dBFS) of the latest frame's peak if the frame is tonal."""
        if len(self._hops) < FRAME_HOPS:
            return None
        frame = np.concatenate([h for _, h in list(self._hops)[-FRAME_HOPS:]])
        if len(frame) != self.frame_len:
            return None
        power = float(np.dot(frame, frame)) / len(frame)
        if power < self.min_power:
            return None
        spec = np.abs(np.fft.rfft(frame * self.window, self.nfft)) ** 2
        band = spec[self.band[0] : self.band[1]]
        k = self.band[0] + int(np.argmax(band))
        if not self.search[0] <= k <= self.search[1]:
            return None  # the strongest line is outside a beep's range (a voice's pitch)
        lobe = float(spec[k - self.lobe : k + self.lobe + 1].sum())
        total = float(band.sum())
        share = lobe / total if total > 0 else 0.0
        if share < self.s.purity or share * power < self.min_power:
            return None
        near = float(spec[max(self.band[0], k - self.local) : k + self.local + 1].sum())
        if lobe < self.s.local_purity * near:
            return None
        a, b, c = (math.log(max(float(spec[i]), 1e-30)) for i in (k - 1, k, k + 1))
        den = a - 2 * b + c
        delta = 0.5 * (a - c) / den if den < 0 else 0.0
        return (k + delta) * self.bin_hz, _dbfs(share * power)

    # -- a confirmed tone, followed at its frequency ------------------------------------------
    def _confirm(self, now: int) -> list[ToneStarted | ToneSpan]:
        hz = float(np.median(self._cand_hz))
        tone = _Tone(hz, self.rate, self.hop)
        # The tone's level: the median power at hz over the candidate's hops.
        recent = list(self._hops)[-len(self._cand_hz) :]
        powers = [tone.power(h) for _, h in recent]
        tone.level = float(np.median(powers))
        # Walk back from the newest hop while the hops still carry the tone.
        hops = list(self._hops)
        first = len(hops) - 1
        while first > 0 and tone.carries(hops[first - 1][1], self.s.hop_share):
            first -= 1
        before = [tone.power(h) for _, h in hops[max(0, first - 1 - CONTRAST_HOPS) : first - 1]]
        if len(before) < 3 or max(before) > tone.level * 10 ** (-self.s.contrast_db / 10):
            # No onset: a tone that was already there (hum, a line tone) is not a beep.
            self._cand_hz.clear()
            self._cand_db.clear()
            return []
        tone.start = self._edge(tone, hops, first, rising=True)
        tone.last_start = hops[-1][0]
        self._tone = tone
        self._cand_hz.clear()
        self._cand_db.clear()
        return [ToneStarted(tone.start, hz, _dbfs(tone.level), now)]

    def _follow(self, hop: np.ndarray, start: int) -> list[ToneStarted | ToneSpan]:
        tone = self._tone
        assert tone is not None
        if tone.carries(hop, self.s.hop_share):
            tone.misses = 0
            tone.last_start = start
            if (start + len(hop) - tone.start) > self.s.max_s * self.rate:
                tone.too_long = True
            return []
        tone.misses += 1
        if tone.misses < END_MISSES:
            return []
        self._tone = None
        if tone.too_long:
            return []
        hops = list(self._hops)
        last = next(i for i, (s, _) in enumerate(hops) if s == tone.last_start)
        end = self._edge(tone, hops, last, rising=False)
        return [ToneSpan(tone.start, end, tone.hz, _dbfs(tone.level), start + len(hop))]

    def _edge(self, tone: _Tone, hops: list[tuple[int, np.ndarray]], i: int, rising: bool) -> int:
        """The sample where the tone's envelope crosses half its amplitude, searched in hop
        i and its neighbour outside the tone (before it when rising, after when falling)."""
        lo, hi = (max(0, i - 1), i + 1) if rising else (i, min(len(hops), i + 2))
        origin = hops[lo][0]
        audio = np.concatenate([h for _, h in hops[lo:hi]])
        envelope = tone.envelope(audio, origin)
        half = 0.5 * math.sqrt(2 * tone.level)
        above = np.flatnonzero(envelope >= half)
        if not len(above):
            return hops[i][0] if rising else hops[i][0] + len(hops[i][1])
        return origin + int(above[0] if rising else above[-1] + 1)


class _Tone:
    """A confirmed tone: its frequency, level, and the single-bin DFT that follows it."""

    def __init__(self, hz: float, rate: int, hop: int) -> None:
        self.hz = hz
        self.rate = rate
        self.level = 0.0  # power of the tone alone (a sine of amplitude A has A**2 / 2)
        self.start = 0
        self.last_start = 0  # first sample of the newest hop that carried the tone
        self.misses = 0
        self.too_long = False
        self._window = np.hanning(hop).astype(np.float64)
        self._norm = float(self._window.sum())
        self._basis = self._window * np.exp(-2j * np.pi * hz * np.arange(hop) / rate)
        self._smooth = max(1, round(rate / 500))  # 2 ms: about a 500 Hz band around hz

    def power(self, hop: np.ndarray) -> float:
        """Power of the component at hz in this hop."""
        if len(hop) != len(self._basis):
            return 0.0
        amplitude = 2 * abs(np.dot(self._basis, hop)) / self._norm
        return amplitude * amplitude / 2

    def carries(self, hop: np.ndarray, share: float) -> bool:
        if not len(hop):
            return False
        p = self.power(hop)
        total = float(np.dot(hop, hop)) / len(hop)
        return (
            total > 0 and p >= share * total and p >= self.level * 10 ** (-LEVEL_TOLERANCE_DB / 10)
        )

    def envelope(self, audio: np.ndarray, origin: int) -> np.ndarray:
        """Amplitude of the component at hz, sample by sample (demodulate and smooth)."""
        n = np.arange(origin, origin + len(audio))
        base = audio * np.exp(-2j * np.pi * self.hz * n / self.rate)
        kernel = np.ones(self._smooth) / self._smooth
        return 2 * np.abs(np.convolve(base, kernel, mode="same"))
