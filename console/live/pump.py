"""The audio pump: the one thread that takes blocks from the audio callbacks and acts.

It anchors the session clock on the capture stream, writes the recording, feeds the
recogniser, turns the player's sample-exact playback reports into engine inputs, and
notices when a device stops delivering audio. Nothing here runs in a callback.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from console.audio.clock import SampleClock
from console.audio.io import AudioIO, InputBlock, OutputBlock, StreamLost
from console.audio.recorder import CallRecorder
from console.core.host import CallHost
from console.speech.recognizer import StreamingRecognizer

STALL_S = 1.0  # no capture for this long while the call runs: the device is gone
WARN_EVERY_S = 2.0  # at most one overflow/underflow warning per this many seconds


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
        self._stalled = False
        self._last_warn = {"overflow": 0.0, "underflow": 0.0}
        self._thread = threading.Thread(target=self._loop, name="audio-pump", daemon=True)

    def start(self) -> None:
        self._thread.start()

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
            if self.recorder is not None:
                self.recorder.close()
            self.finished.set()

    def _input(self, block: InputBlock) -> None:
        self._last_input = time.monotonic()
        self._stalled = False
        self.clock.on_input_block(block.frame, block.adc_time, block.stream_time, block.mono)
        if not self.clock.started:
            captured_at = block.mono - (block.stream_time - block.adc_time)
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
        if block.overflow:
            self._warn(
                "overflow",
                "input overflow: the computer fell behind capturing audio "
                f"({self.io.overflows} so far); recognition may miss words",
            )
        if self.recorder is not None:
            self.recorder.write_caller(block.samples)
        if self.recognizer is not None and not self._ended:
            self.recognizer.feed(block.samples)
        if self.on_level is not None:
            self.on_level(float(np.sqrt(np.mean(block.samples**2))) if len(block.samples) else 0.0)

    def _output(self, block: OutputBlock) -> None:
        self.clock.on_output_block(block.frame, block.dac_time)
        if block.underflow:
            self._warn(
                "underflow",
                f"output underflow: the agent's audio had a gap ({self.io.underflows} so far)",
            )
        if not self.clock.started:
            return
        if self.recorder is not None:
            index = round(self.clock.session_of_output_frame(block.frame) * self.clock.rate)
            self.recorder.put_agent(index, block.samples)
        for event in block.events:
            t = self.clock.session_of_output_frame(event.frame)
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


def _at(host: CallHost, t: float, fn: Callable[[], None]) -> None:
    """Run fn on the engine thread at session time t (at once if t has passed)."""
    if t <= host.clock.now():
        fn()
    else:
        host.at(t, fn)
