"""The terminal as a new tester meets it: every lint of a config, YAML errors that name
their file, `models verify` that never sends you back to itself, and a replayed scenario
whose main prompt reads as the prompt (a YAML block). Each command runs in a child
process, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ASSETS

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
    )


BAD_CONFIG = """\
end_call:
  name: "9 bad name"
  description: ""
  skip_goodbye: maybe
agent:
  name: Sam
  main_prompt: "Say hi. If they say no, call hang_up and say goodbye."
  turn_taking:
    drop_guard_ms: -5
"""


def test_lint_shows_every_invalid_field_and_the_warnings_about_the_rest(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_CONFIG)
    done = cli("lint", str(path))
    assert done.returncode == 1, done
    lines = done.stdout.splitlines()
    errors = [line for line in lines if ": error: " in line]
    assert len(errors) == 3
    for field in ("end_call.name", "end_call.skip_goodbye", "agent.turn_taking.drop_guard_ms"):
        assert any(f"error: {field}:" in line for line in errors), (field, lines)
    # The lints of everything else still run, with defaults standing in for the bad fields.
    assert any("[empty_description]" in line for line in lines), lines
    assert any("[checked_with_defaults]" in line for line in lines), lines
    # ...and none of them describes the stand-in ("the action is named 'end_call'").
    assert not any("'end_call'" in line for line in lines), lines
    assert "Traceback" not in done.stderr


def test_yaml_errors_name_the_file_line_and_column(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("end_call:\n  name: x\n  description: [unclosed\n")
    done = cli("lint", str(broken))
    assert done.returncode == 2
    assert "<unicode string>" not in done.stdout + done.stderr
    assert "broken.yaml, line 4, column 1:" in done.stdout, done.stdout
    assert "flow sequence that starts at line 3, column 16" in done.stdout
    assert len(done.stdout.strip().splitlines()) == 1  # one line, no snippet and caret
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("name: x\ncaller:\n  - say: 'hi\n")
    done = cli("run", str(scenario), "--no-save")
    assert done.returncode == 2
    assert "<unicode string>" not in done.stdout + done.stderr
    assert "scenario.yaml, line" in done.stdout, done.stdout


def test_models_verify_names_the_problem_without_sending_you_to_itself(tmp_path):
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    done = cli("models", "verify", str(not_a_model))
    assert done.returncode == 1
    assert "models verify" not in done.stdout + done.stderr
    assert "missing am/" in done.stderr and str(not_a_model) in done.stderr
    done = cli("models", "verify", env={"ENDCALL_VOSK_MODEL": str(tmp_path / "nowhere")})
    assert done.returncode == 1
    assert "models verify" not in done.stdout + done.stderr
    assert "$ENDCALL_VOSK_MODEL" in done.stderr and "is not a folder" in done.stderr


def test_replay_writes_the_main_prompt_as_a_yaml_block(tmp_path):
    sessions = tmp_path / "sessions"
    seed = ASSETS / "scenarios" / "01-seed-no-to-ready.yaml"
    ran = cli("run", str(seed), "--sessions", str(sessions), "-q")
    assert ran.returncode == 0, ran
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    out = tmp_path / "replay.yaml"
    done = cli("replay", str(folder), "--out", str(out))
    assert done.returncode == 0, done
    text = out.read_text()
    assert "    main_prompt: |\n" in text
    assert "\\n" not in text  # no escaped line breaks anywhere
    prompt = (ASSETS / "prompts" / "solar-outreach.md").read_text()
    assert yaml.safe_load(text)["config"]["agent"]["main_prompt"] == prompt
    again = cli("run", str(out), "--no-save", "-q")
    assert again.returncode == 0, again.stdout
