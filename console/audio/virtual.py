"""Virtual audio devices without a sound card: a private PulseAudio server.

    caller_in (sink)  --monitor-->  virtual_mic (source): what the console captures
    agent_out (sink)  --monitor-->  agent_out.monitor: what the console's speaker played

The console opens `pulse:virtual_mic` and `pulse:agent_out`; a test or a benchmark
speaks into `pulse:caller_in` and listens on `pulse:agent_out.monitor`. Used by the
integration tests and the benchmarks; needs `pulseaudio` and the ALSA pulse plugin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


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
        return VirtualAudio()

    def stop(self) -> None:
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
