"""The tester's own speaker and microphone on a SIP call.

The line's clock is the agent's RTP audio, not the sound card, so the two are bridged
loosely: the agent's samples go into a short queue the speaker's callback drains (it
plays silence when the queue runs dry and drops the oldest audio when it grows past
`MAX_QUEUE_S`, so the speaker never drifts behind the line), and the microphone's blocks
go to the line as they are captured. The callbacks only copy; nothing here waits.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from console.audio.devices import AudioUnavailable, open_stream, resolve

BLOCK = 160
MAX_QUEUE_S = 0.3


class LocalAudioUnavailable(RuntimeError):
    pass


class LocalAudio:
    def __init__(self, output_spec: str | None, input_spec: str | None, rate: int) -> None:
        self.rate = rate
        self.labels: dict[str, str] = {}
        self._queue: deque[np.ndarray] = deque()
        self._queued = 0
        self._lock = threading.Lock()
        self.on_input: Callable[[np.ndarray], None] | None = None
        self.played = 0  # samples handed to the speaker (not silence)
        self._out: Any = None
        self._in: Any = None
        common = dict(samplerate=rate, blocksize=BLOCK, latency="low")
        try:
            if output_spec is not None:
                choice = resolve(output_spec, "output")
                self._out = open_stream("output", choice, callback=self._speaker, **common)
                self.labels["output"] = choice.label
            if input_spec is not None:
                choice = resolve(input_spec, "input")
                self._in = open_stream("input", choice, callback=self._microphone, **common)
                self.labels["input"] = choice.label
        except AudioUnavailable as exc:
            self.close()
            raise LocalAudioUnavailable(str(exc)) from None
        for stream in (self._out, self._in):
            if stream is not None:
                stream.start()

    def play(self, samples: np.ndarray) -> None:
        """The agent's audio, as it arrives (pump thread)."""
        with self._lock:
            self._queue.append(samples)
            self._queued += len(samples)
            while self._queued > MAX_QUEUE_S * self.rate and len(self._queue) > 1:
                self._queued -= len(self._queue.popleft())

    def _speaker(self, outdata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        out = outdata[:, 0]
        out[:] = 0.0
        filled = 0
        with self._lock:
            while filled < frames and self._queue:
                head = self._queue[0]
                n = min(frames - filled, len(head))
                out[filled : filled + n] = head[:n]
                filled += n
                if n == len(head):
                    self._queue.popleft()
                else:
                    self._queue[0] = head[n:]
                self._queued -= n
        self.played += filled

    def _microphone(self, indata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        fn = self.on_input
        if fn is not None:
            fn(indata[:, 0].copy())

    def close(self) -> None:
        for stream in (self._in, self._out):
            if stream is not None:
                try:
                    stream.abort()
                    stream.close()
                except Exception:  # gone with its device
                    pass
        self._in = self._out = None
