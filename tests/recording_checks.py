"""One check shared by the audio tests: the recording on disk and the timeline agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from console.core import events as ev
from console.session.layout import RECORDING_FILE

LOUD = 0.01


def assert_recording_matches_timeline(folder: Path, events: list[ev.Event], block_s: float):
    """The drop ends the recording; every agent utterance's first and last loud sample
    are where its event says, within one block; no agent audio outside them."""
    data, rate = sf.read(folder / RECORDING_FILE)
    assert data.ndim == 2 and data.shape[1] == 2
    block = round(block_s * rate)
    drop = next(e for e in events if isinstance(e, ev.LineDropped))
    assert abs(len(data) / rate - drop.t) <= block_s, (len(data) / rate, drop.t)
    agent = np.abs(data[:, 1])
    spoken = [e for e in events if isinstance(e, (ev.AgentSpeech, ev.Goodbye))]
    for said in spoken:
        a, b = int(said.start * rate), int(said.end * rate)
        window = agent[max(0, a - block) : b + block]
        loud = np.flatnonzero(window > LOUD)
        assert len(loud), f"no agent audio recorded for {said.text!r}"
        onset = (max(0, a - block) + loud[0]) / rate
        offset = (max(0, a - block) + loud[-1]) / rate
        assert abs(onset - said.start) <= block_s, said
        assert abs(offset - said.end) <= block_s, said
    spans = [(e.start, e.end) for e in spoken]
    loud_t = np.flatnonzero(agent > LOUD) / rate
    outside = [t for t in loud_t if not any(s - block_s <= t <= e + block_s for s, e in spans)]
    assert outside == [], f"agent audio outside its utterances at {outside[:5]}"
    return data, rate
