"""Text to speech with pyttsx3, rendered to audio buffers on a worker thread.

pyttsx3 drives the platform's engine (espeak-ng on Linux, SAPI5 on Windows, NSSpeech on
macOS). It is never run on the GUI thread or an audio callback: one worker owns the
engine, renders each line to a WAV, and hands back float32 samples at the output rate,
so the player knows the first and last sample of every line. Rendered lines are cached,
which is how a goodbye whose text is known in advance is ready before it is needed.

A long line need not wait for its whole rendering: `render_stream` hands each sentence
on as soon as it is rendered (with the pause that follows it), so a 25-second line starts
playing after its first sentence instead of after all of them. The pieces joined are
exactly the samples `render` gives, and the whole line is cached once its last piece is
done.
"""

from __future__ import annotations

import queue
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


class SpeechUnavailable(RuntimeError):
    pass


def _resample(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return samples.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(samples, src, dst).astype(np.float32, copy=False)


# pyttsx3 gives every caller in a process the same engine while one is alive
# (`pyttsx3.init` caches it by driver), so two Synthesizers (a call's and a benchmark's,
# or two tests') would drive one engine from two threads: files written under each other's
# names, pieces lost. Lines are rendered one at a time, process-wide.
_ENGINE_LOCK = threading.Lock()


class Synthesizer:
    """One pyttsx3 engine on its own thread; `render` returns a Future of samples."""

    def __init__(self, rate: int, cache_size: int = 64) -> None:
        self.rate = rate
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._cache: OrderedDict[tuple[str, str, int], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._error: Exception | None = None
        self.engine_name = ""
        self.voices: list[tuple[str, str]] = []
        self._thread = threading.Thread(target=self._loop, name="tts", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise SpeechUnavailable(str(self._error))

    # -- any thread --------------------------------------------------------------------
    def render(self, text: str, voice: str = "", wpm: int = 170) -> Future:
        key = (text, voice, wpm)
        future: Future = Future()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is not None:
            future.set_result(cached)
        else:
            self._jobs.put(_Job(text, voice, wpm, future))
        return future

    def render_stream(self, text: str, on_piece: Piece, voice: str = "", wpm: int = 170) -> Future:
        """Render `text` sentence by sentence, calling `on_piece(samples, last)` on the
        TTS thread as each is ready (a cached line comes whole, at once, on this thread).
        The returned Future gives the whole line once it is all rendered (or the error;
        pieces already handed on stay handed on)."""
        key = (text, voice, wpm)
        future: Future = Future()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is not None:
            on_piece(cached, True)
            future.set_result(cached)
        else:
            self._jobs.put(_Job(text, voice, wpm, future, on_piece))
        return future

    def render_now(self, text: str, voice: str = "", wpm: int = 170) -> np.ndarray:
        return self.render(text, voice, wpm).result(timeout=60)

    def prepare(self, texts: list[str], voice: str = "", wpm: int = 170) -> None:
        """Render lines ahead of time (e.g. a goodbye known before the call ends)."""
        for text in texts:
            if text.strip():
                self.render(text, voice, wpm)

    def on_ready(self, future: Future, fn: Callable[[np.ndarray | None, str], None]) -> None:
        def done(f: Future) -> None:
            exc = f.exception()
            fn(None if exc else f.result(), f"speech synthesis failed: {exc}" if exc else "")

        future.add_done_callback(done)

    def close(self) -> None:
        self._jobs.put(None)

    # -- the worker --------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            engine = self._init_engine()
        except Exception as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        with tempfile.TemporaryDirectory(prefix="endcall-tts-") as tmp:
            path = Path(tmp) / "line.wav"
            while True:
                job = self._jobs.get()
                if job is None:
                    break
                key = (job.text, job.voice, job.wpm)
                with self._lock:
                    cached = self._cache.get(key)
                if cached is not None:
                    if job.on_piece is not None:
                        job.on_piece(cached, True)
                    job.future.set_result(cached)
                    continue
                try:
                    with _ENGINE_LOCK:
                        samples = self._render(engine, job, path)
                except Exception as exc:
                    job.future.set_exception(exc)
                    continue
                with self._lock:
                    self._cache[key] = samples
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
                job.future.set_result(samples)

    def _init_engine(self) -> Any:
        try:
            import pyttsx3
        except ImportError as exc:
            raise SpeechUnavailable(f"pyttsx3 is not installed ({exc})") from None
        try:
            engine = pyttsx3.init()
        except Exception as exc:
            raise SpeechUnavailable(
                f"no text-to-speech engine ({exc}). On Debian/Ubuntu: sudo apt-get install "
                "espeak-ng"
            ) from None
        driver = type(engine.proxy._driver).__module__
        self.engine_name = driver.rsplit(".", 1)[-1]
        # The espeak driver prints "Audio saved to ..." for every file; silence it.
        import sys

        module = sys.modules.get(driver)
        if module is not None:
            module.print = lambda *a, **k: None  # type: ignore[attr-defined]
        self.voices = [(v.id, v.name) for v in engine.getProperty("voices")]
        return engine

    def _render(self, engine: Any, job: _Job, path: Path) -> np.ndarray:
        """Render sentence by sentence: pyttsx3's espeak driver silently writes nothing for
        long texts (pyttsx3 issues #149, #259), and short pieces never hit that. Each
        sentence (with the gap after it) goes to `job.on_piece` as soon as it is ready."""
        _set_property(engine, "rate", job.wpm)
        if job.voice:
            _set_property(engine, "voice", job.voice)
        pieces = []
        gap = np.zeros(int(SENTENCE_GAP_S * self.rate), dtype=np.float32)
        sentences = split_sentences(job.text)
        for i, sentence in enumerate(sentences):
            samples = self._render_piece(engine, sentence, path)
            if samples is None:  # the driver's known flakiness: one more try
                samples = self._render_piece(engine, sentence, path)
            if samples is None:
                raise SpeechUnavailable(f"the TTS engine wrote no audio for {sentence!r}")
            last = i == len(sentences) - 1
            piece = samples if last else np.concatenate([samples, gap])
            if job.on_piece is not None:
                job.on_piece(piece, last)
            pieces.append(piece)
        if not pieces and job.on_piece is not None:
            job.on_piece(np.zeros(0, dtype=np.float32), True)
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)

    def _render_piece(self, engine: Any, text: str, path: Path) -> np.ndarray | None:
        import soundfile as sf

        # A fresh file name each time, and wait for the file to be complete: the espeak
        # driver's runAndWait may return before the synthesis ends and writes the file,
        # and would then write it under whatever name was set last.
        self._count += 1
        piece = path.with_name(f"{path.stem}-{self._count}.wav")
        engine.save_to_file(text, str(piece))
        engine.runAndWait()
        if not _wait_for_wav(piece, timeout_s=5.0):
            return None
        data, src_rate = sf.read(str(piece), dtype="float32", always_2d=True)
        piece.unlink(missing_ok=True)
        mono = data.mean(axis=1)
        # espeak pads lines with silence; trim it so the first and last samples are speech.
        voiced = np.flatnonzero(np.abs(mono) > 1e-3)
        if not len(voiced):
            return None
        mono = mono[max(0, voiced[0] - 80) : voiced[-1] + 80]
        return _resample(mono, src_rate, self.rate)

    _count = 0


Piece = Callable[[np.ndarray, bool], None]  # (samples, last): one rendered sentence


@dataclass(frozen=True)
class _Job:
    text: str
    voice: str
    wpm: int
    future: Future
    on_piece: Piece | None = None  # streamed: each sentence as it is rendered


def _set_property(engine: Any, name: str, value: Any) -> None:
    """Set a TTS property so that it applies to the very next line.

    pyttsx3 queues property changes behind its event loop, and with the espeak driver a
    change often lands a line late or not at all. Where the driver can take the change
    directly (espeak: a call into libespeak-ng), it is given it directly as well.
    """
    engine.setProperty(name, value)
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    if driver is not None and type(driver).__module__.endswith(".espeak"):
        driver.setProperty(name, value)


def _wait_for_wav(path: Path, timeout_s: float) -> bool:
    """True once `path` is a whole WAV (its RIFF size matches the file's size)."""
    import struct
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with open(path, "rb") as fh:
                head = fh.read(8)
                size = path.stat().st_size
            riff_size = struct.unpack("<I", head[4:])[0] if len(head) == 8 else -1
            if head[:4] == b"RIFF" and riff_size + 8 == size:
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    return False


SENTENCE_GAP_S = 0.15
MAX_PIECE_CHARS = 180


def split_sentences(text: str) -> list[str]:
    """Sentences (long ones cut at commas or spaces) short enough to render reliably."""
    import re

    out = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        while len(sentence) > MAX_PIECE_CHARS:
            cut = sentence.rfind(",", 0, MAX_PIECE_CHARS)
            cut = cut if cut > 40 else sentence.rfind(" ", 0, MAX_PIECE_CHARS)
            cut = cut if cut > 0 else MAX_PIECE_CHARS
            out.append(sentence[: cut + 1].strip())
            sentence = sentence[cut + 1 :].strip()
        if sentence.strip():
            out.append(sentence.strip())
    return out
