"""Virtual audio devices without a sound card: a private PulseAudio server.

    caller_in (sink)  --monitor-->  virtual_mic (source): what the console captures
    agent_out (sink)  --monitor-->  agent_out.monitor: what the console's speaker played

The console opens `pulse:virtual_mic` and `pulse:agent_out`; a test or a benchmark
speaks into `pulse:caller_in` and listens on `pulse:agent_out.monitor`. Used by the
integration tests and the benchmarks; needs `pulseaudio` and the ALSA pulse plugin.

The speaker's sink is kept ticking like a sound card's: a null sink with no low-latency stream
on it sleeps for up to two seconds between renders, so a playback stream that reconnects
after an underrun (the ALSA plugin reconnects on every recovery) waited for that sleep to
end and went silent for about 2 s, and every stream's start stalled as long. A sound card
is clocked by its hardware and has no such sleep. Measured here with a 100 ms stall of
the interpreter: a 1.95 s pause without the clock, 40-75 ms (the stall itself) with it.

`EchoPath` adds a speakerphone's acoustics: what the console plays comes back into its
microphone, attenuated and late, over a little room noise,

    agent_out.monitor --loopback (40 ms, -6 dB)--> caller_in <-- noise (-50 dBFS)

so echo cancellation can be tested for real and measured (tests/integration/test_echo.py,
bench/echo.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


class VirtualAudioUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class VirtualAudio:
    mic: str = "pulse:virtual_mic"
    speaker: str = "pulse:agent_out"
    caller_sink: str = "pulse:caller_in"
    speaker_monitor: str = "pulse:agent_out.monitor"


class VirtualAudioServer:
    """Start with `start()`, end with `stop()`; sets XDG_RUNTIME_DIR for this process."""

    def __init__(self, runtime: Path | None = None) -> None:
        self.runtime = runtime or Path(tempfile.mkdtemp(prefix="endcall-pulse-"))
        self.proc: subprocess.Popen | None = None
        self._saved: dict[str, str | None] = {}
        self._log = None
        self._clocks: list[subprocess.Popen] = []

    def start(self, timeout: float = 15.0) -> VirtualAudio:
        if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
            raise VirtualAudioUnavailable(
                "apt-get install pulseaudio pulseaudio-utils libasound2-plugins"
            )
        from console.audio.devices import list_devices, rescan

        self.runtime.mkdir(parents=True, exist_ok=True)
        self.runtime.chmod(0o700)
        for key in ("XDG_RUNTIME_DIR", "PULSE_SINK", "PULSE_SOURCE"):
            self._saved[key] = os.environ.get(key)
        os.environ["XDG_RUNTIME_DIR"] = str(self.runtime)
        os.environ.pop("PULSE_SINK", None)
        os.environ.pop("PULSE_SOURCE", None)
        self._log = open(self.runtime / "pulseaudio.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                "pulseaudio",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "-n",
                "--load=module-native-protocol-unix",
                "--load=module-null-sink sink_name=agent_out",
                "--load=module-null-sink sink_name=caller_in",
                "--load=module-remap-source master=caller_in.monitor source_name=virtual_mic",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = (self.runtime / "pulseaudio.log").read_text()[-500:]
                raise VirtualAudioUnavailable(f"pulseaudio did not start: {log}")
            time.sleep(0.1)
        rescan()  # PortAudio lists the ALSA 'pulse' device only while a server runs
        if "pulse" not in [d.name for d in list_devices()]:
            self.stop()
            raise VirtualAudioUnavailable(
                "no ALSA 'pulse' device: apt-get install libasound2-plugins"
            )
        # The speaker's sink only: caller_in stands for the room, and a ticking caller_in
        # made PulseAudio's echo loopback into it jitter (measured with bench.echo: false
        # caller turns 0 -> 9.7 per 100 agent lines, ERLE 33.7 -> 30.4 dB).
        self._clocks = [_tick("agent_out")]
        while _ticking() < len(self._clocks):
            if time.monotonic() > deadline or any(c.poll() is not None for c in self._clocks):
                self.stop()
                raise VirtualAudioUnavailable("pacat could not play into the virtual sinks")
            time.sleep(0.05)
        return VirtualAudio()

    def stop(self) -> None:
        for clock in self._clocks:
            clock.kill()
            clock.wait()
        self._clocks = []
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass(frozen=True)
class EchoSpec:
    """The room between the console's speaker and its microphone."""

    gain_db: float = -6.0  # the agent's voice comes back this much quieter
    delay_ms: int = 40  # and this much later (PulseAudio's loopback aims at it)
    noise_dbfs: float = -50.0  # white room noise on the microphone (RMS); <= -120: none


