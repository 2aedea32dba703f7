"""Property-based fuzzing of everything a user hands the console: configs (data and
files), prompts, caller words, scenario files, event logs, session folders and damaged
recordings. Each either works or is refused
with a message naming the problem; no other exception escapes.

CI runs 150 cases per property; `HYPOTHESIS_PROFILE=long pytest tests/fuzz` runs 10,000
per property (a few minutes on 2 cores), `medium` 1,000.
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.agent.lints import lint_data
from console.agent.offline import OfflineAgent
from console.audio.playback import RecordingUnreadable
from console.core.config import ConfigError, load_config, parse_config
from console.core.eventlog import read_events
from console.scenario.model import ScenarioError, load_scenario
from console.session.reader import open_session
from console.session.writer import RECORDING_FILE

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "medium",
    max_examples=1_000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=True),
    st.text(max_size=300),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=20), inner, max_size=5)
    ),
    max_leaves=30,
)
fields = st.sampled_from(["name", "description", "skip_goodbye", "goodbye_prompt"])
config_like = st.fixed_dictionaries(
    {},
    optional={
        "end_call": st.dictionaries(fields, scalars, max_size=4),
        "agent": st.dictionaries(
            st.sampled_from(
                ["main_prompt", "greeting", "name", "variables", "turn_taking", "voice"]
            ),
            json_like,
            max_size=4,
        ),
    },
)
prompt_text = st.text(alphabet=string.printable + "“”'\"—é漢", max_size=2000)


@given(st.one_of(json_like, config_like))
def test_any_config_data_is_accepted_or_refused_by_field(data):
    try:
        parse_config(data)
    except ConfigError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
    lint_data(data)  # lints never raise either


@given(prompt_text, st.text(max_size=300), st.text(max_size=300))
def test_any_prompt_and_caller_words(prompt, description, words):
    config = parse_config(
        {"agent": {"main_prompt": prompt}, "end_call": {"description": description}}
    )
    agent = OfflineAgent()
    agent.start(config)
    decision = agent.respond(config, words, 1)
    if decision.end is not None:
        assert decision.end.action_name == "end_call"
        assert agent.goodbye(config, decision.end).text


@given(st.binary(max_size=3000))
def test_any_scenario_file(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("s") / "s.yaml"
    path.write_bytes(raw)
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert str(exc)


@given(st.binary(max_size=5000))
def test_any_event_log(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("e") / "events.jsonl"
    path.write_bytes(raw)
    _events, problems = read_events(path)
    assert all(isinstance(p, str) for p in problems)


@given(
    st.dictionaries(
        st.sampled_from(["session.json", "events.jsonl", "config_versions.jsonl", "recording.wav"]),
        st.binary(max_size=2000),
        max_size=4,
    )
)
def test_any_session_folder(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("session")
    for name, content in files.items():
        (folder / name).write_bytes(content)
    session = open_session(folder)  # never raises
    assert session.status in (
        "complete",
        "recording",
        "crashed",
        "damaged",
        "recovered",
    ) or isinstance(session.status, str)
    from console.report.export import to_html, to_markdown

    to_markdown(session)
    to_html(session)


@given(
    st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
        json_like.map(lambda d: json.dumps(d).encode()),
        config_like.map(lambda d: yaml.safe_dump(d, allow_unicode=True).encode()),
    ),
    st.sampled_from(["c.json", "c.yaml", "c.yml"]),
)
def test_any_config_file(tmp_path_factory, raw, name):
    path = tmp_path_factory.mktemp("c") / name
    path.write_bytes(raw)
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(exc).strip()


def _good_wav(folder: Path) -> Path:
    from console.audio.recorder import WavWriter

    writer = WavWriter(folder / RECORDING_FILE, 16000, 2)
    t = np.arange(8000, dtype=np.float32) / 16000
    writer.write(np.stack([np.sin(2 * np.pi * 440 * t), np.zeros_like(t)], axis=1) * 0.3)
    writer.close()
    return folder / RECORDING_FILE


@given(
    st.lists(st.tuples(st.integers(0, 59), st.integers(0, 255)), max_size=8),  # header bytes
    st.one_of(st.none(), st.integers(0, 32_100)),  # cut the file here
    st.binary(max_size=50),  # then append this
)
def test_any_damaged_recording(tmp_path_factory, pokes, cut, tail):
    """A recording with a bad header, cut anywhere, or with junk after it: the session
    opens and names the problem, recovery repairs it or says why, the report is written,
    and the player loads it or refuses it with a message."""
    from console.audio.playback import RecordingPlayer
    from console.audio.recorder import wav_problem
    from console.report.export import to_html
    from console.session.reader import recover

    folder = tmp_path_factory.mktemp("session")
    (folder / "session.json").write_text('{"status": "recording", "pid": -1}')
    wav = _good_wav(folder)
    raw = bytearray(wav.read_bytes())
    for offset, value in pokes:
        raw[offset] = value
    if cut is not None:
        raw = raw[:cut]
    wav.write_bytes(bytes(raw) + tail)
    assert isinstance(wav_problem(wav), str)
    session = open_session(folder)
    for line in recover(session):
        assert line.strip()
    session = open_session(folder)
    to_html(session)
    try:
        player = RecordingPlayer(wav)
    except RecordingUnreadable as exc:
        assert str(exc).strip()
    else:
        assert player.duration >= 0
