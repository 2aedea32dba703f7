"""Property-based fuzzing of everything a user hands the console: configs, prompts, caller
words, scenario files, event logs and session folders. Each either works or is refused
with a message naming the problem; no other exception escapes.

CI runs 150 cases per property; `HYPOTHESIS_PROFILE=long pytest tests/fuzz` runs 10,000
(about half an hour on 2 cores), `medium` 1,000.
"""

from __future__ import annotations

import os
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.agent.lints import lint_data
from console.agent.offline import OfflineAgent
from console.core.config import ConfigError, parse_config
from console.core.eventlog import read_events
from console.scenario.model import ScenarioError, load_scenario
from console.session.reader import open_session

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
