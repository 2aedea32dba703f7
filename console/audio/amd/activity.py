"""Energy-based voice activity, one 10 ms hop at a time.

The greeting's shape (a long monologue, or a short "hello?" and then silence) is read
from when the line is loud. Loud means louder than an adaptive floor: the quietest
level of the last few seconds, so steady line noise or hum is never speech, whatever
its level. The level is the RMS over the last SMOOTH_HOPS hops (30 ms): one 10 ms hop of
pink noise can be three times louder than the next, and a single loud hop in the
silence after "hello?" would restart the wait for a verdict (seen on generated answers
with pink noise 18 dB below the speech). This is the rule the recogniser uses to end
utterances (console/speech/recognizer.py), kept separate so the detector needs no
recogniser.
"""

from __future__ import annotations

from collections import deque

import numpy as np

MIN_RMS = 0.004  # about -48 dBFS: quieter than this is never speech
OVER_FLOOR = 4.0  # louder than 4x (12 dB over) the quietest recent level is speech
FLOOR_S = 3.0  # the floor is the quietest level of this many recent seconds
SMOOTH_HOPS = 3  # the level is the RMS of this many hops


class VoiceActivity:
    def __init__(self, hops_per_s: int = 100, floor_s: float = FLOOR_S) -> None:
        self._levels: deque[float] = deque(maxlen=max(1, round(floor_s * hops_per_s)))
        self._energies: deque[float] = deque(maxlen=SMOOTH_HOPS)

    def step(self, hop: np.ndarray) -> bool:
        """True if the line is louder than its recent floor (speech, or a tone)."""
        if not len(hop):
            return False
        self._energies.append(float(np.dot(hop, hop)) / len(hop))
        rms = (sum(self._energies) / len(self._energies)) ** 0.5
        self._levels.append(rms)
        return rms > max(MIN_RMS, OVER_FLOOR * min(self._levels))
