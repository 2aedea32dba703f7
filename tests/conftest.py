"""Shared fixtures: configs and a call harness that drives the real engine by hand."""

from __future__ import annotations

import os

if not os.environ.get("DISPLAY"):  # Qt offscreen unless a display (Xvfb) is there
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from console.agent.offline import OfflineAgent
from console.core import events as ev
from console.core.clock import VirtualClock
from console.core.config import CallConfig, ConfigStore, parse_config
from console.core.engine import CallEngine, Utterance
from tests.parts import korean_model_path, require

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"

SEED_PROMPT = """You are Sam from Acme Solar.
1. Ask "Do you have a minute?"
2. Ask "Do you own your home?"
3. Ask 'Are you ready to move forward?'
   If the contact responds no, call end_call and say 'Thanks for your time.'
   If the contact responds yes, say "Great, next steps are on their way." and go to step 4.
4. Ask "Anything else?"
"""


def make_config(**changes) -> CallConfig:
    """The seed config, with dotted-path changes: make_config(**{"end_call.name": "x"})."""
    data = {
        "end_call": {"name": "end_call"},
        "agent": {"name": "Sam", "main_prompt": SEED_PROMPT},
    }
    store = ConfigStore(parse_config(data))
    if changes:
        result = store.edit(changes)
        assert result.accepted, result.problems
    return store.current


@dataclass
class ManualVoice:
    """The agent's audio path, finished by the test when it chooses."""

    played: list[Utterance] = field(default_factory=list)
    stopped: list[int] = field(default_factory=list)
    dropped: bool = False

    def play(self, utterance: Utterance) -> None:
        self.played.append(utterance)

    def stop(self, utterance_id: int) -> None:
        self.stopped.append(utterance_id)

    def line_dropped(self) -> None:
        self.dropped = True


class Call:
    """A real CallEngine with the offline agent, a virtual clock and a manual voice."""

    def __init__(self, config: CallConfig | None = None):
        self.clock = VirtualClock()
        self.voice = ManualVoice()
        self.store = ConfigStore(config or make_config())
        self.engine = CallEngine(self.store, OfflineAgent(), self.clock, self.voice)

    # time and audio
    def at(self, t: float) -> Call:
        self.clock.advance_to(t)
        self.engine.tick()
        return self

    def finish_speech(self, at: float) -> Utterance:
        """The utterance now playing ends at `at` (all its samples played)."""
        self.at(at)
        utt = self.voice.played[-1]
        self.engine.agent_audio_finished(utt.id, at)
        self.engine.tick()
        return utt

    def start(self) -> Call:
        self.engine.place_call()
        return self

    def caller(self, text: str, start: float, end: float) -> Call:
        self.at(end)
        self.engine.caller_utterance(text, start, end)
        return self

    # reading the timeline
    def of(self, cls: type[ev.Event]) -> list:
        return [e for e in self.engine.events if isinstance(e, cls)]

    def one(self, cls: type[ev.Event]):
        found = self.of(cls)
        assert len(found) == 1, f"expected one {cls.kind}, got {found}"
        return found[0]


class EventWaiter:
    """A listener for calls that run on their own threads: wait for an event to happen."""

    def __init__(self) -> None:
        import queue

        self.q: queue.SimpleQueue[ev.Event] = queue.SimpleQueue()
        self.all: list[ev.Event] = []

    def __call__(self, e: ev.Event) -> None:
        self.q.put(e)

    def _drain(self) -> None:
        while not self.q.empty():
            self.all.append(self.q.get())

    def wait(self, cls, timeout: float = 20.0, where=lambda e: True):
        import queue
        import time

        deadline = time.monotonic() + timeout
        for e in self.all:
            if isinstance(e, cls) and where(e):
                return e
        while time.monotonic() < deadline:
            try:
                e = self.q.get(timeout=0.05)
            except queue.Empty:
                continue
            self.all.append(e)
            if isinstance(e, cls) and where(e):
                return e
        raise AssertionError(f"no {cls.kind} within {timeout} s: {[x.kind for x in self.all]}")

    def of(self, cls) -> list:
        self._drain()
        return [e for e in self.all if isinstance(e, cls)]


@pytest.fixture
def call() -> Call:
    return Call()


@pytest.fixture
def assets() -> Path:
    return ASSETS


@pytest.fixture
def llm():
    """A chat-completions server on 127.0.0.1 that answers what the test queues
    (tests/agent/fake_llm.py): for the faults a real model server cannot be made to show."""
    from tests.agent.fake_llm import FakeLLM

    server = FakeLLM()
    yield server
    server.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from tests.parts import MEASURED, MISSING

    for name, text in MEASURED:
        terminalreporter.write_sep("=", f"measured: {name} (in test-artifacts/)")
        terminalreporter.write_line(text.rstrip())
    if MISSING:
        terminalreporter.write_sep("!", "REAL PARTS MISSING: SOME TESTS DID NOT RUN", red=True)
        for what in sorted(set(MISSING)):
            terminalreporter.write_line(f"  - {what}", red=True)


# -- real parts shared by the audio tests (started only when a test asks) ------------


@pytest.fixture(scope="session")
def virtual_audio(tmp_path_factory):
    """A PulseAudio server the test session owns, with virtual devices (see
    console/audio/virtual.py for the wiring)."""
    from console.audio.virtual import VirtualAudioServer, VirtualAudioUnavailable

    server = VirtualAudioServer(tmp_path_factory.mktemp("pulse-runtime"))
    try:
        audio = server.start()
    except VirtualAudioUnavailable as exc:
        require(f"AUDIO DEVICES MISSING: {exc}")
    except Exception as exc:  # PortAudio itself unusable
        require(f"AUDIO DEVICES MISSING: PortAudio/sounddevice unusable ({exc})")
    yield audio
    server.stop()


@pytest.fixture(scope="session")
def korean_model():
    from console.speech.models import load_model

    return load_model(korean_model_path())


@pytest.fixture
def speaker_monitor(virtual_audio, tmp_path):
    """What the speaker really played, recorded by another process (so a freeze of this
    one loses none of it) from the virtual sink's monitor, which runs at real time.
    Gives a function that returns it so far (float32, 16 kHz)."""
    import subprocess
    import time

    import numpy as np

    path = tmp_path / "speaker.f32"
    device = virtual_audio.speaker_monitor.removeprefix("pulse:")
    with open(path, "wb") as out:
        proc = subprocess.Popen(
            [
                "parecord",
                "--raw",
                f"--device={device}",
                "--rate=16000",
                "--channels=1",
                "--format=float32le",
                "--latency-msec=20",
            ],
            stdout=out,
        )
    deadline = time.monotonic() + 10
    while path.stat().st_size == 0:  # recording
        assert proc.poll() is None and time.monotonic() < deadline, "parecord did not start"
        time.sleep(0.01)
    yield lambda: np.fromfile(path, dtype="<f4")
    proc.terminate()
    proc.wait(5)


def on_virtual_devices(audio, sessions_dir: Path, **options):
    """LiveOptions for a call on the test session's virtual microphone and speaker."""
    from console.live.call import LiveOptions

    return LiveOptions(
        input_device=audio.mic, output_device=audio.speaker, sessions_dir=sessions_dir, **options
    )
