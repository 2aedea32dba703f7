from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from console.cli import main
from console.core import events as ev
from console.core.eventlog import read_events, read_jsonl
from console.scenario.model import ScenarioError, load_scenario
from console.scenario.runner import run_scenario
from tests.conftest import ASSETS

SCENARIOS = sorted((ASSETS / "scenarios").glob("*.yaml"))


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


PASSING = """
name: seed no
config:
  agent:
    main_prompt: |
      1. Ask "Ready?" If the contact responds no, call end_call and say "Thanks for your time."
caller:
  - say: "no thanks"
expect:
  action_invoked: true
  action_turn: 1
  goodbye_contains: "Thanks for your time"
  drop_reason: end_call_action
"""


def test_at_least_eight_example_scenarios_ship():
    assert len(SCENARIOS) >= 8


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_example_scenario_passes(path):
    scenario, config = load_scenario(path)
    result = run_scenario(scenario, config, source=str(path))
    assert result.passed, result.failures


def test_same_scenario_same_timeline():
    scenario, config = load_scenario(SCENARIOS[0])

    def timeline(events):
        # generation_ms is measured compute time, not session time: it may differ.
        return [{k: v for k, v in e.to_dict().items() if k != "generation_ms"} for e in events]

    a = run_scenario(scenario, config).events
    b = run_scenario(scenario, config).events
    assert timeline(a) == timeline(b)


def test_exit_code_zero_when_all_pass(tmp_path, capsys):
    path = write(tmp_path / "s.yaml", PASSING)
    assert main(["run", str(path), "--no-save"]) == 0
    out = capsys.readouterr().out
    assert "PASS  seed no" in out and "1 passed, 0 failed" in out
    assert "end_call fired" in out and "dropped: end_call_action" in out


def test_exit_code_one_when_an_expectation_fails(tmp_path, capsys):
    path = write(tmp_path / "s.yaml", PASSING.replace("action_turn: 1", "action_turn: 2"))
    assert main(["run", str(path), "--no-save"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: expected the action at caller turn 2, got 1" in out


def test_exit_code_two_for_an_unreadable_scenario(tmp_path, capsys):
    bad = write(tmp_path / "bad.yaml", "name: x\ncaller:\n  - say: hi\n    hang_up: true\n")
    assert main(["run", str(bad), "--no-save"]) == 2
    assert "exactly one of" in capsys.readouterr().out


@pytest.mark.parametrize(
    "text,message",
    [
        ("[1, 2]", "must be a mapping"),
        ("name: x\nconfig: missing.yaml\n", "file not found"),
        ("name: x\nexpect: {drop_reason: exploded}\n", "expect.drop_reason"),
        ("name: x\nconfig: {end_call: {name: 'a b'}}\n", "end_call.name"),
        ("name: x\nconfig_overrides: {end_call.nope: 1}\n", "end_call.nope"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_broken_scenarios_name_the_problem(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[")):
        load_scenario(write(tmp_path / "s.yaml", text))


def test_junit_output(tmp_path):
    good = write(tmp_path / "good.yaml", PASSING)
    bad = write(
        tmp_path / "bad.yaml",
        PASSING.replace("seed no", "seed wrong").replace(
            "action_invoked: true", "action_invoked: false"
        ),
    )
    broken = write(tmp_path / "broken.yaml", "[]")
    junit = tmp_path / "out" / "junit.xml"
    assert (
        main(["run", str(good), str(bad), str(broken), "--no-save", "-q", "--junit", str(junit)])
        == 2
    )
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["seed no"].find("failure") is None
    assert "expected no End Call action" in cases["seed wrong"].find("failure").get("message")


def test_session_folder_is_written(tmp_path):
    path = write(
        tmp_path / "s.yaml",
        PASSING.replace(
            "caller:",
            "config_overrides: {end_call.skip_goodbye: false}\ncaller:\n  - edit: "
            "{agent.voice.rate_wpm: 200}",
        ),
    )
    assert main(["run", str(path), "--sessions", str(tmp_path / "sessions"), "-q"]) == 0
    (folder,) = (tmp_path / "sessions").iterdir()
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete" and meta["drop_reason"] == "end_call_action"
    assert meta["scenario"] == "seed no"
    events, problems = read_events(folder / "events.jsonl")
    assert problems == [] and isinstance(events[-1], ev.StateChanged)
    versions = [r["version"] for r in read_jsonl(folder / "config_versions.jsonl").records]
    assert versions == [1, 2]


def test_session_folder_names_cannot_escape(tmp_path):
    path = write(tmp_path / "s.yaml", PASSING.replace("name: seed no", "name: ../../etc/passwd"))
    assert main(["run", str(path), "--sessions", str(tmp_path / "sessions"), "-q"]) == 0
    (folder,) = (tmp_path / "sessions").iterdir()
    assert folder.parent == tmp_path / "sessions" and folder.name.endswith("etc-passwd")


def test_timeouts_and_waits_use_the_virtual_clock(tmp_path):
    text = PASSING.replace('  - say: "no thanks"', "  - wait: 3600").replace(
        "expect:", "config_overrides: {agent.turn_taking.silence_timeout_s: 3000}\nexpect:"
    )
    scenario, config = load_scenario(write(tmp_path / "s.yaml", text))
    result = run_scenario(scenario, config)
    drop = next(e for e in result.events if isinstance(e, ev.LineDropped))
    assert drop.reason == "timeout" and drop.t > 3000


def test_lint_command(tmp_path, capsys, assets):
    assert main(["lint", str(assets / "configs" / "solar.yaml")]) == 0
    bad = write(tmp_path / "bad.yaml", "end_call: {name: 'end call'}\n")
    assert main(["lint", str(bad)]) == 1
    assert "end_call.name" in capsys.readouterr().out
    assert main(["lint", str(tmp_path / "missing.yaml")]) == 2


def test_schema_command(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "EndCallAction" in schema["$defs"]


def test_python_dash_m_console(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "console", "--version"],
        capture_output=True,
        text=True,
        cwd=ASSETS.parent,
    )
    assert out.returncode == 0 and "endcall-console" in out.stdout
