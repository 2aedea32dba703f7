"""The LLM settings dialog and a GUI call answered by a model (a scripted local server)."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from console.agent.llm import LLMSettings
from console.core import events as ev
from console.ui.llm_settings import LLMSettingsDialog, load_settings, save_settings
from tests.agent.fake_llm import FakeLLM, Reply


def test_test_connection_lists_models_and_says_what_is_wrong(qtbot):
    server = FakeLLM()
    try:
        dialog = LLMSettingsDialog(LLMSettings(base_url=server.url, model="tiny-model"))
        qtbot.addWidget(dialog)
        qtbot.mouseClick(dialog.test, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.result.text().startswith("✓"), timeout=5000)
        assert "2 model(s)" in dialog.result.text() and "is offered" in dialog.result.text()
        assert dialog.model.count() == 2
    finally:
        server.close()
    dialog.url.setText("http://127.0.0.1:9/v1")
    qtbot.mouseClick(dialog.test, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result.text().startswith("✗"), timeout=10000)
    assert "cannot reach" in dialog.result.text()


def test_settings_are_remembered_but_never_the_key(qtbot):
    save_settings(LLMSettings(base_url="http://127.0.0.1:1234/v1", model="m", api_key="sk-SECRET"))
    loaded = load_settings()
    assert (loaded.base_url, loaded.model, loaded.api_key) == ("http://127.0.0.1:1234/v1", "m", "")
    q = QSettings()
    assert all("SECRET" not in str(q.value(k)) for k in q.allKeys())


def test_gui_call_with_the_llm_backend(qtbot, window):
    server = FakeLLM()
    server.replies.put(Reply(text="Are you ready to move forward?"))
    server.replies.put(Reply(tool_calls=[("end_call", '{"reason": "declined"}')]))
    server.replies.put(Reply(text="Thanks, bye!"))
    try:
        window.llm_settings = LLMSettings(base_url=server.url, model="tiny-model")
        window.backend_combo.setCurrentIndex(1)
        qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: any(isinstance(i.event, ev.AgentSpeech) for i in window.timeline.model.items),
            timeout=10_000,
        )
        qtbot.keyClicks(window.typed, "no thanks")
        qtbot.keyClick(window.typed, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.call is None, timeout=15_000)
    finally:
        server.close()
    items = window.timeline.model.items
    action = next(i.event for i in items if isinstance(i.event, ev.ActionInvoked))
    assert "declined" in action.why
    model_items = [i for i in items if i.lane == "model"]
    assert len(model_items) == 3 and any(
        "first token" in lat.label for lat in window.timeline.model.latencies
    )
    assert window.backend_label.text().startswith("Agent: llm")
