"""Echo cancellation and noise suppression on the capture path (WebRTC's audio processing).

On a laptop's speakers or a meeting-room speakerphone the microphone hears the agent:
without cancellation its words come back as caller speech, barge in on it, and can end
the call. The console knows exactly what it played and when (the player's output frames,
placed on the session clock), so it hands WebRTC's echo canceller that signal as the
far-end reference, lined up sample for sample with the microphone, instead of leaving
the canceller to guess a delay that the sound server hides.

The engine is `livekit.rtc.AudioProcessingModule` (the `livekit` wheel bundles WebRTC's
audio processing module: echo canceller AEC3, noise suppression, high-pass filter). It
works on 10 ms frames of 16-bit audio: `process_reverse_stream` takes a far-end frame,
`process_stream` a microphone frame, which it rewrites in place.

Three measured facts shape this module (see bench/echo.py):
- AEC3 needs the reference to come *before* the echo: a reference handed over at the
  same 10 ms frame as its echo (zero delay) is not cancelled at all, one handed over
  1-400 ms ahead is (about 40 dB). So the reference is fed one frame ahead of the
  microphone frame it belongs to (LEAD_FRAMES); the player hands audio to the device
  well before it is heard, so that part of the reference is already known.
- The module delays its output: 8 ms for the echo canceller and 6 ms for noise
  suppression at 16 kHz. That delay is measured when a processor is made (a chirp
  through a fresh module) and taken back out, so processed sample i is raw sample i:
  word times stay session times and the two recordings line up. What remains is real,
  added capture latency, and is counted (`latency_samples`).
- Everything runs on the audio pump's thread; nothing here runs in an audio callback.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

FRAME_S = 0.010  # the module's frame: 10 ms, the console's audio block
LEAD_FRAMES = 1  # the reference is fed this many frames ahead of its microphone frame
HOLD_FRAMES = 3  # wait at most this long for the reference before processing without it
OFFSET_TOLERANCE_S = 0.005  # the reference's placement moves only for a larger change
FAR_END_S = 4.0  # the reference kept, in seconds
NO_OUTPUT_S = 0.2  # no reference this long: the speaker is not running, do not wait


class ProcessingUnavailable(RuntimeError):
    """The audio processing module cannot be loaded or used here; the message says why."""


@dataclass(frozen=True)
class ProcessingSettings:
    """What runs on the microphone: the config's `audio` section, as the pump uses it."""

    echo_cancellation: bool = True
    noise_suppression: bool = True

    @property
    def active(self) -> bool:
        return self.echo_cancellation or self.noise_suppression

    def describe(self) -> str:
        """e.g. "echo cancellation on, noise suppression off" (session.json, reports)."""
        on = {True: "on", False: "off"}
        return (
            f"echo cancellation {on[self.echo_cancellation]}, "
            f"noise suppression {on[self.noise_suppression]}"
        )

    @classmethod
    def of(cls, section: Any) -> ProcessingSettings:
        """From the config's `audio` section (anything with the two attributes)."""
        return cls(bool(section.echo_cancellation), bool(section.noise_suppression))


def engine_label() -> str:
    """Which engine does the work, for session.json: "WebRTC APM (livekit 1.2.1)"."""
    try:
        from importlib.metadata import version

        return f"WebRTC APM (livekit {version('livekit')})"
    except Exception:
        return "WebRTC APM (livekit)"


