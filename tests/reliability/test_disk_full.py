"""A full disk and a read-only sessions folder: the call never depends on the disk.

The disk is real: a small tmpfs mounted for the test (`mount -t tmpfs -o size=...`, which
needs root; without it these tests say so loudly and skip), filled to the last few
kilobytes, or remounted read-only. What is checked after each call: it ended as it
should, nothing raised, the failure was said once in words, everything written before
the disk filled is readable (whole lines, a WAV whose header matches its data), and the
session is marked complete (from space the writer set aside when the call started).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.core.eventlog import read_events
from tests.conftest import ASSETS, ROOT
from tests.parts import require


class Tmpfs:
    """A tmpfs of `kb` kilobytes at `path`, unmounted at the end."""

    def __init__(self, path: Path, kb: int) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={kb}k", "tmpfs", str(path)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            require(f"TMPFS MISSING (mount needs root): {proc.stderr.strip()}")

    def fill(self, leave_kb: int) -> None:
        """Take all the space but `leave_kb` kilobytes."""
        st = os.statvfs(self.path)
        free = st.f_bavail * st.f_frsize
        with open(self.path / "filler", "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * max(0, free - leave_kb * 1024))

    def read_only(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True)

    def close(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True)


@pytest.fixture
def tmpfs(tmp_path):
    mounted: list[Tmpfs] = []

    def make(kb: int) -> Tmpfs:
        fs = Tmpfs(tmp_path / f"disk{len(mounted)}", kb)
        mounted.append(fs)
        return fs

    yield make
    for fs in mounted:
        fs.close()


PROMPT = (
    '1. Ask "What can I help you with?"\n'
    '- If the contact asks who is calling, respond "This is Sam from Acme, calling about '
    'your energy bill and the savings we can offer you this year."\n'
)


def long_scenario(turns: int):
    from console.scenario.model import CallerStep, Scenario

    steps = [CallerStep(say="Sorry, who is calling?") for _ in range(turns)]
    return Scenario(name="disk full", caller=steps, hang_up_after=1.0), parse_config(
        {"agent": {"main_prompt": PROMPT}}
    )


def assert_readable_and_complete(folder: Path) -> dict:
    events, problems = read_events(folder / "events.jsonl")
    assert problems == [], problems  # whole lines only: nothing half-written
    assert events and isinstance(events[0], ev.CallStarted)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete", meta
    assert not (folder / "session.json.tmp").exists()
    return meta


def test_a_scripted_call_on_a_full_disk_finishes_and_keeps_what_was_written(tmpfs, capfd):
    from console.scenario.runner import run_scenario

    disk = tmpfs(256)
    disk.fill(leave_kb=48)
    scenario, config = long_scenario(200)  # far more timeline than 48 KB holds
    result = run_scenario(scenario, config, sessions_dir=disk.path / "sessions")
    assert result.passed and isinstance(result.events[-1], (ev.LineDropped, ev.StateChanged))
    assert any(isinstance(e, ev.LineDropped) for e in result.events)
    folder = result.session_dir
    assert folder is not None
    meta = assert_readable_and_complete(folder)
    on_disk, _ = read_events(folder / "events.jsonl")
    assert 0 < len(on_disk) < len(result.events)  # the disk really filled mid-call
    assert [e.seq for e in on_disk] == [e.seq for e in result.events[: len(on_disk)]]
    assert "the sessions folder is full" in meta["write_failure"]
    assert meta["events_not_saved"] == len(result.events) - len(on_disk)
    # Said once, on the timeline (an error a person can act on), never as a traceback.
    said = [
        e.message
        for e in result.events
        if isinstance(e, ev.Notice) and "the sessions folder is full" in e.message
    ]
    assert len(said) == 1 and said[0].startswith("the sessions folder is full")
    assert "Traceback" not in capfd.readouterr().err


def test_the_session_writer_says_once_when_the_disk_fills(tmpfs):
    from console.session.writer import SessionWriter, new_session_dir

    disk = tmpfs(256)
    store = ConfigStore(parse_config({"agent": {"main_prompt": PROMPT}}))
    folder = new_session_dir(disk.path, "call")
    said: list[str] = []
    writer = SessionWriter(folder, store, {"name": "x"}, on_error=said.append)
    disk.fill(leave_kb=8)
    text = "a long line of agent speech " * 20
    for i in range(400):
        writer(
            ev.AgentSpeech(
                t=float(i), config_version=1, seq=i + 1, text=text, start=float(i), end=i + 0.9
            )
        )
    assert len(said) == 1, said
    assert said[0].startswith("the sessions folder is full")
    assert said[0].endswith("s; the call goes on") and "saved up to" in said[0]
    assert writer.unsaved > 0
    assert writer.close(drop_reason="x") == [said[0]]
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete" and meta["events_not_saved"] == writer.unsaved
    events, problems = read_events(folder / "events.jsonl")
    assert problems == [] and len(events) == 400 - writer.unsaved


def test_the_recording_stops_cleanly_when_the_disk_fills(tmpfs):
    from console.audio.recorder import CallRecorder, wav_problem

    disk = tmpfs(256)
    disk.fill(leave_kb=100)
    said: list[str] = []
    recorder = CallRecorder(disk.path / "recording.wav", 16000, on_error=said.append)
    block = (0.3 * np.sin(np.arange(160) / 5)).astype(np.float32)
    for i in range(1000):  # 10 s of 10 ms blocks: 640 KB, far more than the space left
        recorder.put_agent(i * 160, block)
        recorder.write_caller(block)
    recorder.end_at(1000 * 160)
    assert recorder.complete  # the pump's loop ends: the call does not wait for the disk
    assert recorder.close() == ""
    assert len(said) == 1 and said[0].startswith("the sessions folder is full")
    kept = recorder.written / 16000
    assert f"recording stopped at {kept:.1f} s; the call goes on" in said[0]
    wav = disk.path / "recording.wav"
    assert wav_problem(wav) == ""  # the header matches the whole frames kept
    data, rate = sf.read(wav)
    assert rate == 16000 and len(data) == recorder.written and 1.0 < kept < 4.0


def test_an_audio_call_on_a_full_disk_goes_on_to_its_goodbye_and_drop(tmpfs, virtual_audio, capfd):
    """The audio pump keeps running when the recording cannot be written: the goodbye
    plays to its end and the action drops the line."""
    from console.audio.recorder import wav_problem
    from console.live.call import LiveCall
    from tests.conftest import EventWaiter, on_virtual_devices

    disk = tmpfs(384)
    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "main_prompt": '1. Ask "Ready?" If the contact responds no, call end_call '
                    'and say "Thanks for your time, goodbye."',
                    "greeting": "Hello, this is Sam calling about your energy bill today.",
                    "turn_taking": {"response_delay_ms": 0},
                }
            }
        )
    )
    rec = EventWaiter()
    call = LiveCall(
        store, on_virtual_devices(virtual_audio, disk.path, recognise=False), listeners=[rec]
    )
    disk.fill(leave_kb=96)  # the recording (64 KB/s) fills it during the greeting
    call.start()
    try:
        rec.wait(ev.AgentSpeech, timeout=30)
        call.say("no")
        drop = rec.wait(ev.LineDropped, timeout=30)
        assert call.wait(20)
    finally:
        call.close()
    assert drop.reason == ev.END_CALL_ACTION
    goodbye = rec.of(ev.Goodbye)
    assert goodbye and not goodbye[0].cut_short
    errors = [n for n in rec.of(ev.Notice) if n.level == "error" and n.source == "session"]
    assert errors and "recording stopped at" in errors[0].message, rec.of(ev.Notice)
    assert "Traceback" not in capfd.readouterr().err
    folder = call.session_dir
    assert folder is not None and wav_problem(folder / "recording.wav") == ""
    # The original symptom: the session left "crashed" with a 0-byte session.json.tmp.
    assert_readable_and_complete(folder)


def test_a_read_only_sessions_folder_never_ends_in_a_traceback(tmpfs, tmp_path):
    disk = tmpfs(512)
    sessions = disk.path / "sessions"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    seed = ASSETS / "scenarios" / "01-seed-no-to-ready.yaml"
    subprocess.run(
        [sys.executable, "-m", "console", "run", str(seed), "-q", "--sessions", str(sessions)],
        check=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
    )
    (folder,) = sessions.iterdir()
    meta = json.loads((folder / "session.json").read_text())
    meta.update(status="recording", pid=2**22 + 99)  # a crashed call, to recover
    (folder / "session.json").write_text(json.dumps(meta))
    disk.read_only()

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "console", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )

    scenarios = [str(p) for p in sorted((ASSETS / "scenarios").glob("0[1-3]*.yaml"))]
    runs = {
        "run": cli("run", *scenarios, "-q", "--sessions", str(sessions / "new")),
        "recover": cli("sessions", "recover", "--dir", str(sessions)),
        "export": cli("export", str(folder), "--out", str(disk.path / "r.html")),
        "replay": cli("replay", str(folder), "--out", str(disk.path / "r.yaml")),
        "call": cli("call", "--text", "--sessions", str(sessions / "new")),
        "junit": cli("run", scenarios[0], "-q", "--no-save", "--junit", str(disk.path / "j.xml")),
    }
    for name, proc in runs.items():
        assert "Traceback" not in proc.stdout + proc.stderr, (name, proc.stderr)
        assert proc.returncode in (0, 1, 2), (name, proc.returncode, proc.stderr)
    run = runs["run"]
    assert run.returncode == 0 and run.stdout.count("PASS") == len(scenarios), run.stdout
    assert "sessions are not saved" in run.stderr and "read-only" in run.stderr
    assert runs["recover"].returncode == 1 and "NOT recovered" in runs["recover"].stdout
    assert "read-only" in runs["recover"].stdout
    for name in ("export", "replay", "call", "junit"):
        assert runs[name].returncode == 2 and "read-only" in runs[name].stderr, runs[name]
