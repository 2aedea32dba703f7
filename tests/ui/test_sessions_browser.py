"""The session browser: list from the index, filter, sort, rename, bug mark, export, and
recovery offered on start; every column on screen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from console.core import events as ev
from console.scenario.model import load_scenario
from console.scenario.runner import run_scenario
from console.session.reader import open_session
from console.session.store import ENDED_BY, INDEX_FILE, SessionStore
from console.ui.sessions import SessionBrowser, SessionTable
from tests.conftest import ASSETS
from tests.ui.conftest import screenshot

SEED, SKIP, RENAMED, SILENCE = (
    "01-seed-no-to-ready.yaml",
    "09-edit-skip-goodbye-mid-call.yaml",
    "07-renamed-action.yaml",
    "10-silence-timeout.yaml",
)


def make_sessions(root, names=(SEED, SKIP)):
    folders = []
    for name in names:
        scenario, config = load_scenario(ASSETS / "scenarios" / name)
        folders.append(run_scenario(scenario, config, sessions_dir=root).session_dir)
    return folders


def opened(qtbot, root, **kwargs) -> SessionBrowser:
    """A browser whose folder check has finished (the list is then the folders' truth)."""
    browser = SessionBrowser(root, **kwargs)
    qtbot.addWidget(browser)
    if not browser.checked:
        with qtbot.waitSignal(browser.refreshed, timeout=20000):
            pass
    return browser


def column(name: str) -> int:
    return [label for label, _key in SessionTable.COLUMNS].index(name)


def cell(browser: SessionBrowser, folder, name: str) -> str:
    row = next(n for n, r in enumerate(browser.rows) if r.folder == folder)
    return browser.model.index(row, column(name)).data()


def test_browser_lists_and_opens_sessions(qtbot, tmp_path):
    seed, skip = make_sessions(tmp_path)
    browser = opened(qtbot, tmp_path)
    browser.show()
    assert browser.model.rowCount() == 2
    assert cell(browser, seed, "Ended by") == "End Call"
    assert cell(browser, seed, "Goodbye") == "yes"
    assert cell(browser, skip, "Goodbye") == "no"
    assert cell(browser, seed, "Name").startswith('Seed: "no"')
    assert cell(browser, seed, "Config").startswith("v1 · ")
    assert cell(browser, skip, "Config").startswith("v2 · ")  # edited mid-call
    browser.select(skip)
    assert browser.session is not None and browser.session.folder == skip
    lanes = {i.lane for i in browser.timeline.model.items}
    assert {"caller", "agent", "action", "config", "line"} <= lanes
    assert "no goodbye (skip goodbye on)" in browser.verdict.text()
    assert browser.problems.isHidden()  # nothing wrong: no empty line under the verdict
    assert not browser.play_button.isEnabled()  # a text-mode call has no recording


def test_a_recorded_session_shows_both_channels_as_waveforms(qtbot, tmp_path):
    """The caller's and the agent's channels of the recording, inside their lanes, each
    loud where that side spoke and silent where the other did."""
    seed, skip = make_sessions(tmp_path)
    session = open_session(seed)
    heard, said = session.first(ev.CallerSpeech), session.first(ev.AgentSpeech)
    rate = 16000
    data = np.zeros((int((session.duration + 1) * rate), 2), np.float32)
    for channel, e, level in ((0, heard, 0.5), (1, said, 0.4)):
        a, b = int(e.start * rate), int(e.end * rate)
        data[a:b, channel] = level * np.sin(np.arange(b - a) / 4)
    sf.write(seed / "recording.wav", data, rate, subtype="PCM_16")
    browser = opened(qtbot, tmp_path)
    browser.resize(1200, 800)
    browser.show()
    browser.select(seed)
    waves = browser.timeline.waveforms
    qtbot.waitUntil(lambda: {"caller", "agent"} <= set(waves), timeout=10_000)

    def loudest(lane: str, e: ev.Event) -> float:
        return float(waves[lane].columns(e.start, e.end, 1)[1][0])

    assert loudest("caller", heard) == pytest.approx(0.5, abs=0.02)
    assert loudest("agent", said) == pytest.approx(0.4, abs=0.02)
    assert loudest("caller", said) < 0.01 and loudest("agent", heard) < 0.01
    screenshot(browser, "session-browser-waveforms")
    browser.select(skip)  # a typed call: no recording, no waveforms
    assert browser.timeline.waveforms == {}


def test_every_column_is_on_screen_in_the_dialog(qtbot, tmp_path):
    make_sessions(tmp_path)
    browser = opened(qtbot, tmp_path)
    browser.show()
    browser.resize(1200, 800)  # the size it opens at
    qtbot.waitExposed(browser)
    assert browser.width() <= 1200
    header, viewport = browser.table.horizontalHeader(), browser.table.viewport().width()
    for label in ("Name", "Status", "Bug", "Agent", "Config"):
        n = column(label)
        right = header.sectionViewportPosition(n) + header.sectionSize(n)
        assert header.sectionSize(n) > 40 and right <= viewport, (label, right, viewport)
    assert header.sectionSize(column("Name")) >= 200
    assert not browser.table.horizontalScrollBar().isVisible()


def test_the_list_comes_from_the_index_without_opening_folders(qtbot, tmp_path, monkeypatch):
    make_sessions(tmp_path, (SEED,))
    assert not (tmp_path / INDEX_FILE).exists()  # a folder nobody listed has none
    SessionStore(tmp_path).refresh()  # the first listing builds it...
    make_sessions(tmp_path, (SKIP, RENAMED))  # ...and calls saved since are added to it
    opened_folders = []
    import console.ui.sessions as ui

    real = ui.open_session
    monkeypatch.setattr(ui, "open_session", lambda f: opened_folders.append(f) or real(f))
    browser = SessionBrowser(tmp_path)
    qtbot.addWidget(browser)
    assert browser.model.rowCount() == 3  # before the folder check has even finished
    assert opened_folders == []
    with qtbot.waitSignal(browser.refreshed, timeout=20000) as done:
        pass
    assert done.args[0].read == 0  # nothing changed: no folder was read again


def test_filters_and_sorting(qtbot, tmp_path):
    seed, skip, renamed, silence = make_sessions(tmp_path, (SEED, SKIP, RENAMED, SILENCE))
    store = SessionStore(tmp_path)
    store.set_bug(renamed, True, "said goodbye but never hung up")
    browser = opened(qtbot, tmp_path)

    def folders():
        return {r.folder for r in browser.rows}

    browser.set_filter("ended_by", "End Call")
    assert folders() == {seed, skip}
    browser.set_filter("ended_by", "timeout")
    assert folders() == {silence}
    browser.set_filter("ended_by", None)
    browser.set_filter("bug", "marked")
    assert folders() == {renamed}
    assert cell(browser, renamed, "Bug") == "BUG: said goodbye but never hung up"
    browser.set_filter("bug", "not marked")
    assert renamed not in folders() and len(folders()) == 3
    browser.set_filter("bug", None)
    v2 = cell(browser, skip, "Config")
    browser.set_filter("config", v2)
    assert folders() == {skip}
    browser.set_filter("config", None)
    browser.set_filter("backend", "offline")
    assert len(folders()) == 4
    browser.set_filter("backend", "llm")
    assert folders() == set()
    browser.set_filter("backend", None)
    browser.search.setText("never hung")  # the bug note
    assert folders() == {renamed}
    browser.search.setText("")

    # Sort by any column, both ways, with a click on its header.
    header = browser.table.horizontalHeader()
    for name, key in (("Duration", lambda r: r.duration), ("Name", lambda r: r.title.lower())):
        header.setSortIndicator(column(name), Qt.SortOrder.AscendingOrder)
        assert [key(r) for r in browser.rows] == sorted(key(r) for r in browser.rows)
        header.setSortIndicator(column(name), Qt.SortOrder.DescendingOrder)
        assert [key(r) for r in browser.rows] == sorted(
            (key(r) for r in browser.rows), reverse=True
        )
    header.setSortIndicator(column("Bug"), Qt.SortOrder.DescendingOrder)
    assert browser.rows[0].folder == renamed
    header.setSortIndicator(column("Ended by"), Qt.SortOrder.AscendingOrder)
    assert [r.ended_by for r in browser.rows] == sorted(r.ended_by for r in browser.rows)


def ended_by(root, reason: str):
    """A session the writer saved, ended for this reason (a SIP BYE, a voicemail, the
    tester's Hang up, the platforms' end-call phrase)."""
    from console.core.config import ConfigStore, parse_config
    from console.session.writer import SessionWriter, new_session_dir

    folder = new_session_dir(root, reason)
    writer = SessionWriter(folder, ConfigStore(parse_config({})), {"name": reason})
    writer(ev.CallStarted(t=0.0, config_version=1, seq=1, agent_backend="offline"))
    writer(ev.LineDropped(t=4.0, config_version=1, seq=2, reason=reason, detail=reason))
    assert writer.close() == []
    return folder


def test_the_ended_by_filter_offers_every_way_a_call_ends(qtbot, tmp_path):
    reasons = (ev.TESTER_HUNG_UP, ev.END_CALL_PHRASE, ev.AGENT_HUNG_UP, ev.VOICEMAIL)
    folders = {reason: ended_by(tmp_path, reason) for reason in reasons}
    browser = opened(qtbot, tmp_path)
    combo = browser.filters["ended_by"]
    offered = [combo.itemText(n) for n in range(combo.count())]
    assert offered == ["Any", "agent hung up", "end-call phrase", "tester hung up", "voicemail"]
    for reason, folder in folders.items():
        assert cell(browser, folder, "Ended by") == ENDED_BY[reason]
    for reason, folder in folders.items():
        browser.set_filter("ended_by", ENDED_BY[reason])
        assert [r.folder for r in browser.rows] == [folder]
    assert set(ENDED_BY) == set(ev.DROP_REASONS)  # a reason added later needs a label too


def test_rename_in_the_browser_is_saved_with_the_session(qtbot, tmp_path):
    seed, skip = make_sessions(tmp_path)
    browser = opened(qtbot, tmp_path)
    browser.select(seed)
    browser.name.setText("No to ready  (v1 description)")
    qtbot.mouseClick(browser.rename_button, Qt.MouseButton.LeftButton)
    assert json.loads((seed / "session.json").read_text())["name"] == (
        "No to ready (v1 description)"
    )
    assert cell(browser, seed, "Name") == "No to ready (v1 description)"
    assert browser.session.folder == seed  # still the one shown
    # ...and by editing its Name cell.
    row = next(n for n, r in enumerate(browser.rows) if r.folder == skip)
    index = browser.model.index(row, column("Name"))
    assert browser.model.flags(index) & Qt.ItemFlag.ItemIsEditable
    browser.model.setData(index, "skip goodbye edit")
    assert open_session(skip).title == "skip goodbye edit"
    assert cell(browser, skip, "Name") == "skip goodbye edit"
    # The index agrees with the folders when it is rebuilt from them.
    (tmp_path / INDEX_FILE).unlink()
    assert {r.title for r in opened(qtbot, tmp_path).rows} == {
        "No to ready (v1 description)",
        "skip goodbye edit",
    }


def test_bug_mark_is_saved_with_the_session(qtbot, tmp_path):
    seed, _ = make_sessions(tmp_path)
    browser = opened(qtbot, tmp_path)
    browser.select(seed)
    browser.bug.setChecked(True)
    browser.note.setText("goodbye too slow")
    qtbot.mouseClick(browser.save_bug, Qt.MouseButton.LeftButton)
    meta = json.loads((seed / "session.json").read_text())
    assert meta["bug"] == {"marked": True, "note": "goodbye too slow"}
    assert cell(browser, seed, "Bug") == "BUG: goodbye too slow"
    browser.set_filter("bug", "marked")
    assert [r.folder for r in browser.rows] == [seed]
    browser.show()
    browser.resize(1200, 800)
    screenshot(browser, "session-browser")


def test_a_folder_changed_behind_the_index_is_read_again(qtbot, tmp_path):
    seed, skip = make_sessions(tmp_path)
    SessionStore(tmp_path).refresh()  # the index, then a change it is not told of
    meta = json.loads((seed / "session.json").read_text())
    meta["bug"] = {"marked": True, "note": "marked by another tool"}
    (seed / "session.json").write_text(json.dumps(meta))  # in place: the index is stale
    (tmp_path / "not-a-session").mkdir()  # a new folder: listed as damaged
    browser = SessionBrowser(tmp_path)
    qtbot.addWidget(browser)
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        pass
    assert cell(browser, seed, "Bug") == "BUG: marked by another tool"
    assert cell(browser, tmp_path / "not-a-session", "Status") == "damaged"
    import shutil

    shutil.rmtree(skip)
    browser.refresh()
    with qtbot.waitSignal(browser.refreshed, timeout=20000):
        pass
    assert skip not in {r.folder for r in browser.rows}


def test_a_damaged_index_is_rebuilt_from_the_folders(qtbot, tmp_path):
    seed, skip = make_sessions(tmp_path)
    (tmp_path / INDEX_FILE).write_bytes(b"this is not a database" * 100)
    browser = opened(qtbot, tmp_path)
    assert {r.folder for r in browser.rows} == {seed, skip}
    assert browser.store.problem == ""  # rebuilt on disk, not kept in memory
    import sqlite3

    with sqlite3.connect(tmp_path / INDEX_FILE) as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 2


def test_export_from_the_browser(qtbot, tmp_path):
    seed, _ = make_sessions(tmp_path)
    browser = opened(qtbot, tmp_path)
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
    with qtbot.waitSignal(window.sessions.recovery_done, timeout=20000):
        window.offer_recovery()
    assert asked and open_session(seed).title in asked[0]
    assert open_session(seed).status == "recovered"
    assert window.browser.session.folder == seed
    assert window.browser.session.first(ev.CallStarted) is not None
    assert SessionStore(tmp_path).row(seed.name).status == "recovered"  # the index too


def test_the_start_finds_crashed_calls_through_the_index(qtbot, tmp_path, store, monkeypatch):
    """A call crashes in one of two ways the index can see without a look at every
    folder: it was listed while it was recording (its row says so), or it was never
    listed (a new folder). Both are found, recovered and marked so in the index."""
    from console.ui.main_window import MainWindow

    def as_crashed(folder):
        meta = json.loads((folder / "session.json").read_text())
        meta.update(status="recording", pid=2**22 + 4321)
        (folder / "session.json").write_text(json.dumps(meta))

    (listed,) = make_sessions(tmp_path, (SEED,))
    as_crashed(listed)
    SessionStore(tmp_path).refresh()  # the browser listed it while it was "recording"
    done_calls = make_sessions(tmp_path, (SKIP, RENAMED))  # complete, indexed as saved
    (elsewhere,) = make_sessions(tmp_path / "elsewhere", (SILENCE,))
    as_crashed(elsewhere)  # started after the listing and never closed: not in the index
    new = tmp_path / elsewhere.name
    elsewhere.rename(new)
    (tmp_path / "elsewhere").rmdir()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    window = MainWindow(store=store, sessions_dir=tmp_path, load_model=False)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.sessions.recovery_done, timeout=20000) as done:
        window.offer_recovery()
    assert {s.folder for s in done.args[0].crashed} == {listed, new}
    assert window.browser is None
    index = SessionStore(tmp_path)
    assert index.row(listed.name).status == "recovered"
    assert index.row(new.name).status == "recovered"
    assert {index.row(f.name).status for f in done_calls} == {"complete"}


