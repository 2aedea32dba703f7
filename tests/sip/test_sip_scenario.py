"""Scenarios over SIP against the local scripted agent: the caller's lines on cue, and a
run that fails where the agent clips its goodbye."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from console.core import events as ev
from console.sip.account import SipAccount
from console.sip.scenario import (
    SipRunOptions,
    SipScenario,
    SipScenarioError,
    load_sip_scenario,
    run_sip_scenario,
)
from tests.parts import korean_model_path

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("sip_required")

AUDIBLE_GOODBYE = """\
name: The agent hangs up after the caller is done, its goodbye audible to the end
caller:
  - say: "No, that's all, thanks."
expect:
  agent_hangs_up: true
  hangup_turn: 1
  drop_reason: agent_hung_up
  goodbye_said: true
  goodbye_cut: false
  max_latency: {caller_to_agent_sound: 3.0, caller_to_bye: 12.0, last_sound_to_bye: 1.5}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env=env,
    )


def test_a_scenario_passes_against_an_agent_that_hangs_up_cleanly(far_agent, tmp_path):
    far = far_agent("normal")
    junit = tmp_path / "junit.xml"
    result = run_cli(
        "run", "--sip", far.uri, str(write(tmp_path, AUDIBLE_GOODBYE)),
        "--model", str(korean_model_path()), "--sessions", str(tmp_path / "s"),
        "--junit", str(junit),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  The agent hangs up" in result.stdout
    assert "received BYE" in result.stdout and "dropped: agent_hung_up" in result.stdout
    assert "its last words were audible to their end" in result.stdout
    assert ET.parse(junit).getroot().get("failures") == "0"


def test_a_scenario_fails_where_the_agent_clips_its_goodbye(far_agent, tmp_path):
    far = far_agent("clip", clip_s=0.5)
    junit = tmp_path / "junit.xml"
    result = run_cli(
        "run", "--sip", far.uri, str(write(tmp_path, AUDIBLE_GOODBYE)),
        "--model", str(korean_model_path()), "--no-save", "--junit", str(junit),
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL  The agent hangs up" in result.stdout
    assert "FAILED: the agent's goodbye was CUT OFF by its own BYE: speech energy" in (
        result.stdout
    )
    assert "[cut short]" in result.stdout  # the goodbye's row on the timeline
    failure = ET.parse(junit).getroot().find("testcase/failure")
    assert failure is not None and "CUT OFF" in failure.get("message", "")


def test_a_barge_in_speaks_over_the_agent_on_cue(far_agent, korean_model, tmp_path):
    far = far_agent("never", lines=("greeting",))
    scenario = SipScenario.model_validate(
        {
            "name": "barge in",
            "caller": [{"say": "Sorry, wait.", "barge_in_after": 0.8}, {"hang_up": True}],
            "expect": {"agent_hangs_up": False, "drop_reason": "caller_hung_up"},
        }
    )
    result = run_sip_scenario(
        scenario,
        SipAccount.from_input(far.uri),
        options=SipRunOptions(sessions_dir=tmp_path, model=korean_model),
    )
    assert result.passed, result.failures
    greeting = next(e for e in result.events if isinstance(e, ev.AgentSpeech))
    caller = next(e for e in result.events if isinstance(e, ev.CallerSpeech))
    assert caller.start < greeting.end  # over the agent
    assert abs(caller.start - greeting.start - 0.8) <= 0.15


def test_the_caller_waits_for_the_agents_turn_to_end(far_agent, korean_model, tmp_path):
    far = far_agent("normal", lines=("greeting", "reply", "goodbye"))
    scenario = SipScenario.model_validate(
        {
            "name": "two turns",
            "agent_silence": 0.7,
            "caller": [{"say": "I'd like to check my order."}, {"say": "No, that's all."}],
            "expect": {"agent_hangs_up": True, "hangup_turn": 2, "goodbye_cut": False},
        }
    )
    result = run_sip_scenario(
        scenario,
        SipAccount.from_input(far.uri),
        options=SipRunOptions(sessions_dir=tmp_path, model=korean_model),
    )
    assert result.passed, result.failures
    agent = [e for e in result.events if isinstance(e, ev.AgentSpeech)]
    caller = [e for e in result.events if isinstance(e, ev.CallerSpeech)]
    assert [a.turn for a in agent] == [0, 1, 2]
    for line, before in zip(caller, agent, strict=False):
        assert line.start - before.end >= 0.7 - 0.05  # after the agent's quiet, not over it


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("name: x\ncaller:\n  - edit: {end_call.skip_goodbye: true}\n", "cannot run over SIP"),
        ("name: x\ncaller:\n  - say: hi\n    wait: 2\n", "exactly one of"),
        ("name: x\nexpect: {drop_reason: end_call_action}\n", "drop_reason"),
        ("name: x\nexpect: {goodbye_cutt: true}\n", "goodbye_cutt"),
        ("- just a list\n", "must be a mapping"),
    ],
)
def test_bad_scenarios_are_refused_in_words(tmp_path, text, says):
    with pytest.raises(SipScenarioError, match=says):
        load_sip_scenario(write(tmp_path, text))


