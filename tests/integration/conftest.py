"""Virtual audio devices for real-audio tests: a PulseAudio server the session owns.

    caller_in (sink)  --monitor-->  virtual_mic (source): what the console captures
    agent_out (sink)  --monitor-->  agent_out.monitor: what the console's speaker played

The console opens `pulse:virtual_mic` and `pulse:agent_out`; tests speak into
`pulse:caller_in` and listen on `pulse:agent_out.monitor`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass

import pytest

from tests.parts import korean_model_path, require


@dataclass(frozen=True)
class VirtualAudio:
    mic: str = "pulse:virtual_mic"
    speaker: str = "pulse:agent_out"
    caller_sink: str = "pulse:caller_in"
    speaker_monitor: str = "pulse:agent_out.monitor"


@pytest.fixture(scope="session")
def virtual_audio(tmp_path_factory):
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        require("AUDIO DEVICES MISSING: apt-get install pulseaudio libasound2-plugins")
    try:
        from console.audio.devices import list_devices, rescan

        list_devices()
    except Exception as exc:
        require(f"AUDIO DEVICES MISSING: PortAudio/sounddevice unusable ({exc})")
    runtime = tmp_path_factory.mktemp("pulse-runtime")
    runtime.chmod(0o700)
    saved = {k: os.environ.get(k) for k in ("XDG_RUNTIME_DIR", "PULSE_SINK", "PULSE_SOURCE")}
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    os.environ.pop("PULSE_SINK", None)
    os.environ.pop("PULSE_SOURCE", None)
    log = open(runtime / "pulseaudio.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
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
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 15
    while subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            require(
                "AUDIO DEVICES MISSING: pulseaudio did not start: "
                + (runtime / "pulseaudio.log").read_text()[-500:]
            )
        time.sleep(0.1)
    rescan()  # PortAudio lists the ALSA 'pulse' device only while a server runs
    if "pulse" not in [d.name for d in list_devices()]:
        proc.kill()
        require("AUDIO DEVICES MISSING: ALSA 'pulse' device (apt-get install libasound2-plugins)")
    yield VirtualAudio()
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def korean_model():
    import vosk

    vosk.SetLogLevel(-1)
    return vosk.Model(str(korean_model_path()))
