"""Scenarios against imported agents, with the offline agent: `endcall-console import`
writes the config, a scenario's `config:` points at it, `endcall-console run` runs it.

The last tests are the platform behaviours the engine carries out: a fixed goodbye,
ending on an end-call phrase, End Call switched off.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from console.cli import main
from console.core import events as ev
from console.scenario.model import load_scenario
from console.scenario.runner import run_scenario
from tests.platforms.helpers import FIXTURES


def imported(tmp_path: Path, platform: str, *names: str) -> Path:
    out = tmp_path / f"{platform}.yaml"
    argv = ["import", *(str(FIXTURES / n) for n in names), "--from", platform]
    assert main([*argv, "--out", str(out)]) == 0
    return out


def scenario(tmp_path: Path, config: Path, caller: list, expect: dict, **extra) -> Path:
    path = tmp_path / f"{config.stem}-scenario.yaml"
    data = {"name": f"imported {config.stem}", "config": config.name, "caller": caller}
    data.update(extra, expect=expect)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_cli(capsys, path: Path) -> str:
    code = main(["run", str(path), "--no-save"])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def test_vapi_agent_hangs_up_under_its_own_tool_name(tmp_path, capsys):
    config = imported(tmp_path, "vapi", "vapi_new.json")
    path = scenario(
        tmp_path,
        config,
        [{"say": "No, I can't make it on Thursday."}],
        {
            "action_invoked": True,
            "action_turn": 1,
            "drop_reason": "end_call_action",
            "lints": ["end_call_phrase_short", "goodbye_message_shadowed"],
        },
    )
    out = run_cli(capsys, path)
    assert "endCall fired" in out


def test_the_session_and_its_html_report_name_the_platform_and_file(tmp_path, capsys):
    config = imported(tmp_path, "vapi", "vapi_new.json")
    path = scenario(tmp_path, config, [{"say": "No."}], {"action_invoked": True})
    sessions = tmp_path / "sessions"
    assert main(["run", str(path), "--sessions", str(sessions), "-q"]) == 0
    (session,) = sessions.iterdir()
    versions = (session / "config_versions.jsonl").read_text()
    assert '"platform": {"name": "vapi", "source_file": "vapi_new.json"' in versions
    html = tmp_path / "report.html"
    assert main(["export", str(session), "--format", "html", "--out", str(html)]) == 0
    capsys.readouterr()
    text = html.read_text()
    assert "platform:" in text and "source_file: vapi_new.json" in text
    # ... and say it as labelled facts, in session.json, the HTML and the Markdown.
    meta = json.loads((session / "session.json").read_text())
    assert (meta["platform"], meta["imported_from"]) == ("vapi", "vapi_new.json")
    assert "<tr><th>Platform</th><td>vapi</td></tr>" in text
    assert "<tr><th>Imported from</th><td>vapi_new.json</td></tr>" in text
    md = tmp_path / "report.md"
    assert main(["export", str(session), "--format", "md", "--out", str(md)]) == 0
    capsys.readouterr()
    assert "- Platform: vapi; Imported from: vapi\\_new.json" in md.read_text()  # escaped _


def test_vapi_silence_timeout_comes_from_the_file(tmp_path, capsys):
    config = imported(tmp_path, "vapi", "vapi_new.json")  # silenceTimeoutSeconds: 25
    path = scenario(
        tmp_path,
        config,
        [{"say": "Yes, Thursday is fine."}, {"wait": 60}],
        {"action_invoked": False, "drop_reason": "timeout"},
    )
    assert "no caller speech for 25 s" in run_cli(capsys, path)


def test_retell_agent_and_llm_files_run_as_one_agent(tmp_path, capsys):
    config = imported(tmp_path, "retell", "retell_agent.json", "retell_llm.json")
    path = scenario(
        tmp_path,
        config,
        [{"say": "Yes, go ahead."}, {"say": "Yes please."}],
        {
            "action_invoked": True,
            "action_turn": 2,
            "agent_says": ["Would you like to renew at the same rate?"],
            "drop_reason": "end_call_action",
        },
    )
    run_cli(capsys, path)


def test_retell_end_call_without_speaking_drops_at_the_action(tmp_path, capsys):
    config = imported(tmp_path, "retell", "retell_llm_silent.json")
    path = scenario(
        tmp_path,
        config,
        [{"say": "No, it can wait."}],
        {
            "action_invoked": True,
            "goodbye_absent": True,
            "drop_reason": "end_call_action",
            "max_latency": {"action_to_drop": 0.0},
        },
    )
    run_cli(capsys, path)


def test_elevenlabs_full_export_books_and_says_the_rule_line(tmp_path, capsys):
    config = imported(tmp_path, "elevenlabs", "elevenlabs_full.json")
    path = scenario(
        tmp_path,
        config,
        [{"say": "Yes, I'd like to book."}, {"say": "Yes, Monday works."}],
        {
            "action_invoked": True,
            "goodbye_contains": "You are booked, see you Monday.",
            "lints": ["platform_default_description"],
        },
    )
    run_cli(capsys, path)


def test_elevenlabs_partial_update_silence_ending(tmp_path, capsys):
    config = imported(tmp_path, "elevenlabs", "elevenlabs_partial.json")  # 45 s
    path = scenario(
        tmp_path,
        config,
        [{"wait": 90}],
        {"action_invoked": False, "drop_reason": "timeout"},
    )
    assert "no caller speech for 45 s" in run_cli(capsys, path)


def test_livekit_goodbye_comes_from_end_instructions(tmp_path, capsys):
    config = imported(tmp_path, "livekit", "livekit_agent.py")
    path = scenario(
        tmp_path,
        config,
        [{"say": "No, I rent."}],
        {
            "action_invoked": True,
            "goodbye_source": "goodbye_prompt",
            "agent_says": ["Hi, this is Alex from Brightside Energy."],
        },
    )
    run_cli(capsys, path)


def test_livekit_end_instructions_none_hangs_up_silently(tmp_path, capsys):
    config = imported(tmp_path, "livekit", "livekit_no_goodbye.py")
    path = scenario(
        tmp_path,
        config,
        [{"say": "No, it's something else."}],
        {"action_invoked": True, "goodbye_absent": True},
    )
    run_cli(capsys, path)


def test_livekit_yaml_description(tmp_path, capsys):
    config = imported(tmp_path, "livekit", "livekit_agent.yaml")
    path = scenario(
        tmp_path,
        config,
        [{"say": "Yes, after five is fine."}],
        {"action_invoked": True, "goodbye_source": "goodbye_prompt"},
    )
    run_cli(capsys, path)


# -- waiting for the engine's hooks ------------------------------------------------------
def _events(path: Path) -> list[ev.Event]:
    sc, config = load_scenario(path)
    return run_scenario(sc, config).events


def test_hook_fixed_goodbye_message_is_spoken_word_for_word(tmp_path):
    config = imported(tmp_path, "vapi", "vapi_new.json")
    path = scenario(tmp_path, config, [{"say": "No, I can't make it."}], {})
    goodbyes = [e for e in _events(path) if isinstance(e, ev.Goodbye)]
    assert [g.text for g in goodbyes] == ["Thanks for your time, goodbye."]


def test_hook_end_call_phrase_ends_the_call_after_the_agent_says_it(tmp_path):
    config = imported(tmp_path, "vapi", "vapi_phrases_only.json")
    path = scenario(tmp_path, config, [{"say": "No thanks."}, {"say": "Hello?"}], {})
    events = _events(path)
    drop = next(e for e in events if isinstance(e, ev.LineDropped))
    assert drop.reason == "end_call_phrase"
    said = [e.text for e in events if isinstance(e, ev.AgentSpeech)]
    assert said[-1] == "Alright. Talk to you soon, take care."
    assert not [e for e in events if isinstance(e, ev.CallerSpeech) and e.text == "Hello?"]


def test_hook_end_call_off_means_the_agent_cannot_hang_up(tmp_path):
    config = imported(tmp_path, "vapi", "vapi_new.json")
    path = scenario(
        tmp_path,
        config,
        [{"say": "No, I can't make it."}],
        {},
        config_overrides={"end_call.enabled": False},
    )
    assert not [e for e in _events(path) if isinstance(e, ev.ActionInvoked)]
