"""The GUI thread never waits on the call: edits, typing and hang-up return at once, even
while the engine's thread is busy, and what they did arrives later as events."""

from __future__ import annotations

import sys
import threading
import time

from PySide6.QtCore import Qt

from console.core import events as ev
from tests.ui.test_main_window import events_of

HOLD_LIMIT_S = 20.0  # only so a broken GUI cannot hang the test run


def waiting_in(thread_id: int) -> str:
    """Where the thread waits on another thread ("" when it does not): an Event, a
    Condition or a Future's result, which is how a GUI that waits on the call waits."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        code = frame.f_code
        if (code.co_name, code.co_filename.rsplit("/", 1)[-1]) in (
            ("wait", "threading.py"),
            ("result", "_base.py"),
        ):
            return f"{code.co_filename}:{frame.f_lineno} {code.co_name}"
        frame = frame.f_back
    return ""


def test_a_mid_call_edit_returns_while_the_engine_is_busy(qtbot, window):
    qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=10_000)
    gui = threading.get_ident()
    busy = threading.Event()
    clicked = threading.Event()  # the click came back to the event loop
    held: list[tuple[bool, str]] = []  # (the click came back while held, where the GUI waited)

    def hold(_engine) -> None:
        """The engine's thread is stuck in slow work until the click has come back. A GUI
        that waits on the engine is seen waiting (and let go, so the test ends at once);
        one that never waits comes back while the engine is still held."""
        busy.set()
        limit = time.monotonic() + HOLD_LIMIT_S
        seen = ""
        while not clicked.wait(0.005) and time.monotonic() < limit:
            seen = waiting_in(gui)
            if seen:
                break
        held.append((clicked.is_set(), seen))

    window.call.host.submit(hold)
    assert busy.wait(5)
    qtbot.mouseClick(window.end_call_editor.skip, Qt.MouseButton.LeftButton)
    assert events_of(window, ev.ConfigChanged) == []  # the engine is held: not applied yet
    clicked.set()
    qtbot.waitUntil(lambda: bool(held), timeout=int(HOLD_LIMIT_S * 1000) + 5_000)
    assert held == [(True, "")], f"the GUI thread waited on the engine: {held}"
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


def test_quick_edits_while_the_engine_is_busy_undo_one_at_a_time(qtbot, window):
    """Two edits made before the engine applied the first: the second is made on top of
    the first (the editor keeps showing both), and one undo takes back only the second."""
    qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=10_000)
    release = threading.Event()
    window.call.host.submit(lambda _e: release.wait(HOLD_LIMIT_S))
    controller = window.controller
    qtbot.mouseClick(window.end_call_editor.skip, Qt.MouseButton.LeftButton)
    assert controller.edit({"end_call.name": "hang_up"}).accepted
    assert window.store.current.end_call.name == "end_call"  # the engine has applied neither
    assert controller.config.end_call.skip_goodbye and controller.config.end_call.name == "hang_up"
    assert window.end_call_editor.skip.isChecked()  # the editor did not snap back
    controller.undo()
    release.set()
    qtbot.waitUntil(lambda: len(events_of(window, ev.ConfigChanged)) >= 3, timeout=5_000)
    qtbot.waitUntil(lambda: controller._in_flight == 0, timeout=5_000)
    current = window.store.current.end_call
    assert (current.skip_goodbye, current.name) == (True, "end_call")
