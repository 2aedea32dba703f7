"""Text someone else chose never acts in a report, a terminal, an XML file or a Qt label.

Each target is checked with a real reader of that target: Markdown rendered by a
CommonMark renderer (markdown-it, with GitHub's tables and strikethrough), HTML parsed
by the standard library's parser, XML by ElementTree, Qt labels by their text format.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from html.parser import HTMLParser

if not os.environ.get("XDG_CONFIG_HOME"):  # QSettings of these tests: a throw-away home
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="endcall-test-config-")

import pytest
from markdown_it import MarkdownIt

from console.cli import main
from console.session.export import to_html, to_markdown, to_zip
from console.session.reader import open_session
from tests.session.hostile import CR, ESC, PAYLOAD, hostile_session, write_scenario


class Tags(HTMLParser):
    """Every start tag in a page, counted."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags[tag] += 1


def render_markdown(text: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


def test_markdown_report_shows_hostile_text_and_obeys_none_of_it(tmp_path):
    md = to_markdown(open_session(hostile_session(tmp_path)))
    assert ESC not in md and CR not in md
    tags = Tags(render_markdown(md)).tags
    # Only the report's own structure: one heading, one details block, no image, no
    # link, no script, no strikethrough, no second heading from the caller's words.
    assert tags["h2"] == 1 and tags["h1"] == 0 and tags["h3"] == 0, tags
    assert tags["details"] == 1 and tags["summary"] == 1, tags
    for tag in ("img", "a", "script", "s", "del", "h1"):
        assert tags[tag] == 0, (tag, tags)
    # Every transcript row is still one table row: the payload's "|" split no cell.
    html = render_markdown(md)
    assert "alert(1)" in html and "Fake heading" in html  # shown, as text
    assert "<pre><code" in html and html.count("<pre><code") == 1  # the config fence only


class Lines(HTMLParser):
    """A page's visible text, a line break for each <br> and each paragraph's end."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data.replace("\n", ""))

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in "".join(self.parts).strip().split("\n")]


NOTE_LINES = [
    "The goodbye was cut after 'Thanks for'.",
    "",
    "# Steps",
    "1. say no",
    "- wait for the goodbye",
    "Looks like a title",
    "===",
    "[see the log](http://evil.example) ![x](http://evil.example/x.png)",
    "<details><summary>more</summary> <img src=x onerror=alert(1)>",
    "    four spaces in",
    "---",
]


def test_a_bug_note_of_several_lines_shows_its_lines_and_obeys_none_of_them(tmp_path):
    from console.scenario.model import load_scenario
    from console.scenario.runner import run_scenario
    from console.session.store import SessionStore
    from tests.conftest import ASSETS

    scenario, config = load_scenario(ASSETS / "scenarios" / "01-seed-no-to-ready.yaml")
    folder = run_scenario(scenario, config, sessions_dir=tmp_path).session_dir
    SessionStore(tmp_path).set_bug(folder, True, "\n".join(NOTE_LINES))
    md = to_markdown(open_session(folder))
    assert "\u240a" not in md  # no "␊" where the tester pressed Enter
    page = render_markdown(md)
    quote = page.split("<blockquote>", 1)[1].split("</blockquote>", 1)[0]
    # Each line of the note is a line of the quote, as written...
    shown = [line.strip() for line in NOTE_LINES]
    assert Lines(quote).lines == ["Bug (the tester's note):", *shown]
    # ...and none of them made a heading, a list, a rule, a link, an image or HTML.
    tags = Tags(page).tags
    assert tags["blockquote"] == 1 and tags["h2"] == 1 and tags["h1"] == 0, tags
    quoted = Tags(quote).tags
    for tag in ("h1", "h2", "h3", "ul", "ol", "li", "hr", "a", "img", "details", "pre", "code"):
        assert quoted[tag] == 0, (tag, quoted)
    # The HTML report keeps the lines too, escaped.
    report = to_html(open_session(folder))
    note = report.split("<p class=bug>", 1)[1].split("</p>", 1)[0]
    assert Lines(note).lines == [f"Bug (the tester's note): {shown[0]}", *shown[1:]]
    assert Tags(note).tags.keys() <= {"b", "br"}


def test_html_report_escapes_every_transcript_cell_and_fact(tmp_path):
    folder = hostile_session(tmp_path)
    page = to_html(open_session(folder))
    tags = Tags(page).tags
    for tag in ("script", "img", "details", "a", "iframe"):
        assert tags[tag] == 0, (tag, tags)
    assert tags["h1"] == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the caller's words, as text
    assert ESC not in page and CR not in page and "\x00" not in page


def test_terminal_output_of_a_run_cannot_move_the_cursor_or_fake_a_result(tmp_path, capsys):
    path = write_scenario(tmp_path)
    code = main(["run", str(path), "--no-save"])
    out = capsys.readouterr().out
    assert code == 0
    assert ESC not in out and CR not in out and "\x07" not in out and "\x00" not in out
    results = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(results) == 1, results  # the payload's "PASS" never starts a line
    assert "␛[2J" in out  # shown, as a symbol


def test_junit_xml_stays_well_formed_with_control_characters(tmp_path):
    path = write_scenario(tmp_path, name="ctl \x01\x1b[31m \x0b\x0c\x7f <x> & end")
    junit = tmp_path / "junit.xml"
    assert main(["run", str(path), "--no-save", "-q", "--junit", str(junit)]) == 0
    root = ET.parse(junit).getroot()  # raises if not well-formed
    (case,) = root.iter("testcase")
    assert case.get("name").startswith("ctl ␁␛[31m") and "<x> & end" in case.get("name")


def test_zip_holds_regular_files_only_and_no_two_entries_share_a_name(tmp_path):
    folder = hostile_session(tmp_path)
    (folder / "passwd").symlink_to("/etc/passwd")
    (folder / "elsewhere").symlink_to(tmp_path)
    (folder / "report.html").write_text("a file the session folder held")
    os.mkfifo(folder / "pipe")
    out = to_zip(open_session(folder), tmp_path / "bug.zip")
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert len(names) == len(set(names)), names
        assert not any(n.endswith(("/passwd", "/pipe")) or "elsewhere" in n for n in names)
        assert z.read(f"{folder.name}/session-files/report.html") == (
            b"a file the session folder held"
        )
        assert z.read(f"{folder.name}/report.html").startswith(b"<!doctype html>")
        assert b"root:" not in b"".join(z.read(n) for n in names)


def test_session_browser_labels_show_session_text_as_text(qtbot, tmp_path):
    from console.ui.sessions import SessionBrowser

    folder = hostile_session(tmp_path)
    # A damaged line whose problem text quotes the file's content.
    with open(folder / "events.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"kind": "<img src=x onerror=alert(3)>", "t": 1, "config_version": 1}\n')
    browser = SessionBrowser(tmp_path / "sessions")
    qtbot.addWidget(browser)
    browser.select(folder)
    assert browser.session is not None and browser.session.folder == folder
    for label in (browser.verdict, browser.problems):
        assert "<img" not in label.text() and "<script" not in label.text(), label.text()
    assert "&lt;img src=x" in browser.problems.text()
    assert browser.note.text().startswith("no")  # the bug note, shown as typed


def test_llm_settings_dialog_shows_an_endpoint_error_as_plain_text(qtbot):
    from PySide6.QtCore import Qt

    from console.agent.llm import LLMSettings
    from console.ui.llm_settings import LLMSettingsDialog

    dialog = LLMSettingsDialog(LLMSettings(base_url="http://127.0.0.1:9/v1", model="m"))
    qtbot.addWidget(dialog)
    dialog._on_models([], "HTTP 400: <h1>Login</h1><a href='http://evil.example'>here</a>")
    assert dialog.result.textFormat() == Qt.TextFormat.PlainText
    assert "<h1>Login</h1>" in dialog.result.text()


@pytest.mark.parametrize("text", [PAYLOAD, "x" * 10_000 + "\x1b", "\u202eevil"])
def test_escapers_leave_no_control_character(text):
    from console.report.escape import html_text, md_inline, md_quote, qt_rich, terminal, xml_text

    def quote(t: str) -> str:
        return "\n".join(md_quote(t))

    for fn in (terminal, md_inline, quote, html_text, qt_rich, xml_text):
        out = fn(text)
        assert ESC not in out and CR not in out and "\x00" not in out and "\u202e" not in out
