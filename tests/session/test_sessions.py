"""Sessions as evidence: open anything, recover crashes, export reports, replay as tests."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from console.cli import main
from console.core import events as ev
from console.report.verdict import verdict
from console.scenario.model import load_scenario
from console.scenario.runner import run_scenario
from console.session.export import clip_around_action, to_html, to_markdown, to_zip
from console.session.reader import list_sessions, open_session, recover
from console.session.replay import session_to_scenario
from tests.conftest import ASSETS
from tests.parts import require

SCENARIOS = ASSETS / "scenarios"


def recorded(tmp_path: Path, name: str) -> Path:
    scenario, config = load_scenario(SCENARIOS / name)
    result = run_scenario(scenario, config, sessions_dir=tmp_path / "sessions")
    assert result.passed and result.session_dir is not None
    return result.session_dir


def add_recording(folder: Path, seconds: float = 25.0, rate: int = 16000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    data = np.stack([0.2 * np.sin(2 * np.pi * 220 * t), 0.2 * np.sin(2 * np.pi * 330 * t)], 1)
    sf.write(folder / "recording.wav", data, rate, subtype="PCM_16")


def test_verdict_in_plain_words(tmp_path):
    s = open_session(recorded(tmp_path, "01-seed-no-to-ready.yaml"))
    assert verdict(s.events) == (
        "end_call fired 0.65 s after 'no thanks' (config v1); goodbye 'Thanks for your "
        "time.' played 1.56 s; line dropped 0.20 s after the goodbye ended"
    )
    s2 = open_session(recorded(tmp_path, "09-edit-skip-goodbye-mid-call.yaml"))
    assert "no goodbye (skip goodbye on)" in verdict(s2.events)
    s3 = open_session(recorded(tmp_path, "07-renamed-action.yaml"))
    # The drop's detail says what its reason's label says: once, not "... (the caller hung up)".
    assert verdict(s3.events) == (
        "the End Call action was never invoked; line dropped at 21.57 s: the caller hung up"
    )


def test_markdown_and_html_reports(tmp_path):
    folder = recorded(tmp_path, "09-edit-skip-goodbye-mid-call.yaml")
    add_recording(folder)
    s = open_session(folder)
    md = to_markdown(s)
    assert "**Verdict:**" in md and "| caller \\#3 |" in md
    assert "`end_call.skip_goodbye` False -> True" in md
    html = to_html(s)
    assert html.startswith("<!doctype html>") and "<svg" in html
    assert 'src="data:audio/wav;base64,' in html  # self-contained: the audio is inside
    assert "end_call.skip_goodbye" in html and "Verdict" in html
    assert "pid" not in html.split("About this session")[1]


def test_clip_keeps_only_the_seconds_around_the_action(tmp_path):
    folder = recorded(tmp_path, "01-seed-no-to-ready.yaml")
    add_recording(folder)
    s = open_session(folder)
    clip = clip_around_action(s, 3.0)
    action = s.first(ev.ActionInvoked)
    assert (clip.start, clip.end) == pytest.approx((action.t - 3, action.t + 3))
    out = to_zip(s, tmp_path / "r.zip", clip)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert f"{s.name}/report.html" in names and f"{s.name}/events.jsonl" in names
        z.extract(f"{s.name}/clip.wav", tmp_path)
    data, rate = sf.read(tmp_path / s.name / "clip.wav")
    assert len(data) / rate == pytest.approx(6.0, abs=0.01)
    html = to_html(s, clip)
    assert "Do you have a minute" not in html.split("<h2>Config")[0]  # outside the clip


def test_export_command(tmp_path, capsys):
    folder = recorded(tmp_path, "01-seed-no-to-ready.yaml")
    for fmt in ("html", "md", "zip"):
        out = tmp_path / f"report.{fmt}"
        assert main(["export", str(folder), "--format", fmt, "--out", str(out)]) == 0
        assert out.stat().st_size > 500
    assert main(["export", str(tmp_path / "nope"), "--out", str(tmp_path / "x.html")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_zip_entries_stay_inside_the_session_folder(tmp_path):
    folder = recorded(tmp_path, "01-seed-no-to-ready.yaml")
    (folder / "session.json").write_text(
        json.dumps({**json.loads((folder / "session.json").read_text()), "name": "../../evil"})
    )
    out = to_zip(open_session(folder), tmp_path / "r.zip")
    names = zipfile.ZipFile(out).namelist()
    assert names and all(n.startswith(f"{folder.name}/") and ".." not in n for n in names)


def test_replayed_session_passes_as_a_scenario(tmp_path):
    for name in (
        "09-edit-skip-goodbye-mid-call.yaml",
        "12-barge-in-question.yaml",
        "07-renamed-action.yaml",
        "10-silence-timeout.yaml",
    ):
        s = open_session(recorded(tmp_path, name))
        path = tmp_path / f"replay-{name}"
        path.write_text(yaml.safe_dump(session_to_scenario(s), sort_keys=False))
        scenario, config = load_scenario(path)
        result = run_scenario(scenario, config)
        assert result.passed, (name, result.failures)
    replay = yaml.safe_load(path.read_text())
    assert replay["expect"]["drop_reason"] == "timeout"


def test_replay_command(tmp_path, capsys):
    folder = recorded(tmp_path, "09-edit-skip-goodbye-mid-call.yaml")
    out = tmp_path / "replay.yaml"
    assert main(["replay", str(folder), "--out", str(out)]) == 0
    steps = yaml.safe_load(out.read_text())["caller"]
    assert {"edit": {"end_call.skip_goodbye": True}} in steps
    assert main(["run", str(out), "--no-save", "-q"]) == 0


def crash(folder: Path) -> None:
    """Make a complete session look like one whose process died mid-call."""
    meta = json.loads((folder / "session.json").read_text())
    meta.update(status="recording", pid=2**22 + 12345)
    (folder / "session.json").write_text(json.dumps(meta))
    events = (folder / "events.jsonl").read_bytes()
    (folder / "events.jsonl").write_bytes(events[:-40])  # the last line cut in half
    wav = folder / "recording.wav"
    raw = bytearray(wav.read_bytes())
    raw[40:44] = (1000).to_bytes(4, "little")  # the header lags the data
    wav.write_bytes(bytes(raw))


def test_crashed_session_is_found_and_recovered(tmp_path):
    folder = recorded(tmp_path, "01-seed-no-to-ready.yaml")
    add_recording(folder, seconds=20.0)
    n_events = len(open_session(folder).events)
    crash(folder)
    s = open_session(folder)
    assert s.status == "crashed"
    assert any("cut short" in p for p in s.problems)
    assert any("recover the session" in p for p in s.problems)
    done = recover(s)
    assert "a half-written last event was removed" in done
    again = open_session(folder)
    assert again.status == "recovered" and again.problems == []
    assert len(again.events) == n_events - 1  # everything but the half-written line
    data, rate = sf.read(folder / "recording.wav")
    assert len(data) / rate == pytest.approx(20.0)  # all the audio is kept


def test_sessions_command_recovers(tmp_path, capsys):
    folder = recorded(tmp_path, "01-seed-no-to-ready.yaml")
    add_recording(folder)
    crash(folder)
    assert main(["sessions", "list", "--dir", str(tmp_path / "sessions")]) == 0
    assert "[crashed]" in capsys.readouterr().out
    assert main(["sessions", "recover", "--dir", str(tmp_path / "sessions")]) == 0
    assert "recovered" in capsys.readouterr().out
    assert open_session(folder).status == "recovered"


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda f: (f / "session.json").unlink(), "session.json is missing"),
        (lambda f: (f / "session.json").write_text("{nope"), "session.json cannot be read"),
        (lambda f: (f / "events.jsonl").write_bytes(b"\xff\xfe garbage\n"), "not a valid event"),
        (lambda f: (f / "events.jsonl").unlink(), "there is no timeline"),
        (
            lambda f: (f / "config_versions.jsonl").write_text('{"version": 1, "config": 3}\n'),
            "cannot be read",
        ),
        (lambda f: (f / "recording.wav").write_bytes(b"RIFF...."), "not a WAV file"),
    ],
)
def test_damaged_sessions_open_with_a_clear_message(tmp_path, damage, message):
    folder = recorded(tmp_path, "01-seed-no-to-ready.yaml")
    add_recording(folder)
    damage(folder)
    s = open_session(folder)  # never raises
    assert any(message in p for p in s.problems), s.problems
    to_markdown(s)  # and still exports what it can
    to_html(s)
    assert list_sessions(tmp_path / "sessions")[0].folder == folder


def test_html_report_renders_in_headless_chromium(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        require("BROWSER MISSING: apt-get install chromium")
    folder = recorded(tmp_path, "01-seed-no-to-ready.yaml")
    add_recording(folder, seconds=22.0)
    report = tmp_path / "report.html"
    report.write_text(to_html(open_session(folder)))
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "report.png"
    shot.unlink(missing_ok=True)
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1600",
            f"--screenshot={shot}",
            report.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert not image.isNull() and image.width() == 1200
    colours = {image.pixelColor(x, y).name() for x in range(0, 1200, 5) for y in range(0, 900, 5)}
    # The timeline drew in the app's colours: the goodbye's orange is on the page.
    assert "#e39b2d" in colours