class EchoPath:
    """Route what the console's speaker plays into its microphone, attenuated and late,
    with noise: a PulseAudio loopback from `agent_out.monitor` into `caller_in` (the
    sink whose monitor is the virtual microphone), its volume set in dB, and a noise
    stream into the same sink. Start with `start()`, end with `stop()`; the server's
    other wiring is left as it was, so tests that share the server are unaffected."""

    def __init__(self, audio: VirtualAudio | None = None, spec: EchoSpec | None = None) -> None:
        self.audio = audio or VirtualAudio()
        self.spec = spec or EchoSpec()
        self.module: str | None = None
        self._noise: Any = None

    def start(self) -> EchoPath:
        spec = self.spec
        out = _pactl(
            "load-module",
            "module-loopback",
            f"source={_pulse_name(self.audio.speaker_monitor)}",
            f"sink={_pulse_name(self.audio.caller_sink)}",
            f"latency_msec={spec.delay_ms}",
            "source_dont_move=true",
            "sink_dont_move=true",
        )
        self.module = out.strip()
        try:
            inputs = json.loads(_pactl("-f", "json", "list", "sink-inputs"))
            ours = [str(i["index"]) for i in inputs if str(i.get("owner_module")) == self.module]
            if not ours:
                raise VirtualAudioUnavailable("the echo loopback made no sink input")
            _pactl("set-sink-input-volume", ours[0], f"{spec.gain_db:+.1f}dB")
            if spec.noise_dbfs > -120:
                self._noise = _NoiseStream(self.audio.caller_sink, spec.noise_dbfs)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._noise is not None:
            self._noise.close()
            self._noise = None
        if self.module is not None:
            subprocess.run(["pactl", "unload-module", self.module], capture_output=True)
            self.module = None

    def __enter__(self) -> EchoPath:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _NoiseStream:
    """White noise at a set RMS level, played into a device until closed."""

    def __init__(self, device: str, dbfs: float, rate: int = 16000) -> None:
        from console.audio.devices import open_stream, resolve

        rms = 10 ** (dbfs / 20)
        self._noise = np.random.default_rng(7).normal(0.0, rms, rate * 2).astype(np.float32)
        self._pos = 0
        self._stream = open_stream(
            "output", resolve(device, "output"), samplerate=rate, callback=self._callback
        )
        self._stream.start()

    def _callback(self, outdata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        idx = (self._pos + np.arange(frames)) % len(self._noise)
        outdata[:, :] = self._noise[idx][:, None]
        self._pos = (self._pos + frames) % len(self._noise)

    def close(self) -> None:
        try:
            self._stream.abort()
            self._stream.close()
        except Exception:
            pass


CLOCK_MS = 10  # the latency the ticking stream asks of its sink: one console block


def _tick(sink: str) -> subprocess.Popen:
    """Play silence into `sink` at a 10 ms latency until killed, so the sink renders every
    10 ms as a sound card would (see the module's docstring)."""
    return subprocess.Popen(
        [
            "pacat",
            "--playback",
            f"--device={sink}",
            f"--latency-msec={CLOCK_MS}",
            "--raw",
            "--format=s16le",
            "--rate=16000",
            "--channels=1",
            "--client-name=endcall-sink-clock",
            "/dev/zero",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _ticking() -> int:
    """How many of the sink clocks' streams the server has connected."""
    try:
        inputs = json.loads(_pactl("-f", "json", "list", "sink-inputs"))
    except (VirtualAudioUnavailable, ValueError):
        return 0
    names = [i.get("properties", {}).get("application.name") for i in inputs]
    return names.count("endcall-sink-clock")


def _pulse_name(spec: str) -> str:
    return spec.split(":", 1)[1] if spec.startswith("pulse:") else spec


def _pactl(*args: str) -> str:
    done = subprocess.run(["pactl", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise VirtualAudioUnavailable(
            f"pactl {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}"
        )
    return done.stdout
