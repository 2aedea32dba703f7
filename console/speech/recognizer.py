"""Streaming recognition with vosk on a worker thread.

Audio is fed from the recording's sample 0, so vosk's word times *are* session times.
An utterance ends when vosk's own endpointer says so, or when the caller has been
silent for the configured end-of-utterance silence after the last word (whichever comes
first), so the tester controls how quickly the agent takes its turn.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

PARTIAL_EVERY_S = 0.1


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float = 1.0


@dataclass(frozen=True)
class Recognised:
    text: str
    start: float
    end: float
    words: tuple[Word, ...]


def _words(items: list[dict[str, Any]]) -> tuple[Word, ...]:
    return tuple(
        Word(w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
        for w in items
    )


class StreamingRecognizer:
    def __init__(
        self,
        model: Any,
        rate: int,
        endpoint_silence_s: float,
        on_final: Callable[[Recognised], None],
        on_partial: Callable[[str, float], None] | None = None,
    ) -> None:
        import vosk

        self.rate = rate
        self.endpoint_silence_s = endpoint_silence_s
        self.on_final = on_final
        self.on_partial = on_partial
        self._rec = vosk.KaldiRecognizer(model, rate)
        self._rec.SetWords(True)
        self._rec.SetPartialWords(True)
        self._queue: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self.fed = 0  # samples fed: the recogniser's position on the session clock
        self._since_partial = 0
        self._partial_text = ""
        self._last_word_end: float | None = None
        self.cpu_s = 0.0
        self._thread = threading.Thread(target=self._loop, name="vosk", daemon=True)
        self._thread.start()

    @property
    def position(self) -> float:
        return self.fed / self.rate

    def feed(self, samples: np.ndarray) -> None:
        self._queue.put(samples)

    def close(self, flush: bool = False) -> None:
        """Stop. With flush, words still pending become a last utterance."""
        self._flush_on_close = flush
        self._queue.put(None)
        self._thread.join(10)

    _flush_on_close = False

    def _loop(self) -> None:
        import time

        while True:
            samples = self._queue.get()
            if samples is None:
                if self._flush_on_close:
                    self._finish(json.loads(self._rec.FinalResult()))
                return
            t0 = time.thread_time()
            self._accept(samples)
            self.cpu_s += time.thread_time() - t0

    def _accept(self, samples: np.ndarray) -> None:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        self.fed += len(samples)
        if self._rec.AcceptWaveform(pcm):
            self._finish(json.loads(self._rec.Result()))
            return
        self._since_partial += len(samples)
        if self._since_partial < PARTIAL_EVERY_S * self.rate:
            return
        self._since_partial = 0
        partial = json.loads(self._rec.PartialResult())
        words = partial.get("partial_result") or []
        text = partial.get("partial", "")
        if words:
            self._last_word_end = float(words[-1]["end"])
            if text != self._partial_text and self.on_partial is not None:
                self.on_partial(text, float(words[0]["start"]))
            self._partial_text = text
            if self.position - self._last_word_end >= self.endpoint_silence_s:
                self._finish(json.loads(self._rec.FinalResult()))

    def _finish(self, result: dict[str, Any]) -> None:
        words = _words(result.get("result") or [])
        self._partial_text = ""
        self._last_word_end = None
        self._since_partial = 0
        text = " ".join(w.word for w in words) or result.get("text", "")
        if words and text.strip():
            self.on_final(Recognised(text, words[0].start, words[-1].end, words))
