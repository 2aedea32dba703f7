"""Energy-based voice activity, one 10 ms hop at a time.

The greeting's shape (a long monologue, or a short "hello?" and then silence) is read
from when the line is loud. Loud means louder than an adaptive floor: the quietest hop
of the last few seconds, so steady line noise or hum is never speech, whatever its level.
This is the same rule the recogniser uses to end utterances (console/speech/recognizer.py),
kept separate so the detector needs no recogniser.
"""

from __future__ import annotations

from collections import deque

import numpy as np

MIN_RMS = 0.004  # about -48 dBFS: quieter than this is never speech
OVER_FLOOR = 4.0  # louder than 4x (12 dB over) the quietest recent hop is speech
FLOOR_S = 3.0  # the floor is the quietest hop of this many recent seconds


class VoiceActivity:
    def __init__(self, hops_per_s: int = 100, floor_s: float = FLOOR_S) -> None:
        self._levels: deque[float] = deque(maxlen=max(1, round(floor_s * hops_per_s)))

    def step(self, hop: np.ndarray) -> bool:
        """True if this hop is louder than the line's recent floor (speech, or a tone)."""
        if not len(hop):
            return False
        rms = float(np.sqrt(np.dot(hop, hop) / len(hop)))
        self._levels.append(rms)
        return rms > max(MIN_RMS, OVER_FLOOR * min(self._levels))
