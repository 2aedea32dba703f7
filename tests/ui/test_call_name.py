"""A call has the tester's name, not "gui call": named before it, renamed after it, in
session.json and the session index (the browser lists it by that name)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from console.core import events as ev
from console.session.store import SessionStore
from tests.ui.test_main_window import events_of, place_call_and_say


def test_a_call_is_named_before_and_renamed_after(qtbot, window):
    assert window.call_name.name() == "gui call"  # nothing typed: the default
    assert not window.call_name.rename_button.isEnabled()  # no call made yet
    window.call_name.field.setText("no to ready,   v1 description")
    place_call_and_say(qtbot, window, "no thanks")
    assert not window.call_name.field.isEnabled()  # fixed while the call runs
    qtbot.waitUntil(lambda: window.call is None, timeout=15_000)
    assert events_of(window, ev.LineDropped)
    folder = window.last_call.session_dir
    assert "no-to-ready-v1-description" in folder.name
    meta = json.loads((folder / "session.json").read_text())
    assert meta["name"] == "no to ready, v1 description"

    store = SessionStore(window.sessions_dir)
    store.refresh()  # the index exists: the rename must reach it too
    assert window.call_name.rename_button.isEnabled()
    window.call_name.field.setText("no to ready: goodbye too slow")
    qtbot.mouseClick(window.call_name.rename_button, Qt.MouseButton.LeftButton)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["name"] == "no to ready: goodbye too slow"
    assert store.row(folder.name).title == "no to ready: goodbye too slow"
    browser = window.sessions.browse(folder)
    qtbot.addWidget(browser)
    assert browser.session.title == "no to ready: goodbye too slow"
    assert "no to ready: goodbye too slow" in browser.name.text()
