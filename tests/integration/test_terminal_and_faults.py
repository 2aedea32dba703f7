"""The terminal call, audio scenarios, and faults: missing devices and a sound server that
dies mid-call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from console.audio.recorder import repair_wav
from console.cli import main
from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.core.eventlog import read_events
from console.live.call import RECORDING_FILE, LiveCall, LiveOptions
from tests.conftest import ASSETS, ROOT

SHORT = """
agent:
  main_prompt: |
    1. Ask "Ready?" If the contact responds no, call end_call and say "Thanks, bye."
  turn_taking: {response_delay_ms: 0}
"""


def start_terminal_call(tmp_path: Path) -> subprocess.Popen:
    """`endcall-console call --text` on a short config, saving into tmp_path/s."""
    config = tmp_path / "c.yaml"
    config.write_text(SHORT)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "console",
            "call",
            "--text",
            "--config",
            str(config),
            "--sessions",
            str(tmp_path / "s"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def read_until(proc: subprocess.Popen, text: str, seen: list[str]) -> None:
    """Read the child's lines into `seen` until one holds `text`, however long a busy
    machine takes to print it; a fixed sleep fails under load."""
    assert proc.stdout is not None
    while not any(text in line for line in seen):
        line = proc.stdout.readline()
        assert line, f"the call ended before {text!r}: {seen}"
        seen.append(line)


def test_terminal_call_with_typed_input(tmp_path):
    script = "/edit end_call.skip_goodbye=maybe\n/edit end_call.goodbye_prompt='Say \"Later!\"'\n"
    proc = start_terminal_call(tmp_path)
    assert proc.stdin is not None
    seen: list[str] = []
    read_until(proc, "Mode:", seen)
    proc.stdin.write(script)
    proc.stdin.flush()
    read_until(proc, "v2: end_call.goodbye_prompt", seen)  # both edits were taken in
    proc.stdin.write("no thanks\n")
    proc.stdin.flush()
    rest, _ = proc.communicate(timeout=30)
    out = "".join(seen) + rest
    assert proc.returncode == 0, out
    assert "Mode: text" in out
    assert "edit refused: end_call.skip_goodbye" in out
    assert out.count("edit refused") == 1, out  # the timeline's row only, not twice
    assert "v2: end_call.goodbye_prompt" in out
    assert '"Later!"' in out and "dropped: end_call_action" in out
    assert "Session saved:" in out


def test_ctrl_c_hangs_up_cleanly(tmp_path):
    proc = start_terminal_call(tmp_path)
    # Wait until the call is up (its Ctrl+C handler is set before "Mode:" is printed).
    head: list[str] = []
    read_until(proc, "Mode:", head)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    out = "".join(head) + rest
    assert proc.returncode == 0
    assert "hanging up" in out and "dropped: " in out and "hung_up" in out
    (folder,) = (tmp_path / "s").iterdir()
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete"
    assert meta["drop_reason"] == "tester_hung_up"


@pytest.mark.parametrize(
    "devices",
    [{"input_device": "no such microphone"}, {"output_device": "no such speaker"}],
    ids=["no input", "no output"],
)
def test_missing_device_falls_back_to_typed_input_and_says_why(tmp_path, devices):
    store = ConfigStore(parse_config({"agent": {"main_prompt": '1. Ask "Ready?"'}}))
    events: list[ev.Event] = []
    call = LiveCall(
        store,
        LiveOptions(**devices, sessions_dir=tmp_path),
        listeners=[events.append],
    )
    call.start()
    try:
        call.say("no")
        time.sleep(1.0)
    finally:
        call.close()
    assert call.mode == "text"
    notices = [e for e in events if isinstance(e, ev.Notice)]
    assert notices and "typed input" in notices[0].message
    assert any(isinstance(e, ev.CallerSpeech) for e in events)


def run_audio(audio, sessions: Path, *args: str) -> int:
    """`endcall-console run --audio` on the virtual devices."""
    return main(
        [
            "run",
            "--audio",
            "--input",
            audio.mic,
            "--output",
            audio.speaker,
            "--caller-device",
            audio.caller_sink,
            "--sessions",
            str(sessions),
            *args,
        ]
    )


def test_audio_scenario_with_the_script_transcript(virtual_audio, tmp_path, capsys):
    code = run_audio(
        virtual_audio,
        tmp_path,
        "--script-transcript",
        str(ASSETS / "scenarios" / "05-voicemail-skip-goodbye.yaml"),
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "transcript: the script's text" in out
    (folder,) = tmp_path.iterdir()
    data, _rate = sf.read(folder / RECORDING_FILE)
    assert np.abs(data[:, 0]).max() > 0.05  # the caller's voicemail greeting was heard
    meta = json.loads((folder / "session.json").read_text())
    assert "caller turns from the script" in meta["mode"]


def test_audio_scenario_recognised_by_vosk(virtual_audio, korean_model, tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: recognised caller\n"
        'config:\n  agent:\n    main_prompt: \'1. Ask "Ready?"\n\n      2. Ask "Which plan?"\'\n'
        "caller:\n  - say: 'Yes I am ready to talk about the plan'\n"
        "hang_up_after: 1.0\n"
        "expect: {action_invoked: false, drop_reason: caller_hung_up}\n"
    )
    from console.speech.models import MODEL_ENV
    from tests.parts import korean_model_path

    os.environ[MODEL_ENV] = str(korean_model_path())
    try:
        code = run_audio(virtual_audio, tmp_path / "sessions", str(scenario))
    finally:
        os.environ.pop(MODEL_ENV, None)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "transcript: recognised by vosk" in out and "caller #1" in out


def test_audio_scenario_answered_by_the_command_lines_model(virtual_audio, tmp_path, capsys):
    """`run --audio --llm URL`: the model of the command line answers through real audio,
    and the URL's user and password (never in a config) reach its connection."""
    import base64

    from tests.agent.fake_llm import FakeLLM, Reply

    llm = FakeLLM()
    llm.replies.put(Reply(text="Sure, I can hear you."))
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: model through audio\n"
        "config:\n  agent:\n    main_prompt: 'You are Sam.'\n    greeting: 'Hi, Sam here.'\n"
        "caller:\n  - say: 'Hello, can you hear me?'\n"
        "hang_up_after: 1.0\n"
        "expect: {agent_says: ['Sure, I can hear you.'], drop_reason: caller_hung_up}\n"
    )
    url = llm.url.replace("http://", "http://qa-user:AUDIO-PW-123@")
    try:
        code = run_audio(
            virtual_audio,
            tmp_path / "sessions",
            "--script-transcript",
            "--llm",
            url,
            "--llm-model",
            "tiny-model",
            str(scenario),
        )
    finally:
        llm.close()
    out = capsys.readouterr().out
    assert code == 0, out
    assert [r["model"] for r in llm.requests] == ["tiny-model"]
    basic = base64.b64encode(b"qa-user:AUDIO-PW-123").decode()
    assert llm.authorizations == [f"Basic {basic}"]
    assert "AUDIO-PW-123" not in out


