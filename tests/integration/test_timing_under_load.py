"""Under CPU load the timeline and the recording still agree, and no agent audio is lost.

A correctness test, not a timed one: busy processes load the machine (as a tester's
screen recorder does) while a real call runs on the virtual devices; afterwards every
line the agent played is found in the recording's agent channel by cross-correlation with
the very samples that were handed to the player. Its place in the recording must be
where the timeline says it started (within 20 ms), and none of its sound may be missing.

Load alone may or may not stall the playback (the virtual sink ticks like a sound card,
so most runs see none): the test says how many stalls, underflows and overflows it saw.
A second test makes the stall happen: the whole process is stopped (SIGSTOP) for 300 ms
in the middle of the agent's opening line, as a machine that freezes does, so the audio
callbacks cannot run, the speaker runs dry and the stream's timing jumps; the same
agreement must hold, and the stall must be on the timeline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from console.audio.player import Player
from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.live.call import LiveCall
from tests.conftest import EventWaiter, on_virtual_devices

TOLERANCE_S = 0.020
SEARCH_S = 1.5  # how far from the timeline's claim the line is looked for
BUSY = "import time\nwhile True:\n    sum(i * i for i in range(10000))\n"

PROMPT = """1. Ask "Do you have a minute to talk about your energy bill today?"
2. Ask "Do you own the house you live in, or do you rent it from someone?"
3. Ask "Would you like us to send you a free estimate by email this week?"
   If the contact responds no, call end_call and say "No problem, thanks for your time, goodbye."
