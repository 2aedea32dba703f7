"""Play a session's recording from any point, with a position the GUI can poll.

The output callback only copies samples and advances an integer position; the GUI reads
that position on a timer to draw the playhead. Nothing here imports Qt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from console.audio.devices import open_stream, resolve


class RecordingUnreadable(RuntimeError):
    """The recording cannot be decoded: the message says what the file is like."""


class RecordingPlayer:
    def __init__(self, path: str | Path, device: str | None = None) -> None:
        import soundfile as sf

        self.path = Path(path)
        try:
            data, self.rate = sf.read(str(path), dtype="float32", always_2d=True)
        except (RuntimeError, ValueError, TypeError) as exc:  # libsndfile's own errors
            raise RecordingUnreadable(f"{Path(path).name} cannot be decoded ({exc})") from None
        if self.rate <= 0:
            raise RecordingUnreadable(f"{Path(path).name} says its sample rate is {self.rate}")
        self.samples = data.mean(axis=1).astype(np.float32)  # caller and agent, mixed
        self.device = device
        self.position = 0  # next sample to play
        self._stream: Any = None

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    @property
    def time(self) -> float:
        return self.position / self.rate

    @property
    def playing(self) -> bool:
        return self._stream is not None and self._stream.active

    def play(self, from_t: float = 0.0) -> None:
        self.stop()
        self.position = max(0, min(len(self.samples), int(from_t * self.rate)))
        self._stream = open_stream(
            "output",
            resolve(self.device, "output"),
            samplerate=self.rate,
            callback=self._callback,
        )
        self._stream.start()

    def _callback(self, outdata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        import sounddevice as sd

        chunk = self.samples[self.position : self.position + frames]
        outdata[: len(chunk), 0] = chunk
        outdata[len(chunk) :, 0] = 0.0
        self.position += len(chunk)
        if len(chunk) < frames:
            raise sd.CallbackStop

    def stop(self) -> None:
        if self._stream is not None:
            try:
                self._stream.abort()
                self._stream.close()
            except Exception:
                pass
            self._stream = None