class FarEnd:
    """What the speaker played, indexed by the session sample at which it was heard.

    The player's output blocks arrive ahead of time with their output-stream frame and
    the session sample the clock places them at. The clock's estimate of that placement
    moves by a sample or two from block to block; a reference that jumped with it would
    look like a changing echo path to the canceller. So the placement (session index
    minus output frame) is kept until it moves by more than OFFSET_TOLERANCE_S: slow
    drift between two sound cards is still followed, block-to-block jitter is not.
    """

    def __init__(self, rate: int, seconds: float = FAR_END_S) -> None:
        self.rate = rate
        self._size = int(seconds * rate)
        self._buf = np.zeros(self._size, np.float32)
        self._offset: int | None = None
        self._tolerance = max(1, round(OFFSET_TOLERANCE_S * rate))
        self.start = 0  # the oldest index still kept
        self.end = 0  # one past the newest index known (0: nothing yet)
        self.reanchors = 0  # times the placement moved (clock settling, drift)
        self._lock = threading.Lock()  # written by the pump, read by tests and the bench

    def add(self, frame: int, index: int, samples: np.ndarray) -> None:
        """Output frame `frame` is heard at session sample `index`; `samples` follow it."""
        offset = index - frame
        if self._offset is None or abs(offset - self._offset) > self._tolerance:
            if self._offset is not None:
                self.reanchors += 1
            self._offset = offset
        first = frame + self._offset
        n = len(samples)
        if n == 0 or first + n <= 0:
            return
        if first < 0:  # played before session time 0
            samples, first, n = samples[-first:], 0, n + first
        with self._lock:
            if first + n > self.end:  # clear what lies between the old end and this block
                lo = max(self.end, first + n - self._size)
                self._clear(lo, first)
            pos = np.arange(first, first + n) % self._size
            self._buf[pos] = samples
            self.end = max(self.end, first + n)
            self.start = max(self.start, self.end - self._size)

    def _clear(self, lo: int, hi: int) -> None:
        if hi > lo:
            self._buf[np.arange(lo, hi) % self._size] = 0.0

    def get(self, first: int, n: int) -> np.ndarray:
        """Reference samples [first, first + n): zeros where nothing was played or known."""
        out = np.zeros(n, np.float32)
        with self._lock:
            lo, hi = max(first, self.start), min(first + n, self.end)
            if lo < hi:
                out[lo - first : hi - first] = self._buf[np.arange(lo, hi) % self._size]
        return out


class _Module:
    """One WebRTC audio processing module and its two 10 ms frame buffers."""

    def __init__(self, rate: int, settings: ProcessingSettings) -> None:
        try:
            from livekit import rtc
        except Exception as exc:  # not installed, or its native library will not load
            raise ProcessingUnavailable(
                f"the WebRTC audio processing module is not available ({exc}); pip install livekit"
            ) from None
        if rate % 100 or not 8000 <= rate <= 48000:
            raise ProcessingUnavailable(
                f"echo cancellation needs a rate of 8,000 to 48,000 Hz in 10 ms frames, "
                f"not {rate:,} Hz"
            )
        self.rate = rate
        self.frame = int(rate * FRAME_S)
        self.settings = settings
        self._rtc = rtc
        try:
            self._apm = rtc.AudioProcessingModule(
                echo_cancellation=settings.echo_cancellation,
                noise_suppression=settings.noise_suppression,
                high_pass_filter=True,
            )
        except Exception as exc:
            raise ProcessingUnavailable(
                f"the WebRTC audio processing module did not start ({exc})"
            ) from None
        self._near = bytearray(self.frame * 2)
        self._far = bytearray(self.frame * 2)
        self._near_view = np.frombuffer(self._near, dtype="<i2")
        self._far_view = np.frombuffer(self._far, dtype="<i2")

    def process(self, near: np.ndarray, far: np.ndarray | None) -> np.ndarray:
        """One frame: the far end (None: echo cancellation off), then the microphone."""
        rtc = self._rtc
        if far is not None:
            self._far_view[:] = _pcm(far)
            self._apm.process_reverse_stream(rtc.AudioFrame(self._far, self.rate, 1, self.frame))
            # The reference is already aligned; AEC3 finds the rest of the delay itself.
            self._apm.set_stream_delay_ms(0)
        self._near_view[:] = _pcm(near)
        self._apm.process_stream(rtc.AudioFrame(self._near, self.rate, 1, self.frame))
        return self._near_view.astype(np.float32) / 32767.0


