"""Property-based fuzzing of everything a user hands the console: configs (data and
files), prompts, caller words, scenario files, event logs, session folders and damaged
recordings. Each either works or is refused
with a message naming the problem; no other exception escapes.

Session folders are generated in any structure, not only with random bytes: a folder,
a symbolic link (to /dev/zero, /etc/passwd, a folder, nowhere) or a FIFO where a file
should be, and valid JSON of the wrong types. Every property checks what must hold, not
only that nothing raised: the status, what recovery may touch, what a report shows.

CI runs 150 cases per property; `HYPOTHESIS_PROFILE=long pytest tests/fuzz` runs 10,000
per property (a few minutes on 2 cores), `medium` 1,000.
"""

from __future__ import annotations

import dataclasses
import json
import os
import string
import typing
import zipfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from console.agent.lints import lint_data
from console.agent.offline import OfflineAgent
from console.audio.playback import RecordingUnreadable
from console.core import events as ev
from console.core.config import ConfigError, load_config, parse_config
from console.core.eventlog import event_problem, read_events
from console.scenario.model import ScenarioError, load_scenario
from console.session.layout import RECORDING_FILE
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


def _record_lines(raw: bytes) -> int:
    return sum(1 for line in raw.split(b"\n") if line.strip())


@given(st.binary(max_size=5000))
def test_any_event_log(tmp_path_factory, raw):
    """Each non-blank line becomes one event or one problem naming it; no event comes
    back with a field of the wrong type."""
    path = tmp_path_factory.mktemp("e") / "events.jsonl"
    path.write_bytes(raw)
    events, problems = read_events(path)
    assert len(events) + len(problems) == _record_lines(raw), (events, problems)
    assert all(p.strip() and "Traceback" not in p for p in problems)
    assert all(event_problem(e) == "" for e in events)


# JSON data that compares equal after a round trip (no NaN): for fields of type Any.
plain_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**9), 10**9),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=40),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def _valid_value(hint: typing.Any) -> st.SearchStrategy:
    """Values of the type an event field declares (plain JSON data)."""
    args = typing.get_args(hint)
    if hint is float:
        return st.floats(0, 1e6, allow_nan=False)
    if hint is int:
        return st.integers(0, 10**6)
    if hint is bool:
        return st.booleans()
    if hint is str:
        return st.text(max_size=40)
    if typing.get_origin(hint) is dict:
        return st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)
    if typing.get_origin(hint) is list:
        return st.lists(_valid_value(args[0]), max_size=3)
    if type(None) in args:
        return st.one_of(st.none(), _valid_value(next(a for a in args if a is not type(None))))
    return plain_json  # Any


# For each declared type, values that are certainly not of it.
_WRONG: dict[typing.Any, list] = {
    float: ["abc", float("nan"), float("inf"), -float("inf"), 1e300, [1.0], True, None],
    int: ["7", 1.5, True, None, [1], 2**60],
    bool: ["yes", 1, None, 0.0],
    str: [5, 1.5, None, True, ["x"], {"a": "b"}],
}


def _wrong_values(hint: typing.Any) -> list:
    args = typing.get_args(hint)
    if type(None) in args:  # float | None: None is right, the rest of float's wrongs are not
        base = next(a for a in args if a is not type(None))
        return [v for v in _wrong_values(base) if v is not None]
    if typing.get_origin(hint) is dict:
        return [[1, 2], "x", 3, {"k": 5}]
    if typing.get_origin(hint) is list:
        return [{"a": "b"}, "x", [1, 2], [None]]
    return _WRONG.get(hint, [])


_EVENT_CLASSES = list(ev.EVENT_TYPES.values())


@st.composite
def event_records(draw) -> tuple[dict, str]:
    """(an event as its JSON object, "" if it is valid, else the field made wrong)."""
    cls = draw(st.sampled_from(_EVENT_CLASSES))
    hints = typing.get_type_hints(cls)
    record: dict[str, typing.Any] = {"kind": cls.kind}
    for f in dataclasses.fields(cls):
        record[f.name] = draw(_valid_value(hints[f.name]))
    wrongable = [f.name for f in dataclasses.fields(cls) if _wrong_values(hints[f.name])]
    wrongable = [n for n in wrongable if n != "seq"]  # seq is set by the test below
    if draw(st.booleans()) and wrongable:
        name = draw(st.sampled_from(wrongable))
        record[name] = draw(st.sampled_from(_wrong_values(hints[name])))
        return record, name
    return record, ""


@given(st.lists(event_records(), max_size=12))
def test_any_event_log_of_valid_json_with_wrong_types(tmp_path_factory, records):
    """Valid JSON, wrong types: each good event comes back exactly, each bad one is left
    out with a problem naming its field."""
    path = tmp_path_factory.mktemp("e") / "events.jsonl"
    for seq, (record, _) in enumerate(records, start=1):
        record["seq"] = seq
    path.write_text("".join(json.dumps(r) + "\n" for r, _ in records))
    events, problems = read_events(path)
    good = [r for r, wrong in records if not wrong]
    assert [e.to_dict() for e in events] == good
    bad = [(r["seq"], wrong) for r, wrong in records if wrong]
    assert len(problems) == len(bad), problems
    for (seq, name), problem in zip(bad, problems, strict=True):
        assert problem.startswith(f"event {seq} ") and f"field {name!r}" in problem, problem


