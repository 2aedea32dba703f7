"""The whole window with a typed-input call: place it, say no, watch the drop."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.core import events as ev
from tests.ui.conftest import screenshot


def events_of(window, cls):
    return [i.event for i in window.timeline.model.items if isinstance(i.event, cls)]


def place_call_and_say(qtbot, window, line: str) -> None:
    qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=10_000)
    qtbot.keyClicks(window.typed, line)
    qtbot.keyClick(window.typed, Qt.Key.Key_Return)


def test_whole_call_with_goodbye(qtbot, window):
    place_call_and_say(qtbot, window, "no thanks")
    qtbot.waitUntil(lambda: window.call is None, timeout=15_000)
    goodbye = events_of(window, ev.Goodbye)
    drop = events_of(window, ev.LineDropped)
    assert goodbye and goodbye[0].text == "Thanks for your time."
    assert drop and drop[0].reason == "end_call_action" and drop[0].t >= goodbye[0].end
    lines = window.transcript.lines()
    assert any("Caller: no thanks" in line for line in lines)
    assert any("Goodbye: Thanks for your time." in line for line in lines)
    assert window.state_label.text().startswith("Dropped")
    assert window.call_button.isEnabled() and not window.hangup_button.isEnabled()
    # The status bar names the saved session in words that fit beside its labels.
    message = window.statusBar().currentMessage()
    assert message.startswith(f"Call ended. Saved as {window.last_call.session_dir.name} (")
    labels = (window.backend_label, window.model_label)
    room = min(w.mapTo(window.statusBar(), w.rect().topLeft()).x() for w in labels)
    assert window.statusBar().fontMetrics().horizontalAdvance(message) < room - 8
    screenshot(window, "main-window-after-call")


def test_skip_goodbye_flipped_on_shows_on_the_next_call(qtbot, window):
    place_call_and_say(qtbot, window, "no")
    qtbot.waitUntil(lambda: window.call is None, timeout=15_000)
    assert events_of(window, ev.Goodbye)
    window.end_call_editor.skip.setChecked(True)  # between calls
    place_call_and_say(qtbot, window, "no")
    qtbot.waitUntil(lambda: window.call is None, timeout=15_000)
    assert events_of(window, ev.Goodbye) == []
    action = events_of(window, ev.ActionInvoked)[0]
    drop = events_of(window, ev.LineDropped)[0]
    assert action.skip_goodbye and drop.t == action.t


def test_live_edit_mid_call_bumps_the_version_on_the_timeline(qtbot, window):
    qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=10_000)
    screenshot(window, "main-window-during-call")
    qtbot.mouseClick(window.end_call_editor.skip, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.ConfigChanged)), timeout=5_000)
    change = events_of(window, ev.ConfigChanged)[0]
    assert (change.field, change.new, change.version) == ("end_call.skip_goodbye", True, 2)
    assert any(i.lane == "config" and i.label == "v2" for i in window.timeline.model.items)
    assert "config v2 (in force since" in window.end_call_editor.version.text()
    qtbot.keyClicks(window.typed, "nope")
    qtbot.keyClick(window.typed, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.call is None, timeout=15_000)
    assert events_of(window, ev.ActionInvoked)[0].config_version == 2
    assert events_of(window, ev.Goodbye) == []


def test_hang_up_button(qtbot, window):
    qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.hangup_button.isEnabled() and bool(events_of(window, ev.CallStarted)),
        timeout=10_000,
    )
    qtbot.mouseClick(window.hangup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.call is None, timeout=10_000)
    assert events_of(window, ev.LineDropped)[0].reason == "tester_hung_up"


def test_about_names_the_versions():
    from console.ui.about import about_text

    text = about_text("vosk-model-small-en-us-0.15")
    assert "Qt 6." in text and "vosk" in text and "pyttsx3" in text
    assert "vosk-model-small-en-us-0.15" in text