def _pcm(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")


_DELAYS: dict[tuple[int, ProcessingSettings], int] = {}


def module_delay(rate: int, settings: ProcessingSettings) -> int:
    """The module's output delay in samples for these settings, measured once: a chirp
    through a fresh module, the lag of the correlation peak (224 samples at 16 kHz with
    both on: 8 ms echo canceller, 6 ms noise suppression)."""
    key = (rate, settings)
    if key not in _DELAYS:
        _DELAYS[key] = _probe(rate, settings)
    return _DELAYS[key]


def _probe(rate: int, settings: ProcessingSettings) -> int:
    module = _Module(rate, settings)
    frame = module.frame
    n = frame * 40
    t = np.arange(n) / rate
    top = min(3000.0, rate / 2.5)
    sweep = 200 * t + (top - 200) / (2 * t[-1]) * t * t
    chirp = (0.3 * np.sin(2 * np.pi * sweep)).astype(np.float32)
    silence = np.zeros(frame, np.float32) if settings.echo_cancellation else None
    try:
        out = np.concatenate(
            [module.process(chirp[i : i + frame], silence) for i in range(0, n, frame)]
        )
    except RuntimeError as exc:  # the module refused the frames (e.g. the rate)
        raise ProcessingUnavailable(f"the WebRTC audio processing module failed ({exc})") from None
    corr = np.fft.irfft(np.fft.rfft(out, 2 * n) * np.conj(np.fft.rfft(chirp, 2 * n)))
    return int(np.argmax(corr[: int(0.05 * rate)]))


class CaptureProcessor:
    """The microphone, processed, on the pump thread: raw in, processed out, in order.

    `push` takes raw capture blocks (session sample 0 onwards, as the recording gets
    them) and returns the processed samples that are ready; `poll` returns more after
    new reference audio arrived. The output stream is aligned with the input: its n-th
    sample is the processed raw n-th sample. Settings can change mid-call (`configure`):
    the module is replaced, and the samples the old one still held pass through raw.
    """

    def __init__(
        self,
        rate: int,
        far_end: FarEnd,
        settings: ProcessingSettings,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.rate = rate
        self.frame = int(rate * FRAME_S)
        self.far_end = far_end
        self.on_failure = on_failure
        self.failure = ""  # set once processing broke; the raw microphone is used from then
        self.settings = settings
        self._module: _Module | None = None
        self.delay = 0  # the module's output delay in samples (taken back out)
        self._discard = 0  # output samples still to drop after a module starts
        self._pending = np.zeros(0, np.float32)  # raw samples not yet processed
        self._recent = np.zeros(0, np.float32)  # the last raw samples processed (for switches)
        self.received = 0  # raw samples pushed
        self.consumed = 0  # raw samples processed (frames taken from _pending)
        self.emitted = 0  # processed samples returned
        self.cpu_s = 0.0  # thread CPU spent in the module
        self.late_reference_frames = 0  # frames processed before their reference arrived
        self.latency_samples: Counter[int] = Counter()  # raw received - processed emitted
        self._start(settings)

    # -- settings ------------------------------------------------------------------------
    def _start(self, settings: ProcessingSettings) -> None:
        """Put a module for `settings` in place (None when everything is off)."""
        self.settings = settings
        self._module = None
        self.delay = 0
        if settings.active and not self.failure:
            self.delay = module_delay(self.rate, settings)
            self._module = _Module(self.rate, settings)
        self._discard = self.delay

    def configure(self, settings: ProcessingSettings) -> np.ndarray:
        """New settings from now on. Returns the samples the old module still held, raw."""
        if settings == self.settings:
            return np.zeros(0, np.float32)
        tail = self._held_raw()
        try:
            self._start(settings)
        except ProcessingUnavailable as exc:
            self._fail(str(exc))
        return self._emit_raw(tail)

    def _held_raw(self) -> np.ndarray:
        """The raw samples whose processed output the module still holds (its delay):
        [emitted, consumed) of the stream."""
        held = self.consumed - self.emitted
        return self._recent[len(self._recent) - held :] if held > 0 else np.zeros(0, np.float32)

    # -- the stream ----------------------------------------------------------------------
    def push(self, samples: np.ndarray) -> np.ndarray:
        """Raw capture in; the processed samples now ready out."""
        self.received += len(samples)
        self._pending = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        return self._run()

    def poll(self) -> np.ndarray:
        """Processed samples made ready by reference audio that just arrived."""
        return self._run() if len(self._pending) >= self.frame else np.zeros(0, np.float32)

    def _run(self) -> np.ndarray:
        frame = self.frame
        outs: list[np.ndarray] = []
        while len(self._pending) >= frame:
            first = self.consumed
            needs_far = self._module is not None and self.settings.echo_cancellation
            if needs_far and not self._reference_ready(first):
                break
            near = self._pending[:frame]
            self._pending = self._pending[frame:]
            self.consumed += frame
            self._recent = np.concatenate([self._recent, near])[-4 * max(frame, self.delay) :]
            outs.append(self._process(first, near, needs_far))
        return np.concatenate(outs) if outs else np.zeros(0, np.float32)

    def _reference_ready(self, first: int) -> bool:
        """Process frame `first` now? Yes once its reference is in, or when waiting longer
        would only add latency (the hold is full, or the speaker is not running)."""
        need = first + (1 + LEAD_FRAMES) * self.frame
        if self.far_end.end >= need:
            return True
        if self.far_end.end < first - NO_OUTPUT_S * self.rate:
            return True  # nothing played for a while: there is nothing to wait for
        if len(self._pending) > HOLD_FRAMES * self.frame:
            self.late_reference_frames += 1
            return True
        return False

    def _process(self, first: int, near: np.ndarray, needs_far: bool) -> np.ndarray:
        if self._module is None:
            return self._emit(near)
        far = self.far_end.get(first + LEAD_FRAMES * self.frame, self.frame) if needs_far else None
        t0 = time.thread_time()
        try:
            out = self._module.process(near, far)
        except Exception as exc:  # the native module failed: go on with the raw microphone
            self._fail(f"echo cancellation stopped working ({exc}); the raw microphone is used")
            return self._emit_raw(self._held_raw())
        finally:
            self.cpu_s += time.thread_time() - t0
        return self._emit(out)

    def _emit(self, out: np.ndarray) -> np.ndarray:
        if self._discard:
            drop = min(self._discard, len(out))
            self._discard -= drop
            out = out[drop:]
        return self._emit_raw(out)

    def _emit_raw(self, out: np.ndarray) -> np.ndarray:
        if len(out):
            self.emitted += len(out)
            self.latency_samples[self.received - self.emitted] += 1
        return out

    def _fail(self, message: str) -> None:
        if self.failure:
            return
        self.failure = message
        self._module = None
        self._discard = 0
        if self.on_failure is not None:
            self.on_failure(message)

    # -- figures -------------------------------------------------------------------------
    def added_latency_s(self, q: float = 50.0) -> float:
        """Capture latency the processing added (a percentile over emitted blocks): how
        far the processed stream trailed the raw one when each block came out."""
        if not self.latency_samples:
            return 0.0
        values = sorted(self.latency_samples.elements())
        k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
        return values[k] / self.rate

    def summary(self) -> dict[str, Any]:
        """For session.json: what ran and what it cost."""
        audio_s = self.consumed / self.rate
        return {
            "engine": engine_label(),
            "echo_cancellation": self.settings.echo_cancellation,
            "noise_suppression": self.settings.noise_suppression,
            "module_delay_ms": round(self.delay / self.rate * 1000, 1),
            "added_latency_ms_p50": round(self.added_latency_s(50) * 1000, 1),
            "added_latency_ms_p95": round(self.added_latency_s(95) * 1000, 1),
            "cpu_per_audio_s": round(self.cpu_s / audio_s, 4) if audio_s else 0.0,
            "late_reference_frames": self.late_reference_frames,
            "reference_reanchors": self.far_end.reanchors,
            "failure": self.failure,
        }
