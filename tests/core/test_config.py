from __future__ import annotations

import json

import pytest
import yaml

from console.core.config import (
    CallConfig,
    ConfigError,
    ConfigStore,
    config_schema,
    dump_config,
    load_config,
    parse_config,
    save_config,
)


@pytest.mark.parametrize("name", ["end_call", "_x", "EndCall", "a-b_c9", "a" * 64])
def test_valid_tool_names(name):
    assert parse_config({"end_call": {"name": name}}).end_call.name == name


@pytest.mark.parametrize("name", ["", "end call", "9lives", "-x", "a" * 65, "end.call", "é"])
def test_invalid_tool_names_name_the_field_and_the_rule(name):
    with pytest.raises(ConfigError) as info:
        parse_config({"end_call": {"name": name}})
    (problem,) = info.value.problems
    assert problem.field == "end_call.name"
    assert "valid tool name" in problem.message and "64" in problem.message


def test_unknown_field_is_named():
    with pytest.raises(ConfigError) as info:
        parse_config({"end_call": {"skip_goodby": True}})
    assert str(info.value.problems[0]) == "end_call.skip_goodby: unknown field (check the spelling)"


def test_wrong_type_and_range_are_named():
    with pytest.raises(ConfigError) as info:
        parse_config({"agent": {"turn_taking": {"drop_guard_ms": -5, "barge_in": "maybe"}}})
    fields = {p.field for p in info.value.problems}
    assert fields == {"agent.turn_taking.drop_guard_ms", "agent.turn_taking.barge_in"}


def test_non_mapping_config():
    with pytest.raises(ConfigError, match="mapping"):
        parse_config(["end_call"])


def test_version_grows_with_every_accepted_edit_only():
    store = ConfigStore()
    assert store.version == 1
    assert store.edit({"end_call.skip_goodbye": True}).version == 2
    refused = store.edit({"end_call.name": "bad name"})
    assert not refused.accepted and store.version == 2
    assert store.current.end_call.skip_goodbye is True  # last valid config in force
    assert store.edit({"end_call.skip_goodbye": True}).version == 2  # no change, no version
    assert store.edit({"agent.voice.rate_wpm": 200}).version == 3
    assert [v for v, _ in store.history] == [1, 2, 3]


def test_edit_is_atomic():
    store = ConfigStore()
    result = store.edit({"end_call.skip_goodbye": True, "end_call.name": "no good"})
    assert not result.accepted
    assert store.current.end_call.skip_goodbye is False


def test_edit_unknown_path():
    result = ConfigStore().edit({"end_call.nope": 1})
    assert not result.accepted and result.problems[0].field == "end_call.nope"


def test_edit_reports_changes():
    result = ConfigStore().edit({"end_call.goodbye_prompt": "Say 'bye'"})
    assert result.changes == [("end_call.goodbye_prompt", "", "Say 'bye'")]


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_save_and_load_round_trip(tmp_path, suffix):
    config = parse_config(
        {
            "end_call": {"name": "hang_up", "skip_goodbye": True},
            "agent": {"variables": {"contact_name": "Ana"}},
        }
    )
    path = tmp_path / f"c{suffix}"
    save_config(config, path)
    assert load_config(path) == config
    text = path.read_text()
    data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    assert data["end_call"]["name"] == "hang_up"


def test_broken_files_give_clear_messages(tmp_path):
    bad_json = tmp_path / "c.json"
    bad_json.write_text("{ nope")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(bad_json)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.yaml")
    binary = tmp_path / "c.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(binary)


def test_yaml_is_loaded_safely(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("end_call: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(evil)


def test_main_prompt_file_is_read_relative_to_the_config(tmp_path):
    (tmp_path / "p.md").write_text('1. Ask "Hi?"')
    path = tmp_path / "c.yaml"
    path.write_text("agent:\n  main_prompt_file: p.md\n")
    assert load_config(path).agent.main_prompt == '1. Ask "Hi?"'
    path.write_text("agent:\n  main_prompt_file: nope.md\n")
    with pytest.raises(ConfigError, match=r"agent\.main_prompt_file"):
        load_config(path)


def test_schema_describes_the_config():
    schema = config_schema()
    end_call = schema["$defs"]["EndCallAction"]["properties"]
    assert set(end_call) == {
        "name",
        "description",
        "skip_goodbye",
        "goodbye_prompt",
        # the platforms' hang-up features (console/platforms), off by default
        "enabled",
        "goodbye_message",
        "phrases",
        "phrase_match",
    }
    assert end_call["name"]["pattern"].startswith("^[A-Za-z_]")
    import jsonschema

    jsonschema.validate(json.loads(dump_config(CallConfig(), "json")), schema)
