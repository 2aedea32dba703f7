"""Proof from the recording that the goodbye played whole, or where it was clipped.

The timeline says when the goodbye's last sample was handed to the speaker and when the
line dropped; the recording says what was really heard. Here the agent channel is read
back in 10 ms frames: the goodbye's sound ends at its last frame above a threshold set
from the goodbye's own loudness. It was clipped when sound was still going at the moment
the line dropped (or the recording stopped), or when less of it played than was
rendered. Pure numpy on samples: the same analysis serves live calls, sessions and tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME_S = 0.010
THRESHOLD_OF_PEAK = 0.05  # a frame louder than 5% of the goodbye's loudest is sound (-26 dB)
TAIL_S = 0.03  # sound in the last 30 ms before the drop means it was still speaking
SHORTFALL_S = 0.05  # played this much less than rendered: clipped


@dataclass(frozen=True)
class Audibility:
    audible_to_end: bool
    sound_end: float | None  # session time of the goodbye's last sound
    drop: float
    margin_s: float | None  # drop - sound_end
    missing_s: float  # never played (0 when audible to its end)
    verdict: str


def goodbye_audibility(
    agent: np.ndarray,
    rate: int,
    start: float,
    end: float,
    drop: float,
    planned_s: float | None = None,
    cut_short: bool = False,
) -> Audibility:
    """Judge one goodbye (session times start..end, the drop at `drop`) on the agent
    channel of a recording (session time t is sample t * rate)."""
    stop = min(drop, len(agent) / rate)  # nothing after the drop (or the recording) counts
    first, last = int(start * rate), int(stop * rate)
    frame = max(1, int(FRAME_S * rate))
    segment = np.asarray(agent[first:last], dtype=np.float64)
    n = len(segment) // frame
    if n == 0:
        return Audibility(False, None, drop, None, planned_s or 0.0, "goodbye never heard")
    energy = np.sqrt(np.mean(segment[: n * frame].reshape(n, frame) ** 2, axis=1))
    loud = energy >= max(1e-4, THRESHOLD_OF_PEAK * float(energy.max()))
    if not loud.any():
        missing = planned_s or 0.0
        return Audibility(False, None, drop, None, missing, "goodbye silent on the recording")
    last_loud = int(np.nonzero(loud)[0][-1])
    sound_end = start + (last_loud + 1) * frame / rate
    tail = max(1, int(TAIL_S / FRAME_S))
    sounding_at_stop = bool(loud[-tail:].any())
    heard = min(end, stop) - start  # a recording that stopped (a lost device) heard less
    shortfall = 0.0 if planned_s is None else max(0.0, planned_s - heard)
    clipped = cut_short or sounding_at_stop or shortfall > SHORTFALL_S
    margin = drop - sound_end
    if clipped:
        missing = shortfall if shortfall > SHORTFALL_S else 0.0
        why = f"the last {missing:.2f} s were not played" if missing else "sound was still going"
        return Audibility(
            False, sound_end, drop, margin, missing, f"goodbye clipped: {why} at the drop"
        )
    return Audibility(
        True,
        sound_end,
        drop,
        margin,
        0.0,
        f"goodbye audible to its end, {margin * 1000:.0f} ms before the drop",
    )
