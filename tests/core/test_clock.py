"""The sample clock's stall handling, driven by synthetic timestamps.

Under load the sound server pauses a playback stream, or a capture stream loses audio;
the clock must then move the agent's audio in the recording by exactly the stall (and
say so once), shrug off timestamps that glitch for a moment, and give the capture's lost
time back as silence so session time stays real time. The timestamps here are written
by hand: a real device cannot be made to stall on cue.
"""

from __future__ import annotations

import pytest

from console.audio.clock import EARLY_CONFIRM, SampleClock

RATE = 16000
BLOCK = 160
HEARD_AFTER_S = 0.05  # output frame f is heard this long after input frame f is captured
T0 = 100.0  # the audio API's time of frame 0


class Streams:
    """A capture and a playback stream in step, block by block; `out_late`/`in_late`
    move their timestamps (a stall, a glitch) from the next block on."""

    def __init__(self) -> None:
        self.clock = SampleClock(RATE)
        self.frame = 0
        self.out_late = 0.0
        self.in_late = 0.0
        self.indices: list[int] = []  # where each output block landed in the recording
        self.input_jumps: list[float] = []
        self.output_jumps: list[float] = []
        self._step(start=True)

    def _step(self, start: bool = False, underflow: bool = False) -> None:
        f = self.frame
        called = T0 + (f + BLOCK) / RATE + self.in_late  # the capture callback's time
        self.input_jumps.append(self.clock.on_input_block(f, T0 + f / RATE, called, called, BLOCK))
        if start:
            self.clock.start_at(f)
        dac = T0 + f / RATE + HEARD_AFTER_S + self.out_late
        self.output_jumps.append(self.clock.on_output_block(f, dac, underflow))
        self.indices.append(self.clock.output_index(f))
        self.frame += BLOCK

    def run(self, blocks: int, underflow: bool = False) -> None:
        for _ in range(blocks):
            self._step(underflow=underflow)

    def steps(self) -> set[int]:
        """The distance between consecutive output blocks in the recording."""
        return {b - a for a, b in zip(self.indices, self.indices[1:], strict=False)}


def test_a_two_second_playback_stall_moves_the_audio_once_by_exactly_the_stall():
    s = Streams()
    s.run(100)
    assert s.clock.shifts == [] and s.steps() == {BLOCK}
    before = s.indices[-1]
    s.out_late = 2.0  # the sound server paused the stream: every later frame 2 s later
    s.run(100)
    assert s.output_jumps[101] == pytest.approx(2.0)
    assert s.clock.shifts == [(before + BLOCK, 2 * RATE)]  # one shift, on the timeline
    assert s.indices[101] - before == BLOCK + 2 * RATE  # re-anchored after the gap
    # Then sample after sample again, where the frames were heard.
    assert {b - a for a, b in zip(s.indices[101:], s.indices[102:], strict=False)} == {BLOCK}
    assert s.indices[-1] == s.frame - BLOCK + round((HEARD_AFTER_S + 2.0) * RATE)


def test_an_underflow_under_the_jump_threshold_moves_the_audio_at_once():
    s = Streams()
    s.run(100)
    before = s.indices[-1]
    s.out_late = 0.04  # the device played 40 ms of silence (under JUMP_S: 50 ms)...
    s.run(1, underflow=True)  # ...and flagged the block that followed it
    assert s.indices[-1] - before == BLOCK + round(0.04 * RATE)  # placed after the gap
    assert s.clock.shifts == [(before + BLOCK, round(0.04 * RATE))]
    s.run(50)
    assert len(s.clock.shifts) == 1


def test_a_late_timestamp_without_a_flag_is_jitter():
    s = Streams()
    s.run(100)
    s.out_late = 0.04
    s.run(1)
    s.out_late = 0.0
    s.run(50)
    assert s.clock.shifts == [] and s.steps() == {BLOCK}


def test_timestamps_that_glitch_early_for_a_moment_move_nothing():
    s = Streams()
    s.out_late = -0.03  # right after the start, when the estimate follows quickly
    s.run(8)
    s.out_late = 0.0
    s.run(100)
    assert s.clock.shifts == []
    assert s.steps() == {BLOCK}  # sample after sample: no overlap, no hole


def test_timestamps_that_stay_early_move_the_audio_earlier_after_confirmation():
    s = Streams()
    s.out_late = -0.03
    s.run(EARLY_CONFIRM + 40)
    assert len(s.clock.shifts) == 1
    assert s.clock.shifts[0][1] == pytest.approx(-0.03 * RATE, abs=1)


def test_a_capture_jump_is_believed_after_five_blocks_and_given_back_as_silence():
    s = Streams()
    s.run(50)
    zero = s.clock.session_of_frame(s.frame)
    s.in_late = 0.2  # the capture lost 200 ms: its callbacks come that much later
    s.run(4)
    assert s.input_jumps[-4:] == [0.0] * 4  # late callbacks, until five agree
    s.run(1)
    jump = s.input_jumps[-1]
    assert jump == pytest.approx(0.2)
    frame = s.frame  # the next capture frame
    assert s.clock.skip_input(jump) == round(0.2 * RATE)  # samples of silence to record
    assert s.clock.session_of_frame(frame) == pytest.approx(zero + 5 * BLOCK / RATE + 0.2)
    s.run(50)
    # The agent's audio keeps its place: the capture's loss moves only the capture.
    assert s.clock.shifts == [] and s.steps() == {BLOCK}


def test_a_capture_backlog_after_a_freeze_is_not_lost_audio():
    """The process froze for 300 ms: the sound server kept the capture, and delivers the
    backlog in a burst on resume (callbacks late at first, then catching up). Nothing
    was lost, so nothing may be given back as silence: that made session time run 260 ms
    ahead of real time, and every later agent line 260 ms late on the timeline."""
    s = Streams()
    s.run(50)
    zero = s.clock.session_of_frame(s.frame)
    backlog = 30
    resumed = T0 + (s.frame + BLOCK) / RATE + 0.3  # when the first callback comes
    for k in range(backlog):  # one block every 0.3 ms: the burst
        s.in_late = resumed + k * 0.0003 - (T0 + (s.frame + BLOCK) / RATE)
        s.run(1)
    s.in_late = 0.0
    s.run(50)
    assert not any(s.input_jumps), [j for j in s.input_jumps if j]
    assert s.clock.session_of_frame(s.frame) == pytest.approx(zero + (backlog + 50) * BLOCK / RATE)


def test_a_few_late_capture_callbacks_are_not_a_jump():
    s = Streams()
    s.run(50)
    s.in_late = 0.2
    s.run(3)
    s.in_late = 0.0
    s.run(50)
    assert not any(s.input_jumps)
