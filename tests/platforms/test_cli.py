"""`endcall-console import` and `export-agent`, including files meant to break them."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import yaml

from console.cli import main
from console.core.config import load_config
from tests.platforms.helpers import FIXTURES


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_writes_a_config_and_prints_the_report_and_lints(tmp_path, capsys):
    out = tmp_path / "maple.yaml"
    code, stdout, _ = run(
        capsys, "import", str(FIXTURES / "vapi_new.json"), "--from", "vapi", "--out", str(out)
    )
    assert code == 0
    assert "Imported from Vapi: vapi_new.json" in stdout
    assert "Unknown fields (not imported) (1):" in stdout and "dentalOfficeCode" in stdout
    assert "[goodbye_message_shadowed]" in stdout and "[end_call_phrase_short]" in stdout
    config = load_config(out)
    assert config.platform.name == "vapi" and config.end_call.name == "endCall"


def test_import_defaults_to_a_config_beside_the_file(tmp_path, capsys):
    source = tmp_path / "agent.json"
    shutil.copy(FIXTURES / "elevenlabs_full.json", source)
    code, stdout, _ = run(capsys, "import", str(source), "--from", "elevenlabs")
    assert code == 0 and (tmp_path / "agent.console.yaml").is_file()
    assert "agent.console.yaml" in stdout


def test_retell_import_takes_both_files(tmp_path, capsys):
    out = tmp_path / "northwind.yaml"
    code, _, _ = run(
        capsys,
        "import",
        str(FIXTURES / "retell_llm.json"),
        str(FIXTURES / "retell_agent.json"),
        "--from",
        "retell",
        "--out",
        str(out),
    )
    assert code == 0
    assert load_config(out).agent.turn_taking.silence_timeout_s == 45


def test_export_agent_against_the_original_lists_the_changes(tmp_path, capsys):
    config = tmp_path / "maple.yaml"
    run(capsys, "import", str(FIXTURES / "vapi_new.json"), "--from", "vapi", "--out", str(config))
    data = yaml.safe_load(config.read_text())
    data["end_call"]["phrases"] = ["have a lovely day"]
    config.write_text(yaml.safe_dump(data))
    out_dir = tmp_path / "export"
    code, stdout, _ = run(
        capsys,
        "export-agent",
        str(config),
        "--against",
        str(FIXTURES / "vapi_new.json"),
        "--out",
        str(out_dir),
    )
    assert code == 0
    assert (
        '1 field(s) changed:\n  assistant: endCallPhrases: ["have a lovely day", "bye"]' in stdout
    )
    exported = json.loads((out_dir / "assistant.json").read_text())
    assert exported["endCallPhrases"] == ["have a lovely day"]
    assert exported["voice"]["voiceId"] == "test-voice-1"


def test_export_agent_patch_and_default_folder(tmp_path, capsys):
    config = tmp_path / "maple.yaml"
    run(capsys, "import", str(FIXTURES / "vapi_new.json"), "--from", "vapi", "--out", str(config))
    code, _, _ = run(
        capsys, "export-agent", str(config), "--against", str(FIXTURES / "vapi_new.json"), "--patch"
    )
    assert code == 0
    assert json.loads((tmp_path / "maple.vapi" / "assistant.json").read_text()) == {}


def test_export_agent_livekit_prints_a_source_diff(tmp_path, capsys):
    config = tmp_path / "solar.yaml"
    source = FIXTURES / "livekit_agent.py"
    run(capsys, "import", str(source), "--from", "livekit", "--out", str(config))
    data = yaml.safe_load(config.read_text())
    data["end_call"]["skip_goodbye"] = True
    config.write_text(yaml.safe_dump(data))
    code, stdout, _ = run(
        capsys, "export-agent", str(config), "--against", str(source), "--out", str(tmp_path / "x")
    )
    assert code == 0
    assert "+                    end_instructions=None," in stdout
    assert "--- livekit_agent.py (imported)" in stdout


def test_export_agent_never_overwrites_the_original(tmp_path, capsys):
    source = tmp_path / "assistant.json"
    shutil.copy(FIXTURES / "vapi_new.json", source)
    config = tmp_path / "c.yaml"
    run(capsys, "import", str(source), "--from", "vapi", "--out", str(config))
    before = source.read_text()
    code, _, err = run(
        capsys, "export-agent", str(config), "--against", str(source), "--out", str(tmp_path)
    )
    assert code == 2 and "is the original file" in err
    assert source.read_text() == before


def test_export_agent_needs_a_platform(tmp_path, capsys):
    config = tmp_path / "plain.yaml"
    config.write_text("agent: {name: Plain}\n")
    code, _, err = run(capsys, "export-agent", str(config))
    assert code == 2 and "--to" in err
    code, _, _ = run(capsys, "export-agent", str(config), "--to", "retell")
    assert code == 0 and (tmp_path / "plain.retell" / "llm.json").is_file()


def test_import_refuses_to_write_over_its_own_input(tmp_path, capsys):
    source = tmp_path / "a.yaml"
    shutil.copy(FIXTURES / "livekit_agent.yaml", source)
    code, _, err = run(capsys, "import", str(source), "--from", "livekit", "--out", str(source))
    assert code == 2 and "being imported" in err


# -- hostile files: a clear message, exit code 2, no traceback -----------------------------
def _deep_json(levels: int) -> str:
    return '{"model": ' * levels + "1" + "}" * levels


HOSTILE = {
    "not_json.json": ("vapi", "this is not { json", "not valid JSON"),
    "binary.json": ("vapi", b"\xff\xfe\x00\x01garbage", "not UTF-8"),
    "empty.json": ("elevenlabs", "   \n", "empty"),
    "list.json": ("vapi", "[1, 2, 3]", "a JSON object, not list"),
    "deep.json": ("vapi", _deep_json(5000), "nested"),
    "deep_ok_parse.json": ("vapi", _deep_json(80), "nested more than 64"),
    "wrong_phrases.json": (
        "vapi",
        '{"model": {}, "endCallPhrases": "bye"}',
        "endCallPhrases: expected a list, got text",
    ),
    "wrong_model.json": ("vapi", '{"model": [1]}', "model"),
    "wrong_silence.json": (
        "vapi",
        '{"model": {}, "silenceTimeoutSeconds": "30"}',
        "silenceTimeoutSeconds: expected a number, got text",
    ),
    "wrong_tool.json": (
        "vapi",
        '{"model": {"tools": [{"type": "endCall", "function": {"name": 5}}]}}',
        "model.tools[0].function.name: expected text, got a number",
    ),
    "bad_name.json": (
        "vapi",
        '{"model": {"tools": [{"type": "endCall", "function": {"name": "end call now"}}]}}',
        "the console cannot hold end_call.name",
    ),
    "el_wrong.json": (
        "elevenlabs",
        '{"conversation_config": {"turn": {"silence_end_call_timeout": true}}}',
        "expected a number",
    ),
    "retell_unknown.json": ("retell", '{"hello": 1}', "neither a Retell agent"),
    "retell_state.json": (
        "retell",
        '{"general_prompt": "x", "states": [{"name": "has space"}]}',
        "a state needs a name",
    ),
    "bomb.yaml": (
        "livekit",
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "more than 200,000 values",
    ),
    "bad.yaml": ("livekit", "instructions: [unclosed", "not valid YAML"),
    "number_key.yaml": ("livekit", "instructions: hi\ntools:\n  1: end_call\n", "not text"),
    "syntax.py": ("livekit", "def broken(:\n", "not valid Python"),
    "nul.py": ("livekit", "x = 1\x00\n", "not valid Python"),
    "wrong_kind.json": ("vapi", '{"conversation_config": {"agent": {}}}', "ElevenLabs"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_give_a_clear_message_and_exit_2(tmp_path, capsys, name):
    platform, content, expected = HOSTILE[name]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, stdout, err = run(capsys, "import", str(path), "--from", platform)
    assert code == 2, stdout
    assert expected in err
    assert err.startswith("error: ") and "Traceback" not in err + stdout
    assert not (tmp_path / f"{path.stem}.console.yaml").exists()


def test_huge_file_is_refused_before_reading(tmp_path, capsys):
    path = tmp_path / "huge.json"
    with path.open("wb") as f:
        f.truncate(6 * 1024 * 1024)  # sparse: no disk space used
    code, _, err = run(capsys, "import", str(path), "--from", "vapi")
    assert code == 2 and "a platform export is at most" in err


def test_not_a_regular_file_and_missing_file(tmp_path, capsys):
    code, _, err = run(capsys, "import", str(tmp_path), "--from", "vapi")
    assert code == 2 and "not a regular file" in err
    code, _, err = run(capsys, "import", str(tmp_path / "nope.json"), "--from", "vapi")
    assert code == 2 and "file not found" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "import", str(fifo), "--from", "vapi")
    assert code == 2 and "not a regular file" in err


def test_two_retell_agent_files_are_refused(capsys):
    agent = str(FIXTURES / "retell_agent.json")
    code, _, err = run(capsys, "import", agent, agent, "--from", "retell")
    assert code == 2 and "two Retell agent files" in err


def test_terminal_escapes_in_a_file_are_not_printed(tmp_path, capsys):
    path = tmp_path / "esc.json"
    path.write_text(json.dumps({"name": "x\x1b[2Jy", "model": {}, "bogus\x1b]0;t\x07": 1}))
    code, stdout, _ = run(capsys, "import", str(path), "--from", "vapi")
    assert code == 0 and "\x1b" not in stdout and "\x07" not in stdout
