"""The session browser: list, open, bug mark, export, recovery offered on start."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from console.core import events as ev
from console.scenario.model import load_scenario
from console.scenario.runner import run_scenario
from console.session.reader import open_session
from console.ui.sessions import SessionBrowser
from tests.conftest import ASSETS
from tests.ui.conftest import screenshot


def make_sessions(root):
    folders = []
    for name in ("01-seed-no-to-ready.yaml", "09-edit-skip-goodbye-mid-call.yaml"):
        scenario, config = load_scenario(ASSETS / "scenarios" / name)
        folders.append(run_scenario(scenario, config, sessions_dir=root).session_dir)
    return folders


def test_browser_lists_and_opens_sessions(qtbot, tmp_path):
    seed, skip = make_sessions(tmp_path)
    browser = SessionBrowser(tmp_path)
    qtbot.addWidget(browser)
    browser.show()
    assert browser.table.rowCount() == 2
    rows = {browser.table.item(r, 0).text(): r for r in range(2)}
    assert browser.table.item(rows[seed.name], 2).text() == "End Call"
    assert browser.table.item(rows[seed.name], 3).text() == "yes"
    assert browser.table.item(rows[skip.name], 3).text() == "no"
    browser.select(skip)
    assert browser.session is not None and browser.session.folder == skip
    lanes = {i.lane for i in browser.timeline.model.items}
    assert {"caller", "agent", "action", "config", "line"} <= lanes
    assert "no goodbye (skip goodbye on)" in browser.verdict.text()
    assert not browser.play_button.isEnabled()  # a text-mode call has no recording
    screenshot(browser, "session-browser")


def test_bug_mark_is_saved_with_the_session(qtbot, tmp_path):
    seed, _ = make_sessions(tmp_path)
    browser = SessionBrowser(tmp_path)
    qtbot.addWidget(browser)
    browser.select(seed)
    browser.bug.setChecked(True)
    browser.note.setText("goodbye too slow")
    qtbot.mouseClick(browser.save_bug, Qt.MouseButton.LeftButton)
    meta = json.loads((seed / "session.json").read_text())
    assert meta["bug"] == {"marked": True, "note": "goodbye too slow"}
    row = next(r for r in range(2) if browser.table.item(r, 0).text() == seed.name)
    assert "goodbye too slow" in browser.table.item(row, 5).text()


def test_export_from_the_browser(qtbot, tmp_path):
    seed, _ = make_sessions(tmp_path)
    browser = SessionBrowser(tmp_path)
    qtbot.addWidget(browser)
    browser.select(seed)
    html = browser.export(tmp_path / "bug.html", "html")
    assert "Verdict" in html.read_text()
    md = browser.export(tmp_path / "bug.md", "md", clip_seconds=3.0)
    assert "Clip:" in md.read_text()


def test_crashed_session_is_recovered_and_offered_on_start(qtbot, tmp_path, store, monkeypatch):
    from console.ui.main_window import MainWindow

    seed, _ = make_sessions(tmp_path)
    meta = json.loads((seed / "session.json").read_text())
    meta.update(status="recording", pid=2**22 + 4321)
    (seed / "session.json").write_text(json.dumps(meta))
    raw = (seed / "events.jsonl").read_bytes()
    (seed / "events.jsonl").write_bytes(raw[:-25])
    asked = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes,
    )
    window = MainWindow(store=store, sessions_dir=tmp_path, load_model=False)
    qtbot.addWidget(window)
    window.offer_recovery()
    assert asked and seed.name in asked[0]
    assert open_session(seed).status == "recovered"
    assert window.browser.session.folder == seed
    assert window.browser.session.first(ev.CallStarted) is not None