def test_bad_input_on_the_command_line(tmp_path):
    result = run_cli("call", "--sip", "https://api.example.com/agent", "--no-save")
    assert result.returncode == 2 and "not a SIP URI" in result.stderr
    assert "Traceback" not in result.stderr
    bad = write(tmp_path, "name: x\ncaller:\n  - edit: {a: 1}\n")
    result = run_cli("run", "--sip", "sip:agent@127.0.0.1:9", str(bad), "--no-save")
    assert result.returncode == 2 and "cannot run over SIP" in result.stdout


def test_a_terminal_call_over_sip(far_agent, tmp_path):
    """`call --sip`: the timeline printed as it happens, a typed line spoken into the
    call, and the agent's BYE ending the command."""
    far = far_agent("normal")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "console", "call", "--sip", far.uri, "--text",
         "--model", str(korean_model_path()), "--sessions", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    seen = []
    try:
        for line in process.stdout:  # type: ignore[union-attr]
            seen.append(line)
            if " agent " in line:  # the greeting has been heard: answer it
                process.stdin.write("No, that's all, thanks.\n")  # type: ignore[union-attr]
                process.stdin.flush()  # type: ignore[union-attr]
                break
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    text = "".join(seen) + out
    assert process.returncode == 0, text + err
    assert 'caller #1 "No, that\'s all, thanks."' in text
    assert "received BYE" in text and "dropped: agent_hung_up" in text
    assert "the agent hung up (BYE)" in text and "session: " in text


def test_a_terminal_call_over_sip_uses_the_default_speaker_and_microphone(
    far_agent, virtual_audio, speaker_monitor, tmp_path
):
    """`call --sip URI` with no device options: as a local `call`, the default speaker
    plays the agent and the default microphone goes out (the README's "type lines, or
    speak"). The virtual devices are the defaults here (PULSE_SINK, PULSE_SOURCE)."""
    from console.audio.inject import Injector
    from console.speech.synth import Synthesizer

    far = far_agent("normal")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PULSE_SINK": virtual_audio.speaker.removeprefix("pulse:"),
        "PULSE_SOURCE": virtual_audio.mic.removeprefix("pulse:"),
    }
    synth = Synthesizer(16000)
    injector = Injector(virtual_audio.caller_sink)
    process = subprocess.Popen(
        [sys.executable, "-m", "console", "call", "--sip", far.uri,
         "--model", str(korean_model_path()), "--sessions", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    seen = []
    try:
        for line in process.stdout:  # type: ignore[union-attr]
            seen.append(line)
            if " agent " in line:  # the greeting has been heard: say the answer
                break
        injector.wait_steady()
        injector.play(synth.render_now("No, that's all, thanks.", wpm=170))[1].result(20)
        far.wait_for("caller_spoke")  # the microphone reached the agent over RTP
        out, err = process.communicate(timeout=60)
    finally:
        injector.close()
        synth.close()
        if process.poll() is None:
            process.kill()
            process.wait(10)
    text = "".join(seen) + out
    assert process.returncode == 0, text + err
    connected = next(line for line in text.splitlines() if "connected (remote SIP" in line)
    assert "output: default" in connected and "input: default" in connected, connected
    assert "caller #1 " in text and "turn ended by silence" in text, text
    assert "dropped: agent_hung_up" in text
    heard = speaker_monitor()
    assert np.abs(heard).max() > 0.05, "nothing reached the default speaker"
