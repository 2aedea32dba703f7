"""Capture and playback streams whose callbacks only copy blocks into a queue.

Everything slow (recording, recognition, telling the engine) happens on the pump thread
that reads the queue; the callbacks never lock, allocate more than one block, or touch
Qt. Input overflows and output underflows are counted, and reported as messages.
"""

from __future__ import annotations

import queue
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from console.audio.devices import AudioUnavailable, DeviceChoice, open_stream, resolve
from console.audio.player import PlaybackEvent, Player

# Frames per callback: 10 ms at 16 kHz. Measured against 20 ms blocks on virtual devices
# (8 calls each): the goodbye's first sample came 38 ms after the action instead of 47,
# and an answer's first sample 52 ms after the utterance was final instead of 74.
BLOCK = 160
SETTLE_BLOCKS = 30  # 300 ms of a stream's timestamps...
SETTLE_S = 0.012  # ...agreeing this closely: the stream runs at real time


def _steady(offsets: deque[float]) -> bool:
    return len(offsets) == offsets.maxlen and max(offsets) - min(offsets) <= SETTLE_S


@dataclass(frozen=True)
class InputBlock:
    frame: int  # index of the block's first frame since the stream started
    adc_time: float
    stream_time: float
    mono: float
    samples: np.ndarray  # float32, mono
    overflow: bool


@dataclass(frozen=True)
class OutputBlock:
    frame: int  # index of the block's first frame since the stream started
    dac_time: float
    samples: np.ndarray  # float32, mono, what was handed to the device
    events: list[PlaybackEvent] = field(default_factory=list)
    underflow: bool = False


@dataclass(frozen=True)
class StreamLost:
    kind: str
    message: str


class AudioIO:
    """A capture stream and a playback stream at one rate, feeding one queue."""

    def __init__(
        self,
        input_spec: str | None = None,
        output_spec: str | None = None,
        rate: int = 16000,
        block: int = BLOCK,
    ) -> None:
        self.input: DeviceChoice = resolve(input_spec, "input")
        self.output: DeviceChoice = resolve(output_spec, "output")
        self.rate = rate
        self.block = block
        self.queue: queue.SimpleQueue[InputBlock | OutputBlock | StreamLost] = queue.SimpleQueue()
        self.player = Player(rate)
        self.overflows = 0
        self.underflows = 0
        self.in_frames = 0
        self.out_frames = 0
        # Recent (timestamp - frame / rate) of each stream: constant once a stream runs at
        # real time (see start).
        self._in_offsets: deque[float] = deque(maxlen=SETTLE_BLOCKS)
        self._out_offsets: deque[float] = deque(maxlen=SETTLE_BLOCKS)
        self._closing = False
        common: dict[str, Any] = dict(samplerate=rate, blocksize=block, latency="low")
        self._in = open_stream(
            "input",
            self.input,
            callback=self._on_input,
            finished_callback=lambda: self._lost("input"),
            **common,
        )
        try:
            self._out = open_stream(
                "output",
                self.output,
                callback=self._on_output,
                finished_callback=lambda: self._lost("output"),
                **common,
            )
        except AudioUnavailable:
            self._in.close()
            raise

    @property
    def latency(self) -> tuple[float, float]:
        return float(self._in.latency), float(self._out.latency)

    def start(self, warmup_s: float = 0.3, timeout_s: float = 5.0) -> None:
        """Start both streams and return once both run at real time.

        Measured on PulseAudio: a playback stream can stall right after it starts (about
        two seconds on an idle null sink, under one on the virtual devices, whose sinks
        tick), and a capture stream first delivers a backlog, its timestamps reaching
        real time only after a second or so. A call placed before that would lay its first
        second on a clock still moving. So the streams must also be steady: their recent
        timestamps all agree with their frame counts within SETTLE_S (or, after timeout_s,
        the call starts anyway)."""
        self._out.start()
        self._in.start()
        need = int(warmup_s * self.rate)
        deadline = time.monotonic() + timeout_s
        while self.in_frames < need or self.out_frames < need:
            if time.monotonic() > deadline:
                raise AudioUnavailable(
                    f"the audio devices did not start within {timeout_s:g} s "
                    f"(input {self.in_frames} frames, output {self.out_frames} frames)"
                )
            time.sleep(0.01)
        while not (_steady(self._in_offsets) and _steady(self._out_offsets)):
            if time.monotonic() > deadline:
                return  # running, if not yet steady: the clock follows as it settles
            time.sleep(0.01)

    def close(self) -> None:
        self._closing = True
        for stream in (self._in, self._out):
            try:
                stream.abort()
                stream.close()
            except Exception:  # already gone with its device
                pass

    # -- PortAudio callbacks: copy and go -----------------------------------------------
    def _on_input(self, indata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        overflow = bool(status.input_overflow)
        if overflow:
            self.overflows += 1
        self._in_offsets.append(t.inputBufferAdcTime - self.in_frames / self.rate)
        self.queue.put(
            InputBlock(
                self.in_frames,
                t.inputBufferAdcTime,
                t.currentTime,
                time.monotonic(),
                indata[:, 0].copy(),
                overflow,
            )
        )
        self.in_frames += frames

    def _on_output(self, outdata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        underflow = bool(status.output_underflow)
        if underflow:
            self.underflows += 1
        self._out_offsets.append(t.outputBufferDacTime - self.out_frames / self.rate)
        out = outdata[:, 0]
        events = self.player.fill(out, self.out_frames)
        if outdata.shape[1] > 1:
            outdata[:, 1:] = out[:, None]
        self.queue.put(
            OutputBlock(self.out_frames, t.outputBufferDacTime, out.copy(), events, underflow)
        )
        self.out_frames += frames

    def _lost(self, kind: str) -> None:
        if not self._closing:
            self.queue.put(StreamLost(kind, f"the {kind} device stopped"))
