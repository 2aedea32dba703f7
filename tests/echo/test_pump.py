"""The audio pump with processing, driven block by block.

The sound devices are replaced by a queue of blocks (the one thing a real device cannot
be made to do on demand is deliver the call's first block before the recorder is
attached, or play a chosen echo); the pump, the sample clock, the processing module, the
recorder and the echo watch are the real ones."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from console.audio.clock import SampleClock
from console.audio.echo import ProcessingSettings
from console.audio.io import InputBlock, OutputBlock
from console.audio.recorder import PROCESSED_FILE, CallRecorder
from console.speech.synth import Synthesizer
from tests.pump_parts import begin_call, hand_fed_pump

RATE = 16000
BLOCK = 160
HEARD_AFTER_S = 0.05  # output frame f is heard 50 ms after input frame f is captured


class Host:
    """The engine's side: what the pump submits is run at once against a recorder."""

    def __init__(self, clock: SampleClock) -> None:
        self.clock = clock
        self.faults: list[tuple[str, str]] = []

    def submit(self, fn) -> None:
        fn(self)

    def at(self, t, fn) -> None:
        fn()

    def fault(self, source: str, message: str, fatal: bool = False) -> None:
        self.faults.append((source, message))


class Line:
    """A call's two streams, block by block, into the pump's queue."""

    def __init__(self, settings: ProcessingSettings) -> None:
        self.io, self.clock, self.pump = hand_fed_pump(RATE, Host)
        self.host = self.pump.host
        self.settings = settings
        assert self.pump.enable_processing(lambda: self.settings) == ""
        self.t0 = time.monotonic() + 1.0
        self.frames = 0

    def start(self) -> None:
        silence = np.zeros(BLOCK, np.float32)
        begin_call(self.pump, lambda: self.block(silence, silence))

    def block(self, mic: np.ndarray, speaker: np.ndarray) -> None:
        f, t = self.frames, self.t0 + self.frames / RATE
        self.io.queue.put(OutputBlock(f, t + HEARD_AFTER_S, speaker.astype(np.float32)))
        # As PortAudio calls back: once the block's last frame has been captured.
        called = t + BLOCK / RATE
        self.io.queue.put(InputBlock(f, t, called, called, mic.astype(np.float32), False))
        self.frames += BLOCK

    def play(self, mic: np.ndarray, speaker: np.ndarray) -> None:
        for k in range(0, min(len(mic), len(speaker)) // BLOCK * BLOCK, BLOCK):
            self.block(mic[k : k + BLOCK], speaker[k : k + BLOCK])

    def drain(self) -> None:
        """Return once the pump has handled every block put in."""
        deadline = time.monotonic() + 10
        # Until the pump finished with the last block, not just took it in: the processor
        # counts a block before the recogniser is fed with it, and a drop set between the
        # two lost that block from what the recogniser heard.
        while self.pump.handled_frames < self.frames and time.monotonic() < deadline:
            time.sleep(0.001)

    def finish(self) -> None:
        """Drop the line after everything played; returns once the pump has handled it."""
        self.drain()
        self.pump.end_at(self.frames / RATE)
        for _ in range(4):  # the processed file trails by the module's delay
            self.block(np.zeros(BLOCK), np.zeros(BLOCK))
        if self.pump.recorder is not None:
            assert self.pump.finished.wait(10)  # the recording is complete
        self.drain()
        self.pump.stop()


@pytest.fixture(scope="module")
def agent_line():
    synth = Synthesizer(RATE)
    try:
        yield synth.render_now(
            "Hi Alex, this is Sam from Acme Solar. Do you have a minute to talk about your "
            "energy bill? We can cut it by a third with panels on your roof."
        )
    finally:
        synth.close()


def echo_of(far: np.ndarray, delay_s: float = 0.04, gain_db: float = -6.0) -> np.ndarray:
    d = int((HEARD_AFTER_S + delay_s) * RATE)  # heard, then back through the room
    mic = np.zeros(len(far), np.float32)
    mic[d:] = far[: len(far) - d] * 10 ** (gain_db / 20)
    return mic + np.random.default_rng(1).normal(0, 0.003, len(mic)).astype(np.float32)


def test_the_first_block_is_recorded_when_the_recorder_comes_late(tmp_path):
    """The call's clock starts on its first block, and the recorder is attached after;
    the first block's audio is kept for it, so file sample i is session sample i."""
    line = Line(ProcessingSettings(False, True))
    line.start()  # block 0 (silence) is in; no recorder yet
    marker = np.linspace(0.1, 0.5, BLOCK).astype(np.float32)
    line.block(marker, np.zeros(BLOCK))  # block 1: a ramp on the microphone
    while line.pump.far_end.end < 2 * BLOCK:  # the pump has handled block 1
        time.sleep(0.001)
    recorder = CallRecorder(
        tmp_path / "recording.wav", RATE, processed_path=tmp_path / PROCESSED_FILE
    )
    line.pump.recorder = recorder
    line.play(np.zeros(RATE, np.float32), np.zeros(RATE, np.float32))
    line.finish()
    raw, _ = sf.read(tmp_path / "recording.wav")
    heard, _ = sf.read(tmp_path / PROCESSED_FILE)
    np.testing.assert_allclose(raw[BLOCK : 2 * BLOCK, 0], marker, atol=1e-4)
    assert len(raw) == len(heard) == line.frames - 4 * BLOCK


def test_the_echo_is_cancelled_in_what_the_recogniser_hears(tmp_path, agent_line):
    line = Line(ProcessingSettings(True, True))
    heard: list[np.ndarray] = []
    line.pump.recognizer = SimpleNamespace(feed=heard.append)  # what vosk would be fed
    line.start()
    line.play(echo_of(agent_line), agent_line)
    line.finish()
    mic = echo_of(agent_line)[RATE : len(agent_line) - BLOCK]
    out = np.concatenate(heard)[RATE - BLOCK : len(agent_line) - 2 * BLOCK]
    erle = 10 * np.log10(np.mean(mic**2) / np.mean(out**2))
    assert erle > 25, f"only {erle:.1f} dB"
    assert not [m for _, m in line.host.faults if "hears the agent" in m]


def test_the_echo_warning_comes_once_through_the_host(agent_line):
    line = Line(ProcessingSettings(False, True))
    line.start()
    line.play(echo_of(agent_line), agent_line)
    line.play(echo_of(agent_line), agent_line)  # the agent speaks twice: one warning
    line.finish()
    warnings = [m for s, m in line.host.faults if s == "audio" and "hears the agent" in m]
    assert len(warnings) == 1
    assert warnings[0].startswith("the microphone hears the agent: use echo cancellation")
    # Measured on what the recogniser hears (after the high-pass filter and noise
    # suppression, a few dB under the -6 dB in the room), from when it was heard.
    found = re.search(r"comes back (\d+) dB below what was played, (\d+) ms later", warnings[0])
    assert found and 5 <= int(found[1]) <= 12 and int(found[2]) == 40, warnings[0]


def test_a_mid_call_edit_turns_cancellation_on_at_the_next_block(agent_line):
    line = Line(ProcessingSettings(False, True))
    heard: list[np.ndarray] = []
    line.pump.recognizer = SimpleNamespace(feed=heard.append)
    line.start()
    half = len(agent_line) // 2 // BLOCK * BLOCK
    mic = echo_of(agent_line)
    line.play(mic[:half], agent_line[:half])
    line.drain()
    line.settings = ProcessingSettings(True, True)  # the tester ticks the box
    line.play(mic[half:], agent_line[half:])
    line.finish()
    out = np.concatenate(heard)
    before = slice(RATE // 2, half - BLOCK)
    after = slice(half + RATE, len(agent_line) - 2 * BLOCK)
    level = lambda x: 10 * np.log10(np.mean(x**2))  # noqa: E731
    assert level(mic[before]) - level(out[before]) < 3  # off: the echo stays
    assert level(mic[after]) - level(out[after]) > 20  # on: cancelled
    # No sample lost or repeated at the switch (the recogniser stops at the drop, four
    # blocks before the end).
    assert len(out) == line.frames - 4 * BLOCK - line.pump.processor.delay
