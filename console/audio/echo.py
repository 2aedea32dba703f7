"""Echo cancellation and noise suppression on the capture path (WebRTC's audio processing).

On a laptop's speakers or a meeting-room speakerphone the microphone hears the agent:
without cancellation its words come back as caller speech, barge in on it, and can end
the call. The console knows exactly what it played: every block the player hands the
speaker is fed to WebRTC's echo canceller as the far-end reference, in output-frame
order, as it is handed over; every microphone block is processed as it is captured.

The engine is `livekit.rtc.AudioProcessingModule` (the `livekit` wheel bundles WebRTC's
audio processing module: echo canceller AEC3, noise suppression, high-pass filter). It
works on 10 ms frames of 16-bit audio: `process_reverse_stream` takes a far-end frame,
`process_stream` a microphone frame, which it rewrites in place.

Measured facts that shape this module (bench/echo.py, tests/echo/):
- AEC3 needs the reference *before* its echo, 1 to about 400 ms before (about 40 dB of
  cancellation there; none at 0 ms, little past 500 ms), and finds the delay itself.
  Feeding each block when the player hands it to the device gives exactly that: it is
  heard an output latency later, and its echo is processed an input latency after that
  (about 100 ms on PulseAudio).
- Placing the reference on the session clock instead (the sample at which it is heard)
  was built and measured first, and dropped: PortAudio's capture timestamps on
  PulseAudio are stale for the first second of about half the streams and then catch up
  by 0.2-0.7 s, so the clock places the greeting up to 0.7 s late; a reference that late
  is after its echo, the canceller cannot use it, and the greeting's echo came back as
  caller speech.
- The module delays its output: 8 ms for the echo canceller and 6 ms for noise
  suppression at 16 kHz. That delay is measured when a processor is made (a chirp
  through a fresh module) and taken back out, so processed sample i is raw sample i:
  word times stay session times and the two recordings line up. It is real, added
  capture latency (`latency_samples`).
- A sound-server underrun or overrun moves the echo path by the lost time; AEC3 finds it
  again within about a second, and its echo can be heard meanwhile (the echo watch says
  so when it is loud enough to be taken for speech).

Everything runs on the audio pump's thread; nothing here runs in an audio callback.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

FRAME_S = 0.010  # the module's frame: 10 ms, the console's audio block


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


def _native_logs_off() -> None:
    """Start LiveKit's native runtime with its log forwarding off.

    With forwarding on (the Python SDK's choice), a native thread hands log records to
    Python about once a second. A record handed over while the interpreter is shutting
    down (the runtime logs "disposing ffi server" from the SDK's own exit handler) meets a
    thread that Python ends mid-call, and the process aborts ("panic in a function that
    cannot unwind"): seen once at the end of a test run. The audio processing module needs
    no events at all, so the runtime is started with forwarding off; its logs then follow
    RUST_LOG on stderr. Only done before anything else started the runtime, and only
    where the SDK is laid out as expected (livekit 1.x); otherwise left as it is."""
    try:
        from livekit.rtc import _ffi_client as ffi

        if ffi.FfiClient._instance is not None:
            return
        load = ffi.get_ffi_lib
    except (ImportError, AttributeError):
        return

    class _Quiet:
        def __init__(self, initialize: Any) -> None:
            self._initialize = initialize
            self.argtypes: Any = None

        def __call__(self, callback: Any, capture_logs: bool, *rest: Any) -> Any:
            self._initialize.argtypes = self.argtypes
            return self._initialize(callback, False, *rest)

    def quiet_lib() -> Any:
        lib = load()
        lib.livekit_ffi_initialize = _Quiet(lib.livekit_ffi_initialize)
        return lib

    ffi.get_ffi_lib = quiet_lib
    try:
        ffi.FfiClient.instance  # noqa: B018 - starts the runtime now, with forwarding off
    finally:
        ffi.get_ffi_lib = load


class _Module:
    """One WebRTC audio processing module and its two 10 ms frame buffers."""

    def __init__(self, rate: int, settings: ProcessingSettings) -> None:
        try:
            from livekit import rtc

            _native_logs_off()
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

    def render(self, far: np.ndarray) -> None:
        """One frame of what the speaker plays."""
        self._far_view[:] = _pcm(far)
        self._apm.process_reverse_stream(self._rtc.AudioFrame(self._far, self.rate, 1, self.frame))

    def process(self, near: np.ndarray, far: np.ndarray | None) -> np.ndarray:
        """One frame: the far end (None: echo cancellation off, or fed by `render`), then
        the microphone."""
        rtc = self._rtc
        if far is not None:
            self.render(far)
        if self.settings.echo_cancellation:
            # A hint only: AEC3 finds the delay itself.
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

    `render` takes what the player handed the speaker, as it is handed over; `push` takes
    raw capture blocks (session sample 0 onwards, as the recording gets them) and returns
    the processed samples that are ready. The output stream is aligned with the input:
    its n-th sample is the processed raw n-th sample. Settings can change mid-call
    (`configure`): the module is replaced, and the samples the old one still held pass
    through raw.
    """

    def __init__(
        self,
        rate: int,
        settings: ProcessingSettings,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.rate = rate
        self.frame = int(rate * FRAME_S)
        self.on_failure = on_failure
        self.failure = ""  # set once processing broke; the raw microphone is used from then
        self.settings = settings
        self._module: _Module | None = None
        self.delay = 0  # the module's output delay in samples (taken back out)
        self._discard = 0  # output samples still to drop after a module starts
        self._pending = np.zeros(0, np.float32)  # raw samples not yet processed
        self._far = np.zeros(0, np.float32)  # speaker samples not yet fed (part of a frame)
        self._recent = np.zeros(0, np.float32)  # the last raw samples processed (for switches)
        self.received = 0  # raw samples pushed
        self.consumed = 0  # raw samples processed (frames taken from _pending)
        self.emitted = 0  # processed samples returned
        self.rendered = 0  # speaker samples fed to the echo canceller
        self.cpu_s = 0.0  # thread CPU spent in the module
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

    # -- the streams ---------------------------------------------------------------------
    def render(self, samples: np.ndarray) -> None:
        """What the player handed the speaker, fed to the echo canceller as it comes."""
        if self._module is None or not self.settings.echo_cancellation:
            return
        self._far = np.concatenate([self._far, samples.astype(np.float32, copy=False)])
        frame = self.frame
        while len(self._far) >= frame and self._module is not None:
            t0 = time.thread_time()
            try:
                self._module.render(self._far[:frame])
                self.rendered += frame
            except Exception as exc:  # the native module failed
                self._fail(f"echo cancellation stopped working ({exc}); the raw microphone is used")
            finally:
                self.cpu_s += time.thread_time() - t0
            self._far = self._far[frame:]

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Raw capture in; the processed samples now ready out."""
        self.received += len(samples)
        self._pending = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        frame = self.frame
        outs: list[np.ndarray] = []
        while len(self._pending) >= frame:
            near = self._pending[:frame]
            self._pending = self._pending[frame:]
            self.consumed += frame
            self._recent = np.concatenate([self._recent, near])[-4 * max(frame, self.delay) :]
            outs.append(self._process(near))
        return np.concatenate(outs) if outs else np.zeros(0, np.float32)

    def _process(self, near: np.ndarray) -> np.ndarray:
        if self._module is None:
            return self._emit_raw(near)
        t0 = time.thread_time()
        try:
            out = self._module.process(near, None)
        except Exception as exc:  # the native module failed: go on with the raw microphone
            self._fail(f"echo cancellation stopped working ({exc}); the raw microphone is used")
            return self._emit_raw(self._held_raw())
        finally:
            self.cpu_s += time.thread_time() - t0
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
            "reference_s": round(self.rendered / self.rate, 2),
            "failure": self.failure,
        }