SERVER_CHILD = """
import sys, time, json
from pathlib import Path
from console.core.config import ConfigStore, parse_config
from console.live.call import LiveCall, LiveOptions
def say(line):  # one write per line: print() writes its parts apart, and threads interleave
    sys.stdout.write(line + "\\n")
    sys.stdout.flush()
store = ConfigStore(parse_config({"agent": {
    "greeting": "Hello there. " * 10,
    "main_prompt": '1. Ask "Are you still there?"\\n2. Ask "Shall I go on?"',
    "turn_taking": {"on_error": sys.argv[2], "response_delay_ms": 0}}}))
call = LiveCall(store, LiveOptions(input_device="pulse", output_device="pulse",
                                   sessions_dir=Path(sys.argv[1]), recognise=False),
                listeners=[lambda e: say(json.dumps(e.to_dict()))])
call.start()
say(f"STARTED {call.mode}")
time.sleep(6)
if call.engine.active:
    call.say("hello, can you hear me?")  # typed: the call goes on without audio
    time.sleep(2)
call.hang_up()
call.close()
say("CLOSED")
"""


@pytest.mark.parametrize("on_error", ["continue", "end"])
def test_sound_server_dying_mid_call_is_on_the_timeline_and_loses_nothing(tmp_path, on_error):
    """A device that disappears: the call's own PulseAudio server is killed mid-call.
    The call goes on typed (on_error: continue) or ends with reason "error" (end)."""
    from tests.parts import private_sound_server

    with private_sound_server(tmp_path) as (env, server):
        child = subprocess.Popen(
            [sys.executable, "-c", SERVER_CHILD, str(tmp_path / "s"), on_error],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert child.stdout is not None
        lines = []
        for line in child.stdout:
            lines.append(line)
            if line.startswith("STARTED"):
                break
        assert "audio" in lines[-1], lines
        time.sleep(2.0)
        server.kill()
        server.wait()
        out, _ = child.communicate(timeout=60)
        lines += out.splitlines()
    assert "CLOSED" in lines[-1]
    events = [json.loads(line) for line in lines if line.startswith("{")]
    errors = [e for e in events if e["kind"] == "notice" and e["level"] == "error"]
    assert errors and "stopped" in errors[0]["message"], events
    lost_at = errors[0]["t"]
    (drop,) = [e for e in events if e["kind"] == "line_dropped"]
    if on_error == "end":
        assert drop["reason"] == "error" and drop["t"] - lost_at < 1.0
    else:
        assert drop["reason"] == "caller_hung_up"
        typed = [e for e in events if e["kind"] == "caller_speech" and e["t"] > lost_at]
        answers = [e for e in events if e["kind"] == "agent_speech" and e["t"] > lost_at]
        assert typed and answers, events  # the call went on after the loss
    (folder,) = (tmp_path / "s").iterdir()
    wav = folder / RECORDING_FILE
    repair_wav(wav)
    data, rate = sf.read(wav)
    assert len(data) / rate >= 1.5  # the audio up to the loss is kept
    logged, problems = read_events(folder / "events.jsonl")
    assert problems == [] and any(isinstance(e, ev.Notice) for e in logged)
    assert Path(folder / "session.json").exists()