"""


@pytest.fixture
def cpu_load():
    """Three busy processes on a two-core machine: a load of about three."""
    procs = [
        subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.DEVNULL) for _ in range(3)
    ]
    yield
    for proc in procs:
        proc.kill()
        proc.wait()


@pytest.fixture
def handed_to_the_player(monkeypatch):
    """The exact samples of every utterance the player was given, by utterance id."""
    played: dict[int, np.ndarray] = {}
    original = Player.play

    def play(self, utterance_id: int, samples: np.ndarray, more: bool = False) -> None:
        piece = np.asarray(samples, np.float32).copy()  # a line may come in pieces
        played[utterance_id] = np.concatenate([played.get(utterance_id, piece[:0]), piece])
        original(self, utterance_id, samples, more)

    monkeypatch.setattr(Player, "play", play)
    return played


def locate(
    recording: np.ndarray, line: np.ndarray, near: int, rate: int, search_s: float = SEARCH_S
) -> int:
    """Where `line` starts in `recording`, searched within `search_s` of `near`."""
    lo = max(0, near - int(search_s * rate))
    hi = min(len(recording), near + len(line) + int(search_s * rate))
    window = recording[lo:hi]
    n = len(window) + len(line)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(window, size) * np.conj(np.fft.rfft(line, size)), size)
    best = int(np.argmax(corr[: len(window)]))
    return lo + best


def agent_lines_against_the_recording(call, events, played) -> list[str]:
    """Every line the agent played, found in the recording: the problems, in words."""
    data, rate = sf.read(str(call.session_dir / "recording.wav"), dtype="float32", always_2d=True)
    agent = data[:, 1]
    lines = [e for e in events.of(ev.AgentSpeech) + events.of(ev.Goodbye)]
    assert len(lines) == 4, [e.text for e in lines]  # opening, two questions, goodbye
    # The playback's stalls (its timing jumped: the recording carries them); a flagged
    # underflow too short to move the clock leaves the recording as it was.
    gaps = [g for g in events.of(ev.AudioGap) if g.stream == "output" and not g.cause]
    problems = []
    for e in lines:
        line = played[e.utterance_id]
        # Where the line's first 300 ms (or up to its first gap) are in the recording:
        # where the timeline says.
        first_gap = min((g.t for g in gaps if e.start < g.t < e.end), default=e.end)
        head = line[: int(min(0.3, first_gap - e.start) * rate)]
        error = 0.0
        if len(head) >= 0.05 * rate:  # long enough to be found by its shape
            error = locate(agent, head, round(e.start * rate), rate) / rate - e.start
        # Every sound of it is in the recording, between its start and end on the
        # timeline (a stall inside it is a silence of its own, on the timeline too).
        span = agent[max(0, round(e.start * rate) - 160) : round(e.end * rate) + 160]
        # Loud samples (the file is int16: the played ones are counted a little louder).
        missing = np.count_nonzero(np.abs(line) > 0.012) - np.count_nonzero(np.abs(span) > 0.01)
        stalled = sum(g.length_s for g in gaps if e.start <= g.t <= e.end)
        longer = (e.end - e.start) - len(line) / rate  # than its audio: explained by stalls
        if abs(error) > TOLERANCE_S or missing > 0.005 * rate or abs(longer - stalled) > 0.005:
            problems.append(
                f"{e.text[:30]!r}: recording {error * 1000:+.0f} ms from the timeline, "
                f"{missing / rate * 1000:.0f} ms of its sound missing, {longer:.2f} s longer "
                f"than its audio with {stalled:.2f} s of stalls on the timeline"
            )
    # And the clock itself holds: a goodbye never starts before the action that asked
    # for it.
    goodbye = events.of(ev.Goodbye)[0]
    assert goodbye.since_action_s >= 0, goodbye
    return problems


def run_call(tmp_path, virtual_audio, during_opening=None) -> tuple[LiveCall, EventWaiter]:
    """The three-question call; `during_opening(call, started)` runs once the opening
    line is heard (on this thread)."""
    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "name": "Sam",
                    "greeting": "Hi, this is Sam from Acme Solar, calling about your bill.",
                    "main_prompt": PROMPT,
                    "turn_taking": {"response_delay_ms": 0, "drop_guard_ms": 200},
                }
            }
        )
    )
    events = EventWaiter()
    call = LiveCall(
        store, on_virtual_devices(virtual_audio, tmp_path, recognise=False), listeners=[events]
    )
    call.start()
    try:
        if during_opening is not None:
            during_opening(call, events.wait(ev.SpeechStarted, timeout=60))
        for n, line in enumerate(("Yes.", "I own it.", "No.")):
            events.wait(ev.AgentSpeech, timeout=60, where=lambda e, n=n: e.turn == n)
            call.say(line)
        events.wait(ev.LineDropped, timeout=60)
    finally:
        call.close()
    return call, events


def what_went_wrong_with_the_audio(events) -> str:
    gaps = events.of(ev.AudioGap)
    count = lambda stream, cause: sum(  # noqa: E731
        1 for g in gaps if g.stream == stream and g.cause == cause
    )
    return (
        f"{count('output', '')} playback stalls, {count('output', 'underflow')} underflows, "
        f"{count('input', '')} capture jumps, {count('input', 'overflow')} overflows"
    )


def test_under_cpu_load_the_timeline_and_the_recording_agree(
    virtual_audio, tmp_path, cpu_load, handed_to_the_player, record_property, capsys
):
    call, events = run_call(tmp_path, virtual_audio)
    seen = what_went_wrong_with_the_audio(events)
    record_property("audio", seen)
    with capsys.disabled():  # whether this run stalled at all: in the log, not hidden
        print(f"\n  under load: {seen}")
    problems = agent_lines_against_the_recording(call, events, handed_to_the_player)
    assert not problems, (problems, seen)


def stop_the_process(seconds: float) -> subprocess.Popen:
    """Freeze this whole process (its audio callbacks too) for `seconds`, from outside."""
    pid = os.getpid()
    return subprocess.Popen(["sh", "-c", f"kill -STOP {pid}; sleep {seconds}; kill -CONT {pid}"])


def recording_against_the_speaker(recording, speaker, opening, rate) -> list[str]:
    """The recording's agent channel, window by window, where the speaker played it: both
    aligned once on the opening line's first 300 ms (before any stall), every later loud
    window must sit at the same place in both, within 20 ms. A stall the clock missed
    shows here: the recording would place the audio after it where it was not heard."""
    head = recording[round(opening.start * rate) :][: int(0.3 * rate)]
    offset = locate(speaker, head, round(opening.start * rate), rate, search_s=30)
    offset -= round(opening.start * rate)
    problems = []
    window = int(0.25 * rate)
    for a in range(round(opening.start * rate), len(recording) - window, window):
        piece = recording[a : a + window]
        if np.sqrt(np.mean(piece**2)) < 0.02:  # silence and fades: nothing to place
            continue
        error = locate(speaker, piece, a + offset, rate, search_s=0.5) - (a + offset)
        if abs(error) > TOLERANCE_S * rate:
            problems.append(f"{a / rate:.2f} s: heard {error / rate * 1000:+.0f} ms from there")
    return problems


def test_a_forced_stall_mid_line_is_on_the_timeline_and_the_recording_agrees(
    virtual_audio, tmp_path, handed_to_the_player, speaker_monitor
):
    frozen = []

    def freeze_mid_line(call, started) -> None:
        # Half a second into the opening line (by the call's own clock).
        while call.now() < started.t + 0.5:
            time.sleep(0.005)
        stopper = stop_the_process(0.3)
        stopper.wait(10)
        frozen.append(started.t + 0.5)

    call, events = run_call(tmp_path, virtual_audio, freeze_mid_line)
    seen = what_went_wrong_with_the_audio(events)
    opening = events.of(ev.AgentSpeech)[0]
    stalls = [
        g
        for g in events.of(ev.AudioGap)
        if g.stream == "output" and opening.start <= g.t <= opening.end
    ]
    assert frozen and stalls, f"the 300 ms freeze left no stall on the timeline ({seen})"
    problems = agent_lines_against_the_recording(call, events, handed_to_the_player)
    assert not problems, (problems, seen)
    data, rate = sf.read(str(call.session_dir / "recording.wav"), dtype="float32", always_2d=True)
    problems = recording_against_the_speaker(data[:, 1], speaker_monitor(), opening, rate)
    assert not problems, (problems, seen)
