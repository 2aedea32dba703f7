"""The detector on real audio: a generated answer played into the virtual microphone
(PulseAudio, as tests/integration does), captured by the console's AudioIO, and fed to
the detector block by block from a helper thread, as the audio pump would."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from console.audio import answer_fixtures as af
from console.audio.amd import HUMAN, VOICEMAIL, AnsweredBy, AnsweredByDetector, Beep
from console.audio.clock import SampleClock
from console.audio.inject import Injector
from console.audio.io import AudioIO, InputBlock, OutputBlock

RATE = 16000
WITHIN_S = 0.2  # the bound: the beep is known within 200 ms of its end
PLACED_S = 0.03  # the beep's span against the truth: two streams' clocks, 10 ms blocks


class DetectorPump:
    """A small stand-in for the audio pump: anchors the session clock on the capture
    stream and feeds every captured block to the detector at its session sample."""

    def __init__(self, io: AudioIO) -> None:
        self.io = io
        self.clock = SampleClock(io.rate)
        self.detector = AnsweredByDetector()
        self.results: queue.SimpleQueue[AnsweredBy | Beep] = queue.SimpleQueue()
        self.found: list[AnsweredBy | Beep] = []
        self._zero = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="amd-pump", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                item = self.io.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if isinstance(item, OutputBlock):
                self.clock.on_output_block(item.frame, item.dac_time)
            elif isinstance(item, InputBlock):
                self.clock.on_input_block(item.frame, item.adc_time, item.stream_time, item.mono)
                if not self.clock.started:
                    self.clock.start_at(item.frame)
                    self._zero = item.frame
                for result in self.detector.feed(item.samples, item.frame - self._zero):
                    self.results.put(result)

    def wait_for(self, kind: type, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        for result in self.found:
            if isinstance(result, kind):
                return result
        while time.monotonic() < deadline:
            try:
                result = self.results.get(timeout=0.05)
            except queue.Empty:
                continue
            self.found.append(result)
            if isinstance(result, kind):
                return result
        raise AssertionError(f"no {kind.__name__} within {timeout} s: {self.found}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def line(virtual_audio, espeak):
    """The console's capture (virtual mic) with a detector pump, and an injector that
    speaks into the mic's side of the cable."""
    io = AudioIO(virtual_audio.mic, virtual_audio.speaker, RATE)
    pump = DetectorPump(io)
    io.start()
    injector = Injector(virtual_audio.caller_sink, RATE)
    injector.wait_steady()
    try:
        yield pump, injector
    finally:
        injector.close()
        io.close()
        pump.close()


def played_at(pump: DetectorPump, injector: Injector, first_frame: int, sample: int) -> float:
    """Session time at which sample `sample` of what the injector played was heard."""
    return pump.clock.session_of_stream_time(injector.stream_time(first_frame + sample))


def test_a_voicemail_beep_through_virtual_devices_is_known_within_200_ms(line):
    pump, injector = line
    fixture = af.voicemail(
        af.GREETINGS[1], beep_hz=1000.0, beep_s=0.5, gap_s=0.5, lead_s=0.3, tail_s=1.0
    )
    _, finished = injector.play(fixture.samples)
    first, _ = finished.result(30)
    beep = pump.wait_for(Beep)
    verdict = pump.wait_for(AnsweredBy)
    beep_start = played_at(pump, injector, first, fixture.beep_start)
    beep_end = played_at(pump, injector, first, fixture.beep_end)
    assert verdict.answered_by == VOICEMAIL, str(verdict)
    assert verdict.at_s <= beep.at_s
    assert 0.0 <= beep.at_s - beep_end <= WITHIN_S, (beep.at_s, beep_end)
    assert abs(beep.start_s - beep_start) <= PLACED_S, (beep.start_s, beep_start)
    assert abs(beep.end_s - beep_end) <= PLACED_S, (beep.end_s, beep_end)
    assert beep.hz == pytest.approx(1000.0, abs=5)


def test_hello_through_virtual_devices_is_a_person(line):
    pump, injector = line
    fixture = af.human(("Hello?", "Hello?"), lead_s=0.3, between_s=2.0, tail_s=0.5)
    _, finished = injector.play(fixture.samples)
    verdict = pump.wait_for(AnsweredBy)
    first, _ = finished.result(30)
    assert verdict.answered_by == HUMAN, str(verdict)
    hello_end = played_at(pump, injector, first, fixture.speech[0][1])
    # Decided in the silence after the first "hello?", before the second one.
    assert hello_end + 0.9 <= verdict.at_s <= hello_end + 1.2
    assert not [r for r in pump.found if isinstance(r, Beep)]