SESSION_FILES = ["session.json", "events.jsonl", "config_versions.jsonl", "recording.wav"]
STATUSES = {"complete", "recording", "crashed", "recovered", "damaged"}


def _meta_json() -> st.SearchStrategy[bytes]:
    meta = st.fixed_dictionaries(
        {},
        optional={
            "status": st.one_of(st.sampled_from(["complete", "recording", "recovered"]), scalars),
            "pid": st.one_of(st.just(-1), st.just(2**22 + 7), scalars),
            "bug": st.one_of(
                st.fixed_dictionaries({"marked": scalars, "note": scalars}), json_like
            ),
            "duration_s": scalars,
            "devices": json_like,
            "models": json_like,
            "name": scalars,
        },
    )
    return meta.map(lambda d: json.dumps(d).encode())


def _lines_json() -> st.SearchStrategy[bytes]:
    line = st.one_of(
        event_records().map(lambda r: r[0]),
        st.fixed_dictionaries(
            {"version": scalars, "t": scalars, "config": st.one_of(json_like, config_like)}
        ),
        json_like,
    )
    return st.lists(line, max_size=6).map(
        lambda ls: "".join(json.dumps(x) + "\n" for x in ls).encode()
    )


# What can stand where a session file should be.
entries = st.one_of(
    st.tuples(st.just("bytes"), st.binary(max_size=1500)),
    st.tuples(st.just("bytes"), _meta_json()),
    st.tuples(st.just("bytes"), _lines_json()),
    st.tuples(
        st.sampled_from(
            ["folder", "fifo", "link:/dev/zero", "link:/etc/passwd", "link:/", "link:nowhere"]
        ),
        st.just(b""),
    ),
)


def _make(path: Path, kind: str, content: bytes) -> None:
    if kind == "bytes":
        path.write_bytes(content)
    elif kind == "folder":
        path.mkdir()
        (path / "inside").write_text("x")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind.split(":", 1)[1])


