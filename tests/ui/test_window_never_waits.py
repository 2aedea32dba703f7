"""The GUI thread never waits on the call: edits, typing and hang-up return at once, even
while the engine's thread is busy, and what they did arrives later as events."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from console.core import events as ev
from tests.ui.test_main_window import events_of


def test_a_mid_call_edit_returns_while_the_engine_is_busy(qtbot, window):
    qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=10_000)
    release = threading.Event()
    busy = threading.Event()

    def hold(_engine) -> None:  # the engine's thread is stuck in slow work
        busy.set()
        release.wait(20)

    window.call.host.submit(hold)
    assert busy.wait(5)
    qtbot.mouseClick(window.end_call_editor.skip, Qt.MouseButton.LeftButton)
    # Back in the event loop while the engine still cannot have applied the edit:
    assert not release.is_set()
    assert events_of(window, ev.ConfigChanged) == []
    release.set()
    qtbot.waitUntil(lambda: bool(events_of(window, ev.ConfigChanged)), timeout=5_000)
    assert any(i.lane == "config" and i.label == "v2" for i in window.timeline.model.items)
    qtbot.waitUntil(lambda: "config v2" in window.end_call_editor.version.text(), timeout=5_000)


def test_an_invalid_name_mid_call_is_refused_on_the_gui_thread_at_once(qtbot, window):
    qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=10_000)
    release = threading.Event()
    window.call.host.submit(lambda _e: release.wait(20))
    refused = []
    window.controller.refused.connect(refused.append)
    result = window.controller.edit({"end_call.name": "not a name"})
    assert not result.accepted and refused  # said at once, engine still busy
    release.set()
    assert window.store.current.end_call.name == "end_call"
