"""The audio pump: the one thread that takes blocks from the audio callbacks and acts.

It anchors the session clock on the capture stream, writes the recording, feeds the
recogniser, turns the player's sample-exact playback reports into engine inputs, and
notices when a device stops delivering audio. Nothing here runs in a callback.

The microphone is processed here too (echo cancellation, noise suppression:
console/audio/echo.py): what the player hands the speaker is the canceller's far-end
reference, fed as it is handed over; each microphone block is recorded raw, processed,
and the processed signal is what the recogniser hears, what the second recording file
keeps, and what the echo watch compares with what was played (placed on the session
clock) to warn, once per call, that the microphone hears the agent.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from console.audio.amd.detector import AnsweredByDetector
from console.audio.clock import SampleClock
from console.audio.echo import CaptureProcessor, ProcessingSettings, ProcessingUnavailable
from console.audio.echo_watch import EchoWatch, FarEnd, echo_message
from console.audio.io import AudioIO, InputBlock, OutputBlock, StreamLost
from console.audio.recorder import CallRecorder
from console.audio.xruns import Xrun, XrunRuns
from console.core.host import CallHost
from console.speech.recognizer import StreamingRecognizer

STALL_S = 1.0  # no capture for this long while the call runs: the device is gone
# At most one overflow/underflow notice per this many seconds (each one is on the
# timeline anyway, as an AudioGap with its length: console/audio/xruns.py).
WARN_EVERY_S = 2.0
BACKLOG_S = 5.0  # audio kept for a recorder attached after the call's first block


class AudioPump:
    def __init__(
        self,
        io: AudioIO,
        clock: SampleClock,
        host: CallHost,
        on_level: Callable[[float], None] | None = None,
    ) -> None:
        self.io = io
        self.clock = clock
        self.host = host
        self.on_level = on_level
        self.recorder: CallRecorder | None = None
        self.recognizer: StreamingRecognizer | None = None
        # Voicemail detection (console/audio/amd): fed what the recogniser hears; its
        # verdict, beep and a machine's quiet go straight to the engine (their time has
        # already passed).
        self.answered_by: AnsweredByDetector | None = None
        # What the speaker played, on the session clock, for the echo watch.
        self.far_end = FarEnd(io.rate)
        self.processor: CaptureProcessor | None = None  # see enable_processing
        self._settings: Callable[[], ProcessingSettings] | None = None
        self.echo_watch: EchoWatch | None = EchoWatch(io.rate, self.far_end)
        # Audio from session time 0 until a recorder is attached (it is attached once the
        # clock has started, so the first blocks would otherwise be missing from it).
        self._backlog: list[tuple[str, int, np.ndarray]] = []
        self._backlog_frames = 0
        self.monitor: Callable[[InputBlock], None] | None = None  # tests: see the raw blocks
        # A device stopped for good: the call decides what happens (see LiveCall).
        self.on_lost: Callable[[str], None] | None = None
        self.muted = False
        self._zero_wanted = False
        self.zero_set = threading.Event()
        self._ended = False  # the line dropped: stop recognising
        self._stop = threading.Event()
        self.finished = threading.Event()  # the recording is complete and closed
        self._last_input = time.monotonic()
        # The end of the last input block this thread has finished with (recorded,
        # processed, fed to the recogniser): what a caller that fed blocks can wait for.
        self.handled_frames = 0
        self._stalled = False
        self._last_warn = {"overflow": 0.0, "underflow": 0.0}
        self._xruns = {kind: XrunRuns(kind, io.rate) for kind in ("input", "output")}
        self._out_end: int | None = None  # session sample after the last output block
        self._thread = threading.Thread(target=self._loop, name="audio-pump", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def enable_processing(self, settings: Callable[[], ProcessingSettings]) -> str:
        """Process the microphone before the recogniser hears it, as `settings()` says
        (read at every block, so a mid-call edit applies at the next block). Call before
        `start`. Returns "" or why processing is unavailable (the raw microphone is then
        used; the caller decides whether that is worth a warning)."""
        try:
            self.processor = CaptureProcessor(
                self.io.rate, settings(), on_failure=self._processing_failed
            )
        except ProcessingUnavailable as exc:
            return str(exc)
        self._settings = settings
        return ""

    def _processing_failed(self, message: str) -> None:
        self.host.submit(lambda e: e.fault("audio", message))

    def begin_call(self, timeout: float = 5.0) -> bool:
        """Make the frame captured now the recording's sample 0 (session time 0).

        Blocks already waiting in the capture buffer when the call is placed are older
        than the call; they are skipped by comparing their capture time with now.
        """
        self._zero_after_mono = time.monotonic()
        self._zero_wanted = True
        return self.zero_set.wait(timeout)

    _zero_after_mono = 0.0

    def end_at(self, t: float) -> None:
        """The line dropped at session time t: the recording and recognition end there."""
        self._ended = True
        if self.recorder is not None:
            self.recorder.end_at(round(t * self.clock.rate))

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    # -- the loop ------------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    item = self.io.queue.get(timeout=0.2)
                except queue.Empty:
                    self._check_stall()
                    continue
                if isinstance(item, InputBlock):
                    self._input(item)
                elif isinstance(item, OutputBlock):
                    self._output(item)
                elif isinstance(item, StreamLost):
                    self._fault(item.message, fatal=True)
                if self.recorder is not None and self.recorder.complete:
                    break
        finally:
            for runs in self._xruns.values():  # a run still open when the call ended
                self._report_xrun(runs.flush())
            if self.recorder is not None:
                self.recorder.close()
            self.finished.set()

    def _input(self, block: InputBlock) -> None:
        try:
            self._take_input(block)
        finally:
            self.handled_frames = block.frame + len(block.samples)

    def _take_input(self, block: InputBlock) -> None:
        self._last_input = time.monotonic()
        self._stalled = False
        jump = self.clock.on_input_block(
            block.frame, block.adc_time, block.stream_time, block.mono, len(block.samples)
        )
        if jump and self.clock.started:  # the capture's timing jumped: audio lost or late
            t = self.clock.session_of_frame(block.frame)
            self.host.submit(lambda e, t=t, j=jump: e.audio_gap("input", t, j))
            if jump > 0:
                # The microphone's audio for that long never came: silence takes its place
                # in the recording and the recogniser, so session time (the recording's
                # sample count) stays real time and the agent's audio keeps its place.
                lost = self.clock.skip_input(jump)
                silence = np.zeros(lost, np.float32)
                self._record("caller", 0, silence)
                self._heard(silence)
        if not self.clock.started:
            # When its audio was captured: by its callback, less its own length (the
            # capture timestamp lags for the first second on PulseAudio: not that).
            captured_at = block.mono - len(block.samples) / self.clock.rate
            if not self._zero_wanted or captured_at < self._zero_after_mono:
                return
            self.clock.start_at(block.frame)
            self.zero_set.set()
        if self.monitor is not None:
            self.monitor(block)
        if self.muted:
            block = InputBlock(
                block.frame,
                block.adc_time,
                block.stream_time,
                block.mono,
                np.zeros_like(block.samples),
                block.overflow,
            )
        t = self.clock.session_of_frame(block.frame)
        self._report_xrun(
            self._xruns["input"].block(block.overflow, t, block.adc_time, len(block.samples))
        )
        if block.overflow:
            self._warn(
                "overflow",
                "input overflow: the computer fell behind capturing audio "
                f"({self.io.overflows} so far); recognition may miss words",
            )
        self._record("caller", 0, block.samples)
        heard = block.samples
        if self.processor is not None:
            heard = self._configure()
            heard = np.concatenate([heard, self.processor.push(block.samples)])
        self._heard(heard)
        if self.on_level is not None:
            self.on_level(float(np.sqrt(np.mean(block.samples**2))) if len(block.samples) else 0.0)

    def _configure(self) -> np.ndarray:
        """Apply the settings in force now; returns samples a switch released (raw)."""
        assert self.processor is not None and self._settings is not None
        try:
            settings = self._settings()
        except Exception:  # a config being replaced: keep what runs
            return np.zeros(0, np.float32)
        return self.processor.configure(settings)

    def _heard(self, samples: np.ndarray) -> None:
        """The microphone as the recogniser hears it (processed, or raw when off)."""
        if not len(samples):
            return
        if self.processor is not None:
            self._record("processed", 0, samples)
        if self.recognizer is not None and not self._ended:
            self.recognizer.feed(samples)
        if self.answered_by is not None and not self._ended:
            self._detect(samples)
        if self.echo_watch is not None and not self._ended:
            heard = self.echo_watch.feed(samples)
            if heard is not None:
                cancelling = self.processor is not None and (
                    self.processor.settings.echo_cancellation and not self.processor.failure
                )
                message = echo_message(heard, cancelling)
                self.host.submit(lambda e: e.fault("audio", message))

    def _detect(self, samples: np.ndarray) -> None:
        from console.audio.amd.timeline import engine_input

        assert self.answered_by is not None
        for result in self.answered_by.feed(samples):
            self.host.submit(engine_input(result))

    def _record(self, what: str, index: int, samples: np.ndarray) -> None:
        """To the recorder, or kept until one is attached (BACKLOG_S at most)."""
        recorder = self.recorder
        if recorder is None:
            if self._backlog_frames < BACKLOG_S * self.io.rate:
                self._backlog.append((what, index, samples))
                self._backlog_frames += len(samples) if what == "caller" else 0
            return
        if self._backlog:
            backlog, self._backlog = self._backlog, []
            for item in backlog:
                _write(recorder, *item)
        _write(recorder, what, index, samples)

    def _output(self, block: OutputBlock) -> None:
        self.clock.on_output_block(block.frame, block.dac_time, block.underflow)
        if block.underflow:
            self._warn(
                "underflow",
                f"output underflow: the agent's audio had a gap ({self.io.underflows} so far)",
            )
        if not self.clock.started:
            return
        shifts = len(self.clock.shifts)
        index = self.clock.output_index(block.frame)
        # An underflow's silence came before this block: after the last one ended.
        began = self._out_end if self._out_end is not None else index
        self._out_end = index + len(block.samples)
        self._report_xrun(
            self._xruns["output"].block(
                block.underflow, began / self.clock.rate, block.dac_time, len(block.samples)
            )
        )
        for at, moved in self.clock.shifts[shifts:]:  # the playback stalled (or drifted)
            rate = self.clock.rate
            self.host.submit(lambda e, t=at / rate, j=moved / rate: e.audio_gap("output", t, j))
        self._record("agent", index, block.samples)
        self.far_end.add(block.frame, index, block.samples)
        if self.processor is not None:
            self.processor.render(block.samples)
        for event in block.events:
            t = self.clock.output_index(event.frame) / self.clock.rate
            uid = event.utterance_id
            if event.kind == "started":
                planned = event.length / self.clock.rate if event.length else None
                self.host.submit(
                    lambda e, uid=uid, t=t, planned=planned: _at(
                        self.host, t, lambda: e.agent_audio_started(uid, t, planned)
                    )
                )
            elif event.kind == "finished":
                # Delivered when the last sample is heard, not when it was queued.
                self.host.submit(
                    lambda e, uid=uid, t=t: _at(
                        self.host, t, lambda: e.agent_audio_finished(uid, t)
                    )
                )

    def _check_stall(self) -> None:
        if (
            self.clock.started
            and not self._ended
            and not self._stalled
            and (time.monotonic() - self._last_input > STALL_S)
        ):
            self._stalled = True
            self._fault(
                f"the input device {self.io.input.label!r} stopped delivering audio "
                "(unplugged, or its sound server stopped); the call goes on with typed "
                "input",
                fatal=True,
            )

    def _report_xrun(self, run: Xrun | None) -> None:
        """An underflow or overflow run on the timeline, where and how long it was."""
        if run is not None:
            self.host.submit(
                lambda e, r=run: e.audio_gap(r.stream, r.t, r.length_s, r.cause, r.blocks)
            )

    def _warn(self, kind: str, message: str) -> None:
        now = time.monotonic()
        if now - self._last_warn[kind] >= WARN_EVERY_S:
            self._last_warn[kind] = now
            self.host.submit(lambda e: e.fault("audio", message))

    def _fault(self, message: str, fatal: bool) -> None:
        if fatal and self.on_lost is not None:
            self.on_lost(message)
        else:
            self.host.submit(lambda e: e.fault("audio", message, fatal=fatal))


def _write(recorder: CallRecorder, what: str, index: int, samples: np.ndarray) -> None:
    if what == "caller":
        recorder.write_caller(samples)
    elif what == "agent":
        recorder.put_agent(index, samples)
    else:
        recorder.write_processed(samples)


def _at(host: CallHost, t: float, fn: Callable[[], None]) -> None:
    """Run fn on the engine thread at session time t (at once if t has passed)."""
    if t <= host.clock.now():
        fn()
    else:
        host.at(t, fn)
