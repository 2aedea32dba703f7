"""Play audio into a device on cue, knowing when each line's first and last sample went.

Audio scenarios use it to speak the caller's lines into the microphone's side of a
virtual cable (`pulse:caller_in`, whose monitor is the virtual microphone), and tests use
it the same way. Times are audio-API stream times, which a SampleClock converts to
session times.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any

import numpy as np

from console.audio.clock import FrameTimes
from console.audio.devices import open_stream, resolve
from console.audio.player import Player


class Injector:
    def __init__(self, device: str | None, rate: int = 16000, block: int = 320) -> None:
        self.choice = resolve(device, "output")
        self.rate = rate
        self.player = Player(rate)
        self.times = FrameTimes(rate)
        self._frames = 0
        self._ids = iter(range(1, 1 << 30))
        self._pending: dict[int, tuple[Future, Future]] = {}
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._stream = open_stream(
            "output",
            self.choice,
            samplerate=rate,
            blocksize=block,
            callback=self._callback,
        )
        self._stream.start()
        self._thread = threading.Thread(target=self._loop, name="injector", daemon=True)
        self._thread.start()

    def wait_steady(self, seconds: float = 1.0, timeout: float = 10.0) -> None:
        """Wait until the stream has run long enough for its timestamps to settle."""
        import time

        deadline = time.monotonic() + timeout
        while self._frames < seconds * self.rate and time.monotonic() < deadline:
            time.sleep(0.02)

    def stream_time(self, frame: int) -> float:
        """The audio-API time at which output frame `frame` was heard."""
        return self.times.time_of(frame)

    def play(self, samples: np.ndarray) -> tuple[Future, Future]:
        """Queue samples. Returns two Futures: the output frame of the first sample (set
        as it starts playing) and (first frame, last frame) once it has played; convert
        frames with stream_time."""
        uid = next(self._ids)
        started: Future = Future()
        finished: Future = Future()
        self._pending[uid] = (started, finished)
        self.player.play(uid, samples)
        return started, finished

    def _callback(self, outdata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        self._events.put((self._frames, t.outputBufferDacTime))
        for event in self.player.fill(outdata[:, 0], self._frames):
            self._events.put(event)
        self._frames += frames

    def _loop(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                return
            if isinstance(event, tuple):
                self.times.add(*event)
                continue
            started, finished = self._pending.get(event.utterance_id, (None, None))
            if started is None or finished is None:
                continue
            if event.kind == "started":
                started.set_result(event.frame)
            else:
                self._pending.pop(event.utterance_id, None)
                finished.set_result((started.result(), event.frame))

    def close(self) -> None:
        self._events.put(None)
        try:
            self._stream.abort()
            self._stream.close()
        except Exception:
            pass
