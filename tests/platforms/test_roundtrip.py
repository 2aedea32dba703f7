"""Import -> console config -> export gives the same value for every mapped field, and
nothing in a platform file is dropped without a word in the import report."""

from __future__ import annotations

import json

import pytest

from console.core.config import load_config, save_config
from console.platforms import adapter, export_config, import_files
from console.platforms import paths as P
from console.platforms.paths import KEEP
from tests.platforms.helpers import CASES, case_id, files, parse_output


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_binding_gives_back_the_value_it_read(case):
    platform, names = case
    imported = import_files(files(names), platform)
    assert imported.bindings, "an import that maps nothing"
    checked = 0
    for b in imported.bindings:
        new = b.value(imported.config)
        if new is KEEP or b.doc == "code":
            continue
        assert new == P.get(imported.docs[b.doc], b.path), f"{b.doc}: {b.path}"
        checked += 1
    if platform != "livekit" or names[0].endswith(".yaml"):
        assert checked, "no binding wrote a value back"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_export_against_the_original_changes_nothing(case):
    platform, names = case
    paths = files(names)
    imported = import_files(paths, platform)
    out = export_config(imported.config, platform, paths)
    assert out.changes == []
    assert out.diff == ""
    original = adapter(platform).read(paths)
    rendered = adapter(platform).render(original)
    assert set(out.files) == set(rendered)
    for name, text in out.files.items():
        assert parse_output(name, text) == parse_output(name, rendered[name]), name


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_a_saved_and_reloaded_config_still_round_trips(case, tmp_path):
    platform, names = case
    paths = files(names)
    imported = import_files(paths, platform)
    saved = tmp_path / "imported.yaml"
    save_config(imported.config, saved)
    reloaded = load_config(saved)
    assert reloaded == imported.config
    assert export_config(reloaded, platform, paths).changes == []


@pytest.mark.parametrize("case", [c for c in CASES if c[1][0].endswith(".json")], ids=case_id)
def test_no_top_level_field_is_dropped_silently(case):
    platform, names = case
    imported = import_files(files(names), platform)
    said = " ".join(f"{i.where} " for i in imported.report.items)
    for path in files(names):
        data = json.loads(path.read_text())
        for key in data:
            assert f"{key} " in said or f"{key}." in said or f"{key}[" in said, key


@pytest.mark.parametrize(
    ("platform", "name", "unknown"),
    [
        ("vapi", "vapi_new.json", "dentalOfficeCode"),
        ("retell", "retell_agent.json", "agent: regional_override"),
        ("retell", "retell_llm.json", "llm: custom_flag"),
        ("elevenlabs", "elevenlabs_full.json", "clinic_region"),
    ],
)
def test_unknown_fields_are_reported(platform, name, unknown):
    report = import_files(files([name]), platform).report
    assert unknown in [i.where for i in report.of("unknown")]
    assert unknown in report.text()


def test_known_fields_without_a_console_equivalent_say_why():
    report = import_files(files(["vapi_new.json"]), "vapi").report
    voice = next(i for i in report.of("not_mapped") if i.where == "voice")
    assert "voice" in voice.message
    assert "model.tools[0]" in [i.where for i in report.of("not_mapped")]  # transferCall
