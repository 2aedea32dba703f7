"""The End Call and prompt editors: validation as you type, live apply, undo, presets."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from console.ui.config_controller import ConfigController
from console.ui.editors import EndCallEditor, PromptEditor


@pytest.fixture
def controller(store):
    return ConfigController(store)


@pytest.fixture
def editor(qtbot, controller):
    w = EndCallEditor(controller)
    qtbot.addWidget(w)
    w.show()
    return w


def lint_codes(listwidget) -> list[str]:
    out = []
    for i in range(listwidget.count()):
        lint = listwidget.item(i).data(Qt.ItemDataRole.UserRole)
        if lint is not None:
            out.append(lint.code)
    return out


def test_invalid_name_is_shown_and_never_applied(qtbot, editor, controller):
    editor.name.selectAll()
    qtbot.keyClicks(editor.name, "hang")  # a valid name starts to wait for its pause...
    qtbot.keyClicks(editor.name, " up")  # ...and an invalid one cancels it
    assert "valid tool name" in editor.name_error.text()
    assert "invalid_field" in lint_codes(editor.lints)
    editor.flush()  # whatever waits to be applied is applied now: nothing does
    assert controller.config.end_call.name == "end_call" and controller.store.version == 1


def test_valid_name_is_applied_after_a_pause_as_one_version(qtbot, editor, controller):
    editor.name.selectAll()
    qtbot.keyClicks(editor.name, "hang_up")
    assert controller.store.version == 1  # not per keystroke
    qtbot.waitUntil(lambda: controller.config.end_call.name == "hang_up", timeout=2000)
    assert controller.store.version == 2
    # The prompt still says end_call: the lints say why the call would not end.
    assert {"prompt_missing_action", "prompt_other_action"} <= set(lint_codes(editor.lints))
    tool = json.loads(editor.tool.toPlainText())
    assert tool["function"]["name"] == "hang_up"


def test_skip_goodbye_applies_at_once_and_lints(qtbot, editor, controller):
    qtbot.mouseClick(editor.skip, Qt.MouseButton.LeftButton)
    assert controller.config.end_call.skip_goodbye is True
    assert "skip_with_goodbye_in_prompt" in lint_codes(editor.lints)
    assert not editor.goodbye.isEnabled()


def test_undo_redo(qtbot, editor, controller):
    qtbot.mouseClick(editor.skip, Qt.MouseButton.LeftButton)
    editor.description.setPlainText("Use when the caller says bye.")
    editor.flush()
    assert controller.store.version == 3
    qtbot.mouseClick(editor.undo, Qt.MouseButton.LeftButton)
    assert controller.config.end_call.description.startswith("Use when the contact")
    assert editor.description.toPlainText().startswith("Use when the contact")
    assert controller.store.version == 4  # versions only grow
    qtbot.mouseClick(editor.redo, Qt.MouseButton.LeftButton)
    assert controller.config.end_call.description == "Use when the caller says bye."


def test_preset(qtbot, editor, controller):
    index = editor.presets.findText("Voicemail: skip goodbye")
    editor.presets.activated.emit(index)
    assert controller.config.end_call.skip_goodbye is True
    assert "voicemail" in controller.config.end_call.description


def test_prompt_editor_highlights_lints_and_loads_examples(qtbot, controller):
    w = PromptEditor(controller)
    qtbot.addWidget(w)
    w.text.setPlainText("Be nice.")
    w.flush()
    assert controller.config.agent.main_prompt == "Be nice."
    codes = lint_codes(w.lints)
    assert "prompt_missing_action" in codes
    index = w.examples.findText("solar-outreach")
    assert index > 0
    w.examples.activated.emit(index)
    assert "Acme Solar" in controller.config.agent.main_prompt
    # the action's name is highlighted where the prompt references it
    block = w.text.document().findBlockByNumber(6)
    formats = block.layout().formats()
    assert any(f.format.fontWeight() > 400 for f in formats), block.text()
    # a renamed action: the line asking for the old name is marked, the lint says why
    controller.edit({"end_call.name": "hang_up"})
    assert 7 in w.highlighter.lint_lines and "hang_up" in w.highlighter.lint_lines[7]
    formats = w.text.document().findBlockByNumber(6).layout().formats()
    assert any(f.format.underlineStyle() != f.format.underlineStyle().NoUnderline for f in formats)