class _Tags(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags[tag] += 1


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for p in sorted(folder.iterdir()):
        if p.is_symlink():
            out[p.name] = "link:" + os.readlink(p)
        elif p.is_file():
            out[p.name] = p.read_bytes()
        else:
            out[p.name] = "folder" if p.is_dir() else "other"
    return out


def _regular_names(folder: Path) -> set[str]:
    import stat

    return {
        p.name
        for p in folder.iterdir()
        if stat.S_ISREG(os.lstat(p).st_mode) and not p.name.startswith(".")
    }


_GOOD_META = ("bytes", json.dumps({"status": "complete", "pid": 1}).encode())
_CRASHED_META = ("bytes", json.dumps({"status": "recording", "pid": -1}).encode())


@given(
    st.dictionaries(
        st.sampled_from([*SESSION_FILES, "report.html", "notes.txt"]), entries, max_size=6
    )
)
# A SIP row with no message (found by this test): the timeline read its first word.
@example(
    {
        "session.json": _GOOD_META,
        "events.jsonl": (
            "bytes",
            b'{"kind": "sip", "t": 0.0, "config_version": 0, "seq": 0, "message": "", '
            b'"direction": "", "status": null, "detail": ""}\n',
        ),
    }
)
# Each kind of non-file in each place, beside a session.json that is fine: always tried.
@example({"session.json": _GOOD_META, "events.jsonl": ("link:/etc/passwd", b"")})
@example({"session.json": _CRASHED_META, "events.jsonl": ("link:/dev/zero", b"")})
@example({"session.json": _CRASHED_META, "events.jsonl": ("folder", b"")})
@example({"session.json": _GOOD_META, "config_versions.jsonl": ("fifo", b"")})
@example({"session.json": _CRASHED_META, "recording.wav": ("link:/etc/passwd", b"")})
@example({"session.json": _GOOD_META, "report.html": ("link:/etc/passwd", b"")})
@example({"session.json": ("link:/etc/passwd", b"")})
@example({"session.json": ("folder", b"")})
def test_any_session_folder(tmp_path_factory, files):
    """Any structure: the folder opens with a known status, a session whose files are
    not files is damaged and recovery leaves it exactly as it was, and the reports show
    what they can without a single tag or zip entry they should not have."""
    from markdown_it import MarkdownIt

    from console.session.export import to_html, to_markdown, to_zip
    from console.session.reader import list_sessions, recover
    from console.session.replay import session_to_scenario

    root = tmp_path_factory.mktemp("sessions")
    folder = root / "20261124-101500-call"
    folder.mkdir()
    for name, (kind, content) in files.items():
        _make(folder / name, kind, content)
    session = open_session(folder)  # never raises
    assert session.status in STATUSES
    assert all(isinstance(p, str) and p.strip() for p in session.problems)
    not_files = [n for n in SESSION_FILES if n in files and files[n][0] != "bytes"]
    if not_files or "session.json" not in files:
        assert session.status == "damaged", (not_files, session.problems)
    for name in not_files:
        assert any(p.startswith(name) for p in session.problems), (name, session.problems)
    (listed,) = list_sessions(root)
    assert listed.status == session.status
    before = _snapshot(folder)
    done = recover(session)
    assert done and all(isinstance(line, str) and line.strip() for line in done)
    if session.damaged:
        assert done[0].startswith("not recovered") and _snapshot(folder) == before
    session = open_session(folder)

    md = to_markdown(session)
    tags = _Tags(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)).tags
    assert tags["h2"] == 1 and tags["h1"] == 0 and tags["img"] == 0 and tags["a"] == 0, tags
    assert tags["script"] == 0 and tags["details"] == 1, tags
    page = _Tags(to_html(session)).tags
    assert page["script"] == 0 and page["img"] == 0 and page["h1"] == 1, page
    regular = _regular_names(folder)
    dest = tmp_path_factory.mktemp("zip") / "s.zip"
    to_zip(session, dest)
    with zipfile.ZipFile(dest) as z:
        names = z.namelist()
    assert len(names) == len(set(names))
    for name in names:
        inside = name.split("/", 1)[1]
        assert inside in ("report.html", "report.md") or inside.split("/")[-1] in regular, name
    try:
        scenario = session_to_scenario(session)
    except ValueError as exc:
        assert str(exc).strip()
    else:
        yaml.safe_dump(scenario)


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
# What a crash leaves (either size field stale) and what a hostile file says (no
# channels, a rate of 1, 65535 bits), always tried besides the random cases.
@example(pokes=[(5, 0x7F)], cut=None, tail=b"")
@example(pokes=[(41, 0x00)], cut=None, tail=b"")
@example(pokes=[(22, 0), (23, 0)], cut=None, tail=b"")
@example(pokes=[(24, 1), (25, 0), (26, 0), (27, 0)], cut=None, tail=b"")
@example(pokes=[(34, 0xFF), (35, 0xFF)], cut=None, tail=b"")
@example(pokes=[], cut=20_000, tail=b"\x01")
def test_any_damaged_recording(tmp_path_factory, pokes, cut, tail):
    """A recording with a bad header, cut anywhere, or with junk after it: the session
    opens and names the problem, recovery repairs it or says why, the report is written,
    and the player loads it or refuses it with a message."""
    from console.audio.playback import RecordingPlayer
    from console.audio.recorder import wav_problem
    from console.session.export import to_html
    from console.session.reader import recover

    folder = tmp_path_factory.mktemp("session")
    (folder / "session.json").write_text('{"status": "recording", "pid": -1}')
    wav = _good_wav(folder)
    raw = bytearray(wav.read_bytes())
    original = bytes(raw)
    for offset, value in pokes:
        raw[offset] = value
    if cut is not None:
        raw = raw[:cut]
    wav.write_bytes(bytes(raw) + tail)
    size = len(raw) + len(tail)
    problem = wav_problem(wav)
    if problem == "":
        # Nothing wrong said: then the file really is a sane 16-bit PCM WAV whose header
        # matches its size, by soundfile's reading of it too.
        import soundfile as sf

        info = sf.info(str(wav))
        assert info.subtype == "PCM_16" and 1 <= info.channels <= 8
        assert info.samplerate >= 8000 and info.frames * info.channels * 2 == size - 44
        assert int.from_bytes(wav.read_bytes()[4:8], "little") == size - 8
    else:
        assert problem.strip() and "Traceback" not in problem
    session = open_session(folder)
    if problem:
        assert any(problem in p for p in session.problems), (problem, session.problems)
    done = recover(session)
    assert done and all(line.strip() for line in done)
    # Only the two size fields are stale after a crash; with the rest of the header
    # intact (and the file long enough), recovery must leave a WAV with no problem at all.
    format_bytes_intact = (cut is None or cut >= 44) and all(
        value == original[offset] for offset, value in pokes if offset in FORMAT_BYTES
    )
    if format_bytes_intact:
        assert wav_problem(wav) == "", (wav_problem(wav), done)
        data = wav.read_bytes()
        assert int.from_bytes(data[4:8], "little") == len(data) - 8
        assert int.from_bytes(data[40:44], "little") == len(data) - 44
    session = open_session(folder)
    to_html(session)
    try:
        player = RecordingPlayer(wav)
    except RecordingUnreadable as exc:
        assert str(exc).strip()
    else:
        assert player.duration >= 0


# Header bytes that say what the audio is (everything but the two size fields).
FORMAT_BYTES = set(range(0, 4)) | set(range(8, 40))
