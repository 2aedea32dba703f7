"""Real SIP on 127.0.0.1: a scripted agent (tests/sip/far_agent.py, a baresip user agent in
its own process) that the console under test dials, and English voice lines made with
espeak-ng at test time."""

from __future__ import annotations

import contextlib
import json
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.parts import require

FAR_AGENT = Path(__file__).with_name("far_agent.py")
GREETING = "Hello, this is Sam. How can I help?"
GOODBYE = "Thanks so much for calling today and have a wonderful afternoon, goodbye."
FAREWELL = "Thank you for calling, goodbye."
REPLY = "Sure, let me check that for you."
LOUD = 0.02  # a sample this loud in a recording is speech (the tests' own measure)


def _require_sip() -> None:
    try:
        import baresip.runtime  # noqa: F401
    except Exception as exc:
        require(f"SIP STACK MISSING: pip install --pre baresip-python ({exc})")


def espeak(text: str, path: Path) -> Path:
    """English speech as a WAV (22,050 Hz mono), made by espeak-ng now."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        require("TTS MISSING: apt-get install espeak-ng")
    subprocess.run([binary, "-s", "175", "-w", str(path), text], check=True)
    return path


@pytest.fixture(scope="session")
def voice_lines(tmp_path_factory) -> dict[str, Path]:
    """The agent's lines as WAVs, spoken by espeak-ng now."""
    _require_sip()
    folder = tmp_path_factory.mktemp("agent-lines")
    lines = {"greeting": GREETING, "goodbye": GOODBYE, "farewell": FAREWELL, "reply": REPLY}
    return {name: espeak(text, folder / f"{name}.wav") for name, text in lines.items()}


@pytest.fixture
def sip_required() -> None:
    """The SIP stack itself (baresip-python): missing, the tests say so loudly."""
    _require_sip()


def loud_runs(channel, rate: int, gap_s: float = 0.5) -> list[tuple[float, float]]:
    """Stretches of a recording louder than LOUD, bridging gaps under `gap_s` (the
    agent's utterance gap)."""
    import numpy as np

    loud = np.flatnonzero(np.abs(channel) > LOUD)
    if not len(loud):
        return []
    runs, start, prev = [], loud[0], loud[0]
    for i in loud[1:]:
        if i - prev > gap_s * rate:
            runs.append((start / rate, prev / rate))
            start = i
        prev = i
    runs.append((start / rate, prev / rate))
    return runs


@pytest.fixture(scope="session", autouse=True)
def _sip_stack_down():
    """The console's SIP stack is process-wide: close it when the tests end."""
    yield
    from console.sip import stack

    stack.shutdown()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class FarAgent:
    """A running scripted agent: its URI and what it reported."""

    process: subprocess.Popen
    port: int
    reports: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    seen: list[dict] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"sip:agent@127.0.0.1:{self.port}"

    def wait_for(self, event: str, timeout: float = 20.0) -> dict:
        for report in self.seen:
            if report["event"] == event:
                return report
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                report = self.reports.get(timeout=0.05)
            except queue.Empty:
                continue
            self.seen.append(report)
            if report["event"] == event:
                return report
        raise AssertionError(f"the far agent never reported {event!r}: {self.seen}")

    def all(self) -> list[dict]:
        while True:
            try:
                self.seen.append(self.reports.get_nowait())
            except queue.Empty:
                return self.seen


@pytest.fixture
def far_agent(voice_lines):
    """Start a scripted agent: far_agent(mode, lines=["greeting", "goodbye"], **options)."""
    started: list[FarAgent] = []

    def start(mode: str = "normal", lines=("greeting", "goodbye"), **options) -> FarAgent:
        port = free_udp_port()
        cmd = [sys.executable, str(FAR_AGENT), "--port", str(port), "--mode", mode]
        for name in lines:
            cmd += ["--line", str(voice_lines[name])]
        for key, value in options.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        process = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        agent = FarAgent(process, port)
        started.append(agent)

        def read() -> None:
            for raw in process.stdout:  # type: ignore[union-attr]
                with contextlib.suppress(ValueError):  # not a report: ignore
                    agent.reports.put(json.loads(raw))

        threading.Thread(target=read, daemon=True).start()
        agent.wait_for("ready", timeout=20)
        return agent

    yield start
    for agent in started:
        agent.process.terminate()
        try:
            agent.process.wait(10)
        except subprocess.TimeoutExpired:
            agent.process.kill()
            agent.process.wait(5)


from tests.ui.conftest import store, window  # noqa: E402, F401 - the window's fixtures
