"""One bad session folder never stops the console: not `sessions list`, `recover`,
`export` or `replay`, not the other sessions beside it, and not the window's start.

Each damage below is made on a real saved session (with a recording), next to a good
complete session and a crashed one. The commands run in a child process with capped
memory and a timeout, as a user runs them; each must end with a message and an exit
code, never a traceback, and the damaged session must be named, not repaired.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from console.core import events as ev
from console.scenario.model import load_scenario
from console.scenario.runner import run_scenario
from console.session.reader import open_session, recover
from tests.conftest import ASSETS, ROOT

SEED = ASSETS / "scenarios" / "01-seed-no-to-ready.yaml"
DEEP = "[" * 100_000 + "]" * 100_000


def saved_session(root: Path) -> Path:
    scenario, config = load_scenario(SEED)
    result = run_scenario(scenario, config, sessions_dir=root)
    assert result.session_dir is not None
    rate, seconds = 16000, 3.0
    t = np.arange(int(rate * seconds)) / rate
    sf.write(
        result.session_dir / "recording.wav",
        np.stack([0.2 * np.sin(2 * np.pi * 220 * t)] * 2, 1),
        rate,
        subtype="PCM_16",
    )
    return result.session_dir


def crashed(folder: Path) -> None:
    meta = json.loads((folder / "session.json").read_text())
    meta.update(status="recording", pid=2**22 + 4242)
    (folder / "session.json").write_text(json.dumps(meta))
    raw = (folder / "events.jsonl").read_bytes()
    (folder / "events.jsonl").write_bytes(raw[:-30])


def replace(folder: Path, name: str, make: Callable[[Path], None]) -> None:
    path = folder / name
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    make(path)


def append_lines(name: str, *lines: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        with open(folder / name, "a", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line + "\n")

    return damage


def wrong_types_meta(folder: Path) -> None:
    meta = json.loads((folder / "session.json").read_text())
    meta.update(pid="x", bug="yes", duration_s="inf", devices=[1, 2], models=7)
    (folder / "session.json").write_text(json.dumps(meta))


EVENT = '{{"kind": "{kind}", "t": {t}, "config_version": 1, "seq": 900{extra}}}'
DAMAGES: dict[str, Callable[[Path], None]] = {
    "events.jsonl is a folder": lambda f: replace(f, "events.jsonl", lambda p: p.mkdir()),
    "events.jsonl links to /dev/zero": lambda f: replace(
        f, "events.jsonl", lambda p: p.symlink_to("/dev/zero")
    ),
    "events.jsonl is a FIFO": lambda f: replace(f, "events.jsonl", lambda p: os.mkfifo(p)),
    "events.jsonl has 100,000 nested brackets": append_lines("events.jsonl", DEEP),
    "events of the wrong types": append_lines(
        "events.jsonl",
        EVENT.format(
            kind="notice", t='"abc"', extra=', "level": "w", "source": "s", "message": "m"'
        ),
        EVENT.format(
            kind="caller_speech", t=1, extra=', "text": 5, "start": 1, "end": 2, "turn": 1'
        ),
        EVENT.format(kind="notice", t=1, extra=', "level": "", "source": "s", "message": "m"'),
        EVENT.format(kind="agent_speech", t=1, extra=', "text": "x", "start": 1, "end": Infinity'),
        EVENT.format(
            kind="model_call", t=1, extra=', "purpose": "reply", "model": "m", "tool_calls": [1]'
        ),
        EVENT.format(kind="line_dropped", t=1e300, extra=', "reason": "error"'),
        '{"kind": ["list"], "t": 1, "config_version": 1}',
        '{"kind": "goodbye", "t": 1, "config_version": "1", "text": "x", "source": "s", '
        '"start": 1, "end": NaN}',
    ),
    "session.json is a folder": lambda f: replace(f, "session.json", lambda p: p.mkdir()),
    "session.json links to /etc/passwd": lambda f: replace(
        f, "session.json", lambda p: p.symlink_to("/etc/passwd")
    ),
    "session.json has the wrong types": wrong_types_meta,
    "config_versions.jsonl of the wrong types": append_lines(
        "config_versions.jsonl",
        '{"version": "2", "t": 1, "config": {}}',
        '{"version": 3, "t": NaN, "config": {}}',
        '{"version": 4, "t": 1, "config": [1]}',
    ),
    "recording.wav links to /dev/zero": lambda f: replace(
        f, "recording.wav", lambda p: p.symlink_to("/dev/zero")
    ),
    "recording.wav is a folder": lambda f: replace(f, "recording.wav", lambda p: p.mkdir()),
}


def run_cli(commands: list[list[str]], timeout: float = 120) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.session.cli_driver", json.dumps(commands)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_a_damaged_session_never_stops_a_command_or_the_others(tmp_path, damage):
    root = tmp_path / "sessions"
    good = saved_session(root)
    crash = saved_session(root)
    crashed(crash)
    bad = saved_session(root)
    DAMAGES[damage](bad)
    out = tmp_path / "out"
    out.mkdir()
    commands = [
        ["sessions", "list", "--dir", str(root)],
        ["sessions", "recover", "--dir", str(root)],
        ["export", str(bad), "--format", "html", "--out", str(out / "r.html")],
        ["export", str(bad), "--format", "md", "--out", str(out / "r.md")],
        ["export", str(bad), "--format", "zip", "--out", str(out / "r.zip"), "--clip", "3"],
        ["replay", str(bad), "--out", str(out / "r.yaml")],
        ["sessions", "list", "--dir", str(root)],
    ]
    try:
        results = run_cli(commands)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{damage}: a command hung")
    for r in results:
        assert not r["raised"], f"{damage}: {r['argv']} raised:\n{r['raised']}"
        assert r["code"] in (0, 1, 2), (damage, r)
        assert "Traceback" not in r["out"] + r["err"], (damage, r)
    listing, recovery = results[0]["out"], results[1]["out"]
    # Every session is listed; the damaged one is named and left alone by recovery.
    for folder in (good, crash, bad):
        assert folder.name in listing, (damage, listing)
    assert f"recovered {crash}" in recovery, (damage, recovery)
    assert str(bad) not in recovery or f"skipped {bad}" in recovery, recovery
    assert open_session(crash).status == "recovered"
    assert open_session(good).status == "complete"
    # The damage is named where it is listed.
    bad_lines = listing.split(bad.name, 1)[1].split("\n")
    assert bad_lines[1].startswith("    ! "), (damage, listing)


def test_wrong_types_are_named_and_the_good_events_kept(tmp_path):
    folder = saved_session(tmp_path / "sessions")
    before = len(open_session(folder).events)
    DAMAGES["events of the wrong types"](folder)
    s = open_session(folder)
    # Every good event kept, every bad one left out; a notice with an empty level is
    # well-typed, so it is kept (and exports as a row of its own, see the CLI test).
    assert len(s.events) == before + 1
    text = "\n".join(s.problems)
    for named in (
        "field 't' must be a number",
        "field 'text' must be text",
        "field 'end' must be a finite number",
        "field 'tool_calls' has an item that must be a mapping",
        "field 't' must be a finite number of seconds (got float 1e+300)",
        "field 'config_version' must be a whole number",
        "its kind is not a name (list",
    ):
        assert named in text, (named, text)


def scan_for_recovery(root: Path):
    from console.session.store import SessionStore

    return SessionStore(root).recovery_scan()


def test_recovery_scan_names_damaged_sessions_and_never_raises(tmp_path):
    root = tmp_path / "sessions"
    crash = saved_session(root)
    crashed(crash)
    damaged = []
    for damage in ("events.jsonl links to /dev/zero", "session.json is a folder"):
        folder = saved_session(root)
        DAMAGES[damage](folder)
        damaged.append(folder)
    (root / "elsewhere").symlink_to(tmp_path)
    (root / "stray-file.txt").write_text("not a session")
    scan = scan_for_recovery(root)
    assert [s.folder for s in scan.crashed] == [crash]
    assert {s.folder for s in scan.damaged} == {*damaged, root / "elsewhere"}
    for folder in damaged:
        assert folder.name in scan.damaged_text()
    for s in scan.damaged:
        assert recover(open_session(s.folder))[0].startswith(
            "not recovered: this session is damaged"
        )
    assert scan_for_recovery(tmp_path / "missing").crashed == []
    (tmp_path / "a-file").write_text("x")
    assert scan_for_recovery(tmp_path / "a-file").problem.endswith("is not a folder")


def test_a_wav_header_that_makes_no_sense_is_named(tmp_path):
    from console.audio.recorder import wav_problem

    folder = saved_session(tmp_path / "sessions")
    wav = folder / "recording.wav"
    good = wav.read_bytes()
    assert wav_problem(wav) == ""
    for offset, value, named in (
        (22, (0).to_bytes(2, "little"), "its header says 0 channels"),
        (24, (1).to_bytes(4, "little"), "its header says 1 samples per second"),
        (34, (65535).to_bytes(2, "little"), "format 1, 65535 bits"),
        (20, (3).to_bytes(2, "little"), "format 3"),
        (32, (7).to_bytes(2, "little"), "does not add up"),
    ):
        wav.write_bytes(good[:offset] + value + good[offset + len(value) :])
        problem = wav_problem(wav)
        assert named in problem, (named, problem)
        assert any(named in p for p in open_session(folder).problems)


def test_recovery_repairs_the_riff_size_too(tmp_path):
    """A crash can leave either size field stale; recovery must bring both up to date
    (a player that trusts the RIFF size stops early, or reads past the end)."""
    from console.audio.recorder import wav_problem

    folder = saved_session(tmp_path / "sessions")
    crashed(folder)
    wav = folder / "recording.wav"
    raw = bytearray(wav.read_bytes())
    raw[4:8] = (1000).to_bytes(4, "little")  # only the RIFF size lags
    wav.write_bytes(bytes(raw))
    assert "RIFF size" in wav_problem(wav)
    done = recover(open_session(folder))
    assert "the recording's header was brought up to date" in done
    assert wav_problem(wav) == ""
    data = wav.read_bytes()
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    assert open_session(folder).problems == []


def test_the_window_starts_with_damaged_sessions_and_names_them(qtbot, tmp_path):
    from console.ui.sessions import SessionBrowser

    root = tmp_path / "sessions"
    good = saved_session(root)
    for damage in DAMAGES:
        DAMAGES[damage](saved_session(root))
    browser = SessionBrowser(root)
    qtbot.addWidget(browser)
    with qtbot.waitSignal(browser.refreshed, timeout=30000):
        pass
    assert len(browser.rows) == len(DAMAGES) + 1
    statuses = {s.folder: s.status for s in browser.rows}
    assert statuses[good] == "complete"
    for row, s in enumerate(browser.rows):  # each opens in the browser
        browser.table.selectRow(row)
        assert browser.session is not None and browser.session.folder == s.folder
        if s.problems:
            assert browser.problems.text() and not browser.problems.isHidden()
    browser.select(good)
    assert any(isinstance(e, ev.CallStarted) for e in browser.session.events)


def test_a_corrupt_saved_timeout_falls_back_with_a_notice(qtbot):
    from PySide6.QtCore import QSettings

    from console.agent.llm import LLMSettings
    from console.ui.llm_settings import load_settings

    q = QSettings()
    q.setValue("llm/timeout_s", "abc")
    q.setValue("llm/stream", "maybe")
    q.setValue("llm/base_url", "http://u:MARKERPW@127.0.0.1:1/v1")
    notices: list[str] = []
    settings = load_settings(notices)
    assert settings.timeout_s == LLMSettings().timeout_s and settings.stream is True
    assert settings.base_url == "http://127.0.0.1:1/v1"
    text = " ".join(notices)
    assert "'abc'" in text and "timeout" in text and "stream" in text
    assert "MARKERPW" not in text
    for key in ("llm/timeout_s", "llm/stream", "llm/base_url"):
        q.remove(key)