def test_the_start_scan_opens_no_indexed_complete_session(tmp_path, monkeypatch):
    """Months of complete calls in the index: the crash scan at start reads the one
    new folder (a crashed call) and opens, or even stats, none of the others."""
    import console.session.store as store_module

    done_calls = make_sessions(tmp_path, (SEED, SKIP, RENAMED, SILENCE))
    SessionStore(tmp_path).refresh()  # listed once: all four are indexed, complete
    (crash,) = make_sessions(tmp_path / "elsewhere", ("02-seed-yes-goes-on.yaml",))
    meta = json.loads((crash / "session.json").read_text())
    meta.update(status="recording", pid=2**22 + 4321)
    (crash / "session.json").write_text(json.dumps(meta))
    crash = crash.rename(tmp_path / crash.name)  # a call that never closed: not indexed
    (tmp_path / "elsewhere").rmdir()
    opened, signed = [], []
    real_open, real_signature = store_module.open_session, store_module.signature
    monkeypatch.setattr(
        store_module, "open_session", lambda f: opened.append(Path(f).name) or real_open(f)
    )
    monkeypatch.setattr(
        store_module, "signature", lambda f: signed.append(Path(f).name) or real_signature(f)
    )
    scan = SessionStore(tmp_path).recovery_scan()
    assert [s.folder for s in scan.crashed] == [crash]
    assert opened and set(opened) == {crash.name}, opened
    assert set(signed) <= {crash.name}, signed
    assert {SessionStore(tmp_path).row(f.name).status for f in done_calls} == {"complete"}
