"""Underflows and overflows are each on the timeline, where they happened and how long.

The audio pump is the real one (with the real sample clock and recorder); only the
devices are replaced by blocks put on its queue, since a real device cannot be made to
flag an underflow on cue. The engine's side records what the pump submits.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from console.audio.clock import SampleClock
from console.audio.io import InputBlock, OutputBlock
from console.audio.xruns import Xrun, XrunRuns
from console.core import events as ev
from console.report.table import describe
from console.report.timeline_model import TimelineModel
from tests.pump_parts import begin_call, hand_fed_pump

RATE = 16000
BLOCK = 160
B = BLOCK / RATE  # one block, in seconds
HEARD_AFTER_S = 0.05


class Engine:
    """What the pump submits, run at once: the AudioGap rows it asks for."""

    def __init__(self, clock: SampleClock) -> None:
        self.clock = clock
        self.gaps: list[ev.AudioGap] = []
        self.faults: list[str] = []

    def submit(self, fn) -> None:
        fn(self)

    def at(self, t, fn) -> None:
        fn()

    def audio_gap(self, stream, t, length_s, cause="", blocks=0) -> None:
        self.gaps.append(
            ev.AudioGap(
                t=t, config_version=1, stream=stream, length_s=length_s, cause=cause, blocks=blocks
            )
        )

    def fault(self, source: str, message: str, fatal: bool = False) -> None:
        self.faults.append(message)


class Devices:
    """Both streams, block by block, with the flags and timestamps a test chooses."""

    def __init__(self) -> None:
        self.io, self.clock, self.pump = hand_fed_pump(RATE, Engine)
        self.engine = self.pump.host
        self.t0 = time.monotonic() + 1.0
        self.frames = 0
        self.out_late = 0.0  # how far the playback's timestamps have slipped (underflows)
        self.in_late = 0.0

    def start(self) -> None:
        begin_call(self.pump, self.block)

    def block(
        self, underflow: bool = False, overflow: bool = False, out_late=0.0, in_late=0.0
    ) -> None:
        """One block of each stream; `out_late`/`in_late`: the device lost that long
        before this block (its timestamps move on without samples)."""
        self.out_late += out_late
        self.in_late += in_late
        f, t = self.frames, self.t0 + self.frames / RATE
        silence = np.zeros(BLOCK, np.float32)
        dac = t + HEARD_AFTER_S + self.out_late
        self.io.queue.put(OutputBlock(f, dac, silence, [], underflow))
        called = t + B + self.in_late
        adc = t + self.in_late
        self.io.queue.put(InputBlock(f, adc, called, called, silence, overflow))
        self.frames += BLOCK

    def blocks(self, n: int) -> None:
        for _ in range(n):
            self.block()

    def finish(self) -> list[ev.AudioGap]:
        deadline = time.monotonic() + 10
        while self.pump.handled_frames < self.frames and time.monotonic() < deadline:
            time.sleep(0.001)
        self.pump.stop()
        return self.engine.gaps


@pytest.fixture
def devices():
    d = Devices()
    d.start()
    yield d
    d.pump.stop()


def test_every_underflow_is_on_the_timeline_with_its_time_and_length(devices):
    devices.blocks(49)  # 0.5 s of audio
    devices.block(underflow=True)  # one flagged block, nothing visible in the timestamps
    devices.blocks(50)  # at 1.0 s:
    devices.block(underflow=True, out_late=0.030)  # the device played 30 ms of silence...
    devices.block(underflow=True, out_late=0.010)  # ...and 10 ms more: one run
    devices.blocks(10)
    gaps = devices.finish()
    assert [(g.stream, g.cause, g.blocks) for g in gaps] == [
        ("output", "underflow", 1),
        ("output", "", 0),  # the clock moved the audio after the 30 ms gap (a shift)
        ("output", "underflow", 2),
    ]
    first, shift, second = gaps
    assert (shift.t, shift.length_s) == (pytest.approx(1.01 + HEARD_AFTER_S), 0.03)
    # Where on the session clock: the output's place in the recording (heard 50 ms
    # after the matching capture), where the silence began.
    assert first.t == pytest.approx(0.5 + HEARD_AFTER_S, abs=1e-6)
    assert first.length_s == pytest.approx(B)  # at least the block the flag was on
    assert second.t == pytest.approx(1.01 + HEARD_AFTER_S, abs=1e-6)
    assert second.length_s == pytest.approx(0.040, abs=1e-6)


def test_every_overflow_is_on_the_timeline_with_its_time_and_length(devices):
    devices.blocks(29)
    devices.block(overflow=True, in_late=0.020)  # 20 ms of capture dropped
    devices.blocks(5)
    devices.block(overflow=True)
    gaps = devices.finish()  # the second run is still open when the call ends
    assert [(g.stream, g.cause, g.blocks) for g in gaps] == [
        ("input", "overflow", 1),
        ("input", "overflow", 1),
    ]
    assert gaps[0].t == pytest.approx(0.3, abs=1e-6)
    assert gaps[0].length_s == pytest.approx(0.020, abs=1e-6)
    assert gaps[1].t == pytest.approx(0.36, abs=1e-6)
    # The notice is still given (rate limited), beside the rows.
    assert any("input overflow" in m for m in devices.engine.faults)


def test_runs_merge_consecutive_flagged_blocks_only():
    runs = XrunRuns("output", RATE)
    flags = [False, True, True, True, False, True, False]
    out = [runs.block(f, n * B, n * B, BLOCK) for n, f in enumerate(flags)]
    assert out[:4] == [None] * 4
    assert out[4] == Xrun("output", B, pytest.approx(3 * B), 3)
    assert out[5] is None and out[6] == Xrun("output", 5 * B, pytest.approx(B), 1)
    assert runs.flush() is None


def test_the_rows_say_what_happened_and_how_long():
    underflow = ev.AudioGap(
        t=1.0, config_version=1, stream="output", length_s=0.04, cause="underflow", blocks=2
    )
    overflow = ev.AudioGap(
        t=2.0, config_version=1, stream="input", length_s=0.02, cause="overflow", blocks=1
    )
    assert "ran dry for 40 ms (output underflow, 2 blocks)" in describe(underflow)[2]
    assert "lost 20 ms (input overflow, 1 block)" in describe(overflow)[2]
    model = TimelineModel()
    model.add_event(underflow)
    item = model.items[0]
    assert (item.label, item.start, item.end) == ("agent's audio underflow 40 ms", 1.0, 1.04)
    assert "output underflow" in item.tooltip
