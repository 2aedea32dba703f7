"""The End Call editor's platform fields: End Call on/off, a fixed goodbye, end-call
phrases and their match rule, each applied as one config edit."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.agent.lints import lint_config
from console.core.config import ConfigStore, parse_config
from console.ui.config_controller import ConfigController
from console.ui.editors import EndCallEditor


def make(qtbot):
    store = ConfigStore(parse_config({"agent": {"main_prompt": "Be helpful."}}))
    controller = ConfigController(store)
    editor = EndCallEditor(controller)
    qtbot.addWidget(editor)
    editor.show()
    return store, editor


def test_platform_fields_edit_the_config(qtbot):
    store, editor = make(qtbot)
    qtbot.mouseClick(editor.enabled, Qt.MouseButton.LeftButton)
    assert store.current.end_call.enabled is False
    qtbot.keyClicks(editor.message, "Thanks for calling {agent_name}!")
    qtbot.keyClicks(editor.phrases, "goodbye, talk soon")
    editor.flush()
    end_call = store.current.end_call
    assert end_call.goodbye_message == "Thanks for calling {agent_name}!"
    assert end_call.phrases == ["goodbye", "talk soon"]
    editor.phrase_match.setCurrentIndex(editor.phrase_match.findData("whole_words"))
    editor.phrase_match.activated.emit(editor.phrase_match.currentIndex())
    assert store.current.end_call.phrase_match == "whole_words"


def test_end_call_off_does_not_also_warn_that_the_prompt_never_names_it(qtbot):
    store, editor = make(qtbot)
    codes = {lint.code for lint in lint_config(store.current)}
    assert "prompt_missing_action" in codes  # on, and the prompt never says end_call
    qtbot.mouseClick(editor.enabled, Qt.MouseButton.LeftButton)
    codes = {lint.code for lint in lint_config(store.current)}
    assert "prompt_missing_action" not in codes and "no_end_call_tool" in codes


def test_on_a_laptop_screen_the_end_call_form_scrolls_instead_of_squashing(window, qtbot):
    """At 1280x720 the form is taller than its tab: every row keeps the height it needs
    (the platform rows were drawn on top of each other) and the page scrolls."""
    assert window.minimumSizeHint().height() <= 720, "the window cannot fit a 720-line screen"
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.height() <= 720)
    editor = window.end_call_editor
    for widget in (editor.enabled, editor.message, editor.phrases, editor.lints, editor.tool):
        assert widget.height() >= widget.minimumSizeHint().height(), widget.accessibleName()
    page = editor.parentWidget().parentWidget()
    assert page.verticalScrollBar().maximum() > 0
