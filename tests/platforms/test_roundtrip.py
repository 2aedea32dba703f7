"""Import -> console config -> export gives the same value for every mapped field, and
nothing in a platform file is dropped without a word in the import report."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

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


def _leaves(data, prefix=()):
    """Every leaf of a document as a path of keys and indices (an empty object or list is
    a leaf too)."""
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from _leaves(value, (*prefix, key))
    elif isinstance(data, list) and data:
        for i, value in enumerate(data):
            yield from _leaves(value, (*prefix, i))
    else:
        yield prefix


def _resolved(address, data):
    """An address as a path of keys and indices (`states[name=end]` -> ("states", 1))."""
    out, node = [], data
    for seg in P.parse(address):
        if isinstance(seg, tuple):
            key, value = seg
            items = node if isinstance(node, list) else []
            seg = next(
                (
                    i
                    for i, x in enumerate(items)
                    if isinstance(x, dict) and str(x.get(key)) == value
                ),
                None,
            )
            if seg is None:
                return None
        out.append(seg)
        node = node[seg] if isinstance(node, dict | list) and _has(node, seg) else None
    return tuple(out)


def _has(node, seg):
    return seg in node if isinstance(node, dict) else isinstance(seg, int) and seg < len(node)


def _silent(platform, paths):
    """The leaves of the files that neither a binding nor a report line covers."""
    docs = adapter(platform).read(paths)
    imported = import_files(paths, platform)
    covered = set()
    for item in imported.report.items:
        doc, _, where = item.where.partition(": ")
        targets = [doc] if where and doc in docs else list(docs)
        where = where if where and doc in docs else item.where
        for name in targets if where else []:
            address = _resolved(where, docs[name])
            if address:
                covered.add((name, address))
    for b in imported.bindings:
        address = _resolved(b.path, docs[b.doc]) if b.doc in docs else None
        if address:
            covered.add((b.doc, address))
    return [
        f"{name}: {'.'.join(map(str, leaf))}"
        for name, data in docs.items()
        for leaf in _leaves(data)
        if not any((name, leaf[:n]) in covered for n in range(1, len(leaf) + 1))
    ]


DATA_CASES = [c for c in CASES if not c[1][0].endswith(".py")]


@pytest.mark.parametrize("case", DATA_CASES, ids=case_id)
def test_no_field_is_dropped_silently(case):
    """Every leaf of every file, or one of its parents, is mapped (a binding reads it) or
    named in the import report: nested fields too (ElevenLabs'
    conversation.text_only was in no report line)."""
    platform, names = case
    assert _silent(platform, files(names)) == []


def _objects(data, prefix=()):
    if isinstance(data, dict):
        yield prefix
    if isinstance(data, dict | list):
        for key, value in data.items() if isinstance(data, dict) else enumerate(data):
            yield from _objects(value, (*prefix, key))


@pytest.mark.parametrize("case", DATA_CASES, ids=case_id)
def test_a_new_field_anywhere_is_reported(case, tmp_path):
    """A field the fixtures do not have, put in each object of each file in turn (a
    platform adds fields all the time), is still covered by the report."""
    platform, names = case
    for name in names:
        original = files([name])[0]
        data = yaml.safe_load(original.read_text())
        for where in _objects(data):
            changed = copy.deepcopy(data)
            node = changed
            for key in where:
                node = node[key]
            node["added_by_the_platform"] = {"nested": [1]}
            out = tmp_path / name
            out.write_text(json.dumps(changed))
            paths = [out if n == name else files([n])[0] for n in names]
            assert _silent(platform, paths) == [], ".".join(map(str, where))


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


def test_elevenlabs_nested_fields_without_a_console_equivalent_say_why():
    report = import_files(files(["elevenlabs_full.json"]), "elevenlabs").report
    why = {i.where: i.message for i in report.of("not_mapped")}
    assert "spoken" in why["conversation_config.conversation.text_only"]
    assert "client widget" in why["conversation_config.conversation.client_events"]
