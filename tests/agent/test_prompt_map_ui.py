"""The prompt map in the Main prompt tab: beside the text, one row per prompt line, with
what the offline agent made of it; a click goes to the line. Real widgets (pytest-qt)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from console.core.config import ConfigStore, parse_config
from console.ui.config_controller import ConfigController
from console.ui.editors import PromptEditor

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

PROMPT = """# Role
You are Nova, the booking assistant for Harbor Dental. Keep answers short.

# Voicemail
Voicemail greetings sound like:
1. "You've reached the voicemail of"
2. "Please leave a message"
If you hear one of these, call end_call without leaving a message.

# Example
User: I'd like a cleaning
Assistant: Sure, what day works?

# Task
1. Ask "Hi, this is Nova from Harbor Dental. Would you like to book your cleaning?"
   - **No** -> say "No problem, have a good day!" -> end_call
   - **Yes** -> go to step 2
2. Ask "Does Tuesday morning work?"

# Guardrails
DO NOT call end_call when the caller says 'thank you'.
If the caller asks about the price, say "A cleaning is covered by most plans."
Escalate to a supervisor if needed.
"""


@pytest.fixture
def editor(qtbot):
    config = parse_config(
        {
            "agent": {"main_prompt": PROMPT},
            "end_call": {"description": "Use when the caller says goodbye or is not interested."},
        }
    )
    controller = ConfigController(ConfigStore(config))
    widget = PromptEditor(controller)
    qtbot.addWidget(widget)
    return widget, controller


def rows(widget) -> dict[int, tuple[str, str]]:
    out = {}
    for i in range(widget.map.topLevelItemCount()):
        item = widget.map.topLevelItem(i)
        out[int(item.text(0))] = (item.text(1), item.text(2))
    return out


def test_the_map_lists_every_line_with_what_it_became(editor):
    widget, _ = editor
    got = rows(widget)
    assert got[6] == ("phrase list", got[6][1]) and "voicemail" in got[6][1]
    assert got[8][0] == "end trigger"  # "If you hear one of these": the list above
    assert got[11][0] == "example"
    assert got[15][0] == "step" and "Would you like to book your cleaning?" in got[15][1]
    assert got[16][0] == "end trigger"
    assert got[21][0] == "not an end" and '"thank you"' in got[21][1]
    assert got[22][0] == "objection answer"
    assert got[23][0] == "ignored"
    assert "numbered script of 2 steps" in widget.mode.text()
    # the line the agent could not use is also a lint, underlined in the text
    assert 23 in widget.highlighter.lint_lines


def test_the_map_follows_edits_and_a_click_goes_to_the_line(editor, qtbot):
    widget, controller = editor
    controller.edit(
        {"agent.main_prompt": PROMPT.replace("Escalate to a supervisor if needed.\n", "")}
    )
    assert 23 not in rows(widget)
    item = next(
        widget.map.topLevelItem(i)
        for i in range(widget.map.topLevelItemCount())
        if widget.map.topLevelItem(i).text(0) == "16"
    )
    widget.map.itemClicked.emit(item, 0)
    assert widget.text.textCursor().blockNumber() == 15


def test_screenshot_of_the_main_prompt_tab(editor, qtbot):
    """Saved for people to look at (test-artifacts/prompt-map.png)."""
    widget, _ = editor
    widget.resize(1280, 760)
    widget.split.setSizes([620, 660])
    widget.show()
    qtbot.waitExposed(widget)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "prompt-map.png"
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 10_000 or os.environ.get("QT_QPA_PLATFORM") == "offscreen"
