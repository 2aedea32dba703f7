"""The whole window against the unlucky user's files (issue 20): damaged session folders
at start, a corrupt saved setting, a read-only sessions folder. Each is named in words
and the window goes on working; the store, the settings loader and the CLI have tests of
their own, these drive the MainWindow a tester starts."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from console.core import events as ev
from tests.session.test_damaged_sessions import DAMAGES, saved_session
from tests.ui.test_main_window import events_of, place_call_and_say


def open_window(qtbot, store, sessions):
    """The window as the app opens it, on typed input, keeping calls in `sessions`."""
    from console.ui.main_window import TYPED_ONLY, MainWindow

    window = MainWindow(store=store, sessions_dir=sessions, load_model=False)
    qtbot.addWidget(window)
    window.input_combo.setCurrentIndex(window.input_combo.findText(TYPED_ONLY))
    window.show()
    return window


def a_call_goes_to_its_drop(qtbot, window) -> ev.LineDropped:
    place_call_and_say(qtbot, window, "no thanks")
    qtbot.waitUntil(lambda: window.call is None, timeout=15_000)
    (drop,) = events_of(window, ev.LineDropped)
    return drop


def test_damaged_sessions_at_start_are_named_and_the_window_goes_on(
    qtbot, store, tmp_path, monkeypatch
):
    root = tmp_path / "sessions"
    good = saved_session(root)
    damaged = []
    for damage in (
        "events.jsonl links to /dev/zero",
        "events.jsonl is a FIFO",
        "session.json is a folder",
        "session.json links to /etc/passwd",
    ):
        folder = saved_session(root)
        DAMAGES[damage](folder)
        damaged.append(folder)
    warned: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "warning", lambda *a, **k: warned.append(a[2]) or QMessageBox.StandardButton.Ok
    )
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No
    )
    window = open_window(qtbot, store, root)
    with qtbot.waitSignal(window.sessions.recovery_done, timeout=30_000) as done:
        window.offer_recovery()  # what the app does once the window shows
    scan = done.args[0]
    assert {row.folder for row in scan.damaged} == set(damaged)
    (text,) = warned
    assert text.startswith("4 session folder(s) are damaged and were skipped")
    for folder in damaged:
        assert folder.name in text
    assert f"{good.name}:" not in text and asked == []  # nothing crashed: nothing to offer
    assert window.isVisible()
    assert a_call_goes_to_its_drop(qtbot, window).reason == ev.END_CALL_ACTION


def test_a_corrupt_saved_setting_is_shown_in_the_status_bar_and_defaults_apply(
    qtbot, store, tmp_path
):
    from console.agent.llm import LLMSettings

    settings = QSettings()
    settings.setValue("llm/timeout_s", "abc")
    try:
        window = open_window(qtbot, store, tmp_path / "sessions")
        message = window.statusBar().currentMessage()
        assert "'abc'" in message and "timeout" in message, message
        assert window.llm_settings.timeout_s == LLMSettings().timeout_s
        assert a_call_goes_to_its_drop(qtbot, window).reason == ev.END_CALL_ACTION
    finally:
        settings.remove("llm/timeout_s")


def test_a_read_only_sessions_folder_says_the_call_is_not_saved_and_it_goes_on(
    qtbot, store, tmp_path
):
    from tests.reliability.test_disk_full import Tmpfs

    disk = Tmpfs(tmp_path / "disk", 256)
    try:
        sessions = disk.path / "sessions"
        sessions.mkdir()
        disk.read_only()
        window = open_window(qtbot, store, sessions)
        shown: list[str] = []
        window.statusBar().messageChanged.connect(shown.append)
        drop = a_call_goes_to_its_drop(qtbot, window)
    finally:
        disk.close()
    assert drop.reason == ev.END_CALL_ACTION and events_of(window, ev.Goodbye)
    said = [n.message for n in events_of(window, ev.Notice) if n.source == "session"]
    assert len(said) == 1 and said[0].endswith("this call is not saved; it goes on"), said
    assert "Read-only file system" in said[0] or "read-only" in said[0], said
    assert any(m.endswith("this call is not saved; it goes on") for m in shown), shown
    assert any("this call is not saved" in line for line in window.transcript.lines())
    assert window.last_call.session_dir is None
    assert window.statusBar().currentMessage() == "Call ended. It was not saved."
