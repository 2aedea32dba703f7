"""Waveforms while the call is on: the recorder's envelopes grow as it writes, and what
the window drew a moment ago is never changed by what comes after."""

from __future__ import annotations

import numpy as np

from console.audio.envelope import Envelope, LiveEnvelope
from console.audio.recorder import CallRecorder

RATE = 16000


def test_a_growing_envelope_matches_the_whole_audio_and_old_snapshots_stay_put():
    rng = np.random.default_rng(3)
    audio = rng.uniform(-1, 1, RATE * 30).astype(np.float32)  # 6,000 buckets: it grows
    live = LiveEnvelope(RATE)
    early = None
    for start in range(0, len(audio), 160):  # 10 ms blocks, as the pump writes them
        live.add(start, audio[start : start + 160])
        if start == RATE:
            early = live.snapshot()
            frozen = early.hi.copy()
    whole = Envelope.of(audio, RATE)
    now = live.snapshot()
    assert np.array_equal(now.lo, whole.lo) and np.array_equal(now.hi, whole.hi)
    assert early is not None and np.array_equal(early.hi, frozen)


def test_a_jump_in_the_samples_is_silence_in_the_envelope():
    live = LiveEnvelope(RATE)
    live.add(0, np.full(800, 0.5, np.float32))  # 50 ms of sound
    live.add(1600, np.full(800, -0.5, np.float32))  # 50 ms later, more
    env = live.snapshot()
    assert env.t0 == 0.0 and len(env.lo) == 30
    assert env.hi[:10].min() == 0.5 and not env.hi[10:20].any() and not env.lo[10:20].any()
    assert env.lo[20:].max() == -0.5


def test_the_recorder_draws_what_it_writes_on_both_channels(tmp_path):
    recorder = CallRecorder(tmp_path / "call.wav", RATE)
    recorder.put_agent(RATE // 2, np.full(RATE // 2, 0.3, np.float32))
    for start in range(0, 2 * RATE, 160):
        recorder.write_caller(np.full(160, 0.1 if start < RATE else 0.0, np.float32))
    recorder.flush()
    recorder.close()
    drawn = recorder.waveforms.snapshot()
    caller, agent = drawn["caller"], drawn["agent"]
    assert caller.end == agent.end == 2.0
    assert caller.hi[:200].min() == np.float32(0.1) and not caller.hi[200:].any()
    at = np.flatnonzero(agent.hi)
    assert at[0] * agent.step == 0.5 and (at[-1] + 1) * agent.step == 1.0
