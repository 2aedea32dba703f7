"""The End Call editor and the prompt editor: validated as you type, applied live.

A field is checked on every keystroke; a valid value is applied after a short pause in
typing (so one word is one version, not one per letter), an invalid one is shown in red
with the rule and never applied. Lints are shown beside the fields and refreshed on every
change. The version in force, and when it took effect, is shown under the fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.agent.lints import Lint, lint_config
from console.agent.prompt_map import config_map
from console.agent.tool import tool_definition
from console.core.config import TOOL_NAME_RE, TOOL_NAME_RULE
from console.report.colors import COLORS
from console.resources import asset
from console.ui.config_controller import ConfigController

APPLY_AFTER_MS = 400

PRESETS: dict[str, dict[str, Any]] = {
    "Voicemail: skip goodbye": {
        "end_call.skip_goodbye": True,
        "end_call.goodbye_prompt": "",
        "end_call.description": "Use when you reach a voicemail greeting or an answering "
        "machine, or when the contact says goodbye.",
    },
    "Polite goodbye from the main prompt": {
        "end_call.skip_goodbye": False,
        "end_call.goodbye_prompt": "",
    },
    "Fixed goodbye line": {
        "end_call.skip_goodbye": False,
        "end_call.goodbye_prompt": 'Say "Thank you for your time. Have a great day!"',
    },
    "Default description": {
        "end_call.description": "Use when the contact says goodbye, is not interested, or "
        "the conversation is complete.",
    },
}

GOODBYE_HELP = (
    'With the offline agent, the goodbye is the prompt\'s first "quoted line", or the '
    "prompt itself with {variables} filled in. Empty: the line the main prompt attaches to "
    "the rule that ended the call, else its closing line."
)


def _lint_item(lint: Lint) -> QListWidgetItem:
    mark = {"error": "⛔", "warning": "⚠", "info": "ℹ"}.get(lint.severity, "•")
    where = f" (line {lint.line})" if lint.line else ""
    item = QListWidgetItem(f"{mark} {lint.field}{where}: {lint.message}")
    item.setToolTip(f"{lint.code}: {lint.message}")
    item.setData(Qt.ItemDataRole.UserRole, lint)
    return item


class _Debounced:
    """Apply a field's value after a pause in typing."""

    def __init__(self, parent: QWidget, fn) -> None:
        self.timer = QTimer(parent)
        self.timer.setSingleShot(True)
        self.timer.setInterval(APPLY_AFTER_MS)
        self.timer.timeout.connect(fn)

    def poke(self) -> None:
        self.timer.start()

    def flush(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.timer.timeout.emit()


def split_phrases(text: str) -> list[str]:
    """'goodbye, talk soon' -> ['goodbye', 'talk soon']: what the phrases field holds."""
    return [p.strip() for p in text.split(",") if p.strip()]


class EndCallEditor(QWidget):
    applied = Signal(int)

    def __init__(self, controller: ConfigController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.name = QLineEdit()
        self.name.setAccessibleName("End Call name")
        self.name_error = QLabel()
        self.name_error.setWordWrap(True)
        self.name_error.setStyleSheet(f"color: {COLORS['action'][1]}")
        self.description = QPlainTextEdit()
        self.description.setAccessibleName("End Call description")
        self.description.setFixedHeight(70)
        self.skip = QCheckBox("Skip Goodbye Message (hang up at once, say nothing)")
        self.goodbye = QPlainTextEdit()
        self.goodbye.setAccessibleName("Goodbye Message Prompt")
        self.goodbye.setFixedHeight(60)
        self.goodbye.setPlaceholderText("Empty: the goodbye comes from the main prompt")
        self.goodbye.setToolTip(GOODBYE_HELP)
        # The platforms' own hang-up features (imported from Vapi, Retell...), all off by
        # default: End Call off, a fixed goodbye, end-call phrases with their match rule.
        self.enabled = QCheckBox("End Call enabled (off: the agent can never hang up itself)")
        self.message = QLineEdit()
        self.message.setAccessibleName("Fixed goodbye message")
        self.message.setPlaceholderText("Empty: the goodbye is generated (above)")
        self.message.setToolTip(
            "Spoken word for word when the action fires, instead of a generated goodbye "
            "(Vapi endCallMessage, Retell static text); never with skip goodbye"
        )
        self.phrases = QLineEdit()
        self.phrases.setAccessibleName("End-call phrases")
        self.phrases.setPlaceholderText("e.g. goodbye, talk to you soon (comma separated)")
        self.phrases.setToolTip(
            "The call ends after the agent itself finishes a line containing one of these "
            "(Vapi endCallPhrases)"
        )
        self.phrase_match = QComboBox()
        self.phrase_match.addItem("anywhere, any case (Vapi)", "substring")
        self.phrase_match.addItem("whole words", "whole_words")
        self.version = QLabel("config v1")
        # During a call to a remote agent (SIP): why nothing here can be edited, and
        # whose config is shown (an imported platform config, or none).
        self.remote = QLabel()
        self.remote.setWordWrap(True)
        self.remote.setTextFormat(Qt.TextFormat.PlainText)
        self.remote.setStyleSheet(f"color: {COLORS['action'][1]}")
        self.remote.hide()
        self._locked: dict[QWidget, bool] = {}  # widget -> enabled before a remote call
        self.lints = QListWidget()
        self.lints.setWordWrap(True)
        self.lints.setAccessibleName("Lints")
        self.lints.setMinimumHeight(72)
        self.presets = QComboBox()
        self.presets.addItem("Presets…")
        self.presets.addItems(list(PRESETS))
        self.undo = QPushButton("Undo")
        self.redo = QPushButton("Redo")
        self.undo.setEnabled(False)
        self.redo.setEnabled(False)
        self.tool = QPlainTextEdit()
        self.tool.setReadOnly(True)
        self.tool.setAccessibleName("Tool definition an LLM receives")
        self.tool.setMinimumHeight(96)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.tool.setFont(mono)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("", self.name_error)
        form.addRow("Description", self.description)
        form.addRow("", self.skip)
        form.addRow("Goodbye prompt", self.goodbye)
        help_label = QLabel(GOODBYE_HELP)
        help_label.setWordWrap(True)
        help_label.setStyleSheet("color: gray")
        form.addRow("", help_label)
        platform = QGroupBox("Platform hang-up features")
        platform_form = QFormLayout(platform)
        platform_form.addRow(self.enabled)
        platform_form.addRow("Fixed goodbye", self.message)
        phrase_row = QHBoxLayout()
        phrase_row.addWidget(self.phrases, 1)
        phrase_row.addWidget(self.phrase_match)
        platform_form.addRow("End-call phrases", phrase_row)
        form.addRow(platform)
        buttons = QHBoxLayout()
        buttons.addWidget(self.presets, 1)
        buttons.addWidget(self.undo)
        buttons.addWidget(self.redo)
        layout = QVBoxLayout(self)
        layout.addWidget(self.remote)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.version)
        layout.addWidget(QLabel("Lints"))
        layout.addWidget(self.lints, 1)
        layout.addWidget(QLabel("Tool definition an LLM receives (read-only)"))
        layout.addWidget(self.tool, 1)

        self._name_apply = _Debounced(self, lambda: self._apply_field("end_call.name"))
        self._desc_apply = _Debounced(self, lambda: self._apply_field("end_call.description"))
        self._goodbye_apply = _Debounced(self, lambda: self._apply_field("end_call.goodbye_prompt"))
        self.name.textEdited.connect(self._name_typed)
        self.description.textChanged.connect(lambda: self._typed(self._desc_apply))
        self.goodbye.textChanged.connect(lambda: self._typed(self._goodbye_apply))
        self.skip.toggled.connect(lambda on: self._apply({"end_call.skip_goodbye": on}))
        self.enabled.toggled.connect(lambda on: self._apply({"end_call.enabled": on}))
        self._message_apply = _Debounced(
            self, lambda: self._apply({"end_call.goodbye_message": self.message.text()})
        )
        self._phrases_apply = _Debounced(
            self, lambda: self._apply({"end_call.phrases": split_phrases(self.phrases.text())})
        )
        self.message.textEdited.connect(lambda _t: self._typed(self._message_apply))
        self.phrases.textEdited.connect(lambda _t: self._typed(self._phrases_apply))
        self.phrase_match.activated.connect(
            lambda _i: self._apply({"end_call.phrase_match": self.phrase_match.currentData()})
        )
        self.presets.activated.connect(self._preset)
        self.undo.clicked.connect(controller.undo)
        self.redo.clicked.connect(controller.redo)
        controller.changed.connect(lambda _v: self.refresh())
        controller.undoAvailable.connect(self.undo.setEnabled)
        controller.redoAvailable.connect(self.redo.setEnabled)
        self._loading = False
        self.refresh()

    # -- showing --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the config in force (after an edit, undo, or a file load)."""
        cfg = self.controller.config.end_call
        self._loading = True
        if self.name.text() != cfg.name and not self.name_error.text():
            self.name.setText(cfg.name)
        # A field still being typed (its edit waits for a pause) keeps what was typed.
        for widget, value, pending in (
            (self.description, cfg.description, self._desc_apply),
            (self.goodbye, cfg.goodbye_prompt, self._goodbye_apply),
        ):
            if widget.toPlainText() != value and not pending.timer.isActive():
                widget.setPlainText(value)
        self.skip.setChecked(cfg.skip_goodbye)
        self.goodbye.setEnabled(not cfg.skip_goodbye)
        self.enabled.setChecked(cfg.enabled)
        if self.message.text() != cfg.goodbye_message and not self._message_apply.timer.isActive():
            self.message.setText(cfg.goodbye_message)
        self.message.setEnabled(not cfg.skip_goodbye)
        typing_phrases = self._phrases_apply.timer.isActive()
        if split_phrases(self.phrases.text()) != list(cfg.phrases) and not typing_phrases:
            self.phrases.setText(", ".join(cfg.phrases))
        self.phrase_match.setCurrentIndex(self.phrase_match.findData(cfg.phrase_match))
        self._loading = False
        self.tool.setPlainText(json.dumps(tool_definition(self.controller.config), indent=2))
        self.show_lints()

    def show_lints(self) -> None:
        self.lints.clear()
        lints = lint_config(self.controller.config)
        if self.name_error.text():
            lints.insert(0, Lint("invalid_field", "error", "end_call.name", self.name_error.text()))
        for lint in lints:
            self.lints.addItem(_lint_item(lint))
        if not lints:
            self.lints.addItem("✓ no problems found")

    def set_version_text(self, text: str) -> None:
        self.version.setText(text)

    @property
    def read_only(self) -> bool:
        return bool(self._locked)

    def set_remote(self, text: str | None) -> None:
        """A call to a remote agent (`text` says why nothing can be edited and whose
        config is shown): every field read-only, the text kept readable. None: editable
        again, as before."""
        texts = (self.name, self.description, self.goodbye, self.message, self.phrases)
        switches = (self.skip, self.enabled, self.phrase_match, self.presets, self.undo, self.redo)
        if text is not None:
            if not self._locked:
                self._locked = {w: w.isEnabled() for w in switches}
            for widget in texts:
                widget.setReadOnly(True)
            for widget in switches:
                widget.setEnabled(False)
            self.remote.setText(text)
            self.remote.show()
            return
        for widget in texts:
            widget.setReadOnly(False)
        for widget, enabled in self._locked.items():
            widget.setEnabled(enabled)
        self._locked = {}
        self.remote.hide()
        self.refresh()

    # -- editing --------------------------------------------------------------------------
    def _name_typed(self, text: str) -> None:
        if TOOL_NAME_RE.match(text):
            self.name_error.setText("")
            self.name.setStyleSheet("")
            self._name_apply.poke()
        else:
            self.name_error.setText(f"Not applied: the name {TOOL_NAME_RULE}.")
            self.name.setStyleSheet(f"border: 2px solid {COLORS['action'][1]}")
            self._name_apply.timer.stop()
        self.show_lints()

    def _typed(self, debounce: _Debounced) -> None:
        if not self._loading:
            debounce.poke()

    def _apply_field(self, field: str) -> None:
        value = {
            "end_call.name": self.name.text(),
            "end_call.description": self.description.toPlainText(),
            "end_call.goodbye_prompt": self.goodbye.toPlainText(),
        }[field]
        self._apply({field: value})

    def _apply(self, changes: dict[str, Any]) -> None:
        if self._loading:
            return
        result = self.controller.edit(changes)
        if result.accepted:
            self.applied.emit(result.version)
        self.refresh()

    def _preset(self, index: int) -> None:
        if index > 0:
            self._apply(dict(PRESETS[self.presets.itemText(index)]))
        self.presets.setCurrentIndex(0)

    def flush(self) -> None:
        """Apply whatever is being typed now (before a call starts, for instance)."""
        for debounce in (
            self._name_apply,
            self._desc_apply,
            self._goodbye_apply,
            self._message_apply,
            self._phrases_apply,
        ):
            debounce.flush()


class ActionNameHighlighter(QSyntaxHighlighter):
    """Marks the action's name wherever the prompt references it, and other action-like
    names (which the agent cannot invoke) in red."""

    def __init__(self, document, controller: ConfigController) -> None:
        super().__init__(document)
        self.controller = controller
        self.ok = QTextCharFormat()
        self.ok.setBackground(QColor(COLORS["action"][0]).lighter(160))
        self.ok.setFontWeight(QFont.Weight.Bold)
        self.bad = QTextCharFormat()
        self.bad.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self.bad.setUnderlineColor(QColor(COLORS["action"][1]))
        self.linted = QTextCharFormat()
        self.linted.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
        self.linted.setUnderlineColor(QColor(COLORS["goodbye"][1]))
        self.lint_lines: dict[int, str] = {}  # 1-based prompt line -> lint message

    def highlightBlock(self, text: str) -> None:
        message = self.lint_lines.get(self.currentBlock().blockNumber() + 1)
        if message and text.strip():
            start = len(text) - len(text.lstrip())
            self.setFormat(start, len(text) - start, self.linted)
        name = self.controller.config.end_call.name
        exact = QRegularExpression(rf"(?<![\w-]){QRegularExpression.escape(name)}(?![\w-])")
        it = exact.globalMatch(text)
        while it.hasNext():
            m = it.next()
            self.setFormat(m.capturedStart(), m.capturedLength(), self.ok)
        other = QRegularExpression(r"\b(?:call|invoke|trigger)\s+`?([A-Za-z_][\w-]*_[\w-]*)`?")
        it = other.globalMatch(text)
        while it.hasNext():
            m = it.next()
            if m.captured(1) != name:
                self.setFormat(m.capturedStart(1), m.capturedLength(1), self.bad)


class PromptEditor(QWidget):
    """The main prompt, its prompt map beside it (what the offline agent made of each
    line; click a row to go to the line) and its lints."""

    # Background of a map row by role (the timeline's colours, lightened).
    ROLE_COLORS: ClassVar[dict[str, str]] = {
        "end trigger": COLORS["action"][0],
        "not an end": COLORS["config"][0],
        "step": COLORS["caller"][0],
        "rule": COLORS["agent"][0],
        "objection answer": COLORS["model"][0],
        "opening line": COLORS["goodbye"][0],
        "closing line": COLORS["goodbye"][0],
        "ignored": COLORS["notes"][0],
    }

    def __init__(self, controller: ConfigController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Main prompt")
        self.text.setPlaceholderText(
            '1. Ask "Are you ready to move forward?"\n'
            '   - If the contact responds no, call end_call and say "Thanks for your time."'
        )
        self.highlighter = ActionNameHighlighter(self.text.document(), controller)
        self.examples = QComboBox()
        self.examples.addItem("Start from an example…")
        for path in sorted(asset("prompts").glob("*.md")):
            self.examples.addItem(path.stem, str(path))
        self.mode = QLabel()
        self.mode.setWordWrap(True)
        self.map = QTreeWidget()
        self.map.setAccessibleName("Prompt map")
        self.map.setHeaderLabels(["Line", "Read as", "What the offline agent understood"])
        self.map.setRootIsDecorated(False)
        self.map.setUniformRowHeights(False)
        self.map.setWordWrap(True)
        self.map.setColumnWidth(0, 44)
        self.map.setColumnWidth(1, 118)
        self.map.itemClicked.connect(self._go_to_line)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("<b>Prompt map</b>"))
        side_layout.addWidget(self.mode)
        side_layout.addWidget(self.map, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.text)
        self.split.addWidget(side)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.lints = QListWidget()
        self.lints.setWordWrap(True)
        self.lints.setMaximumHeight(110)
        layout = QVBoxLayout(self)
        layout.addWidget(self.examples)
        layout.addWidget(self.split, 1)
        layout.addWidget(QLabel("Prompt lints"))
        layout.addWidget(self.lints)
        self._apply_later = _Debounced(self, self._apply)
        self.text.textChanged.connect(self._typed)
        self.examples.activated.connect(self._load_example)
        controller.changed.connect(lambda _v: self.refresh())
        self._loading = False
        self.refresh()

    def refresh(self) -> None:
        prompt = self.controller.config.agent.main_prompt
        if self.text.toPlainText() != prompt:
            self._loading = True
            self.text.setPlainText(prompt)
            self._loading = False
        self.lints.clear()
        lines: dict[int, str] = {}
        for lint in lint_config(self.controller.config):
            if lint.field == "agent.main_prompt" or lint.code == "skip_with_goodbye_in_prompt":
                self.lints.addItem(_lint_item(lint))
                if lint.line:
                    lines[lint.line] = lint.message
        # Lines a lint points at are underlined in the text itself, with the lint as tip.
        self.highlighter.lint_lines = lines
        self.text.setToolTip("\n".join(f"line {n}: {m}" for n, m in sorted(lines.items())))
        self.highlighter.rehighlight()
        self._show_map()

    def _show_map(self) -> None:
        cmap = config_map(self.controller.config)
        self.mode.setText(f"The offline agent follows it as {cmap.mode}.")
        self.map.clear()
        for entry in cmap.prompt:
            item = QTreeWidgetItem([str(entry.line), entry.role, entry.detail])
            item.setData(0, Qt.ItemDataRole.UserRole, entry.line)
            item.setToolTip(2, f"line {entry.line}: {entry.text}\n-> {entry.detail}")
            color = self.ROLE_COLORS.get(entry.role)
            if color:
                item.setBackground(1, QColor(color).lighter(165))
            if entry.role == "ignored" and entry.instruction_like:
                font = item.font(1)
                font.setBold(True)
                item.setFont(1, font)
            self.map.addTopLevelItem(item)

    def _go_to_line(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        line = int(item.data(0, Qt.ItemDataRole.UserRole))
        block = self.text.document().findBlockByNumber(line - 1)
        if block.isValid():
            cursor = self.text.textCursor()
            cursor.setPosition(block.position())
            self.text.setTextCursor(cursor)
            self.text.centerCursor()
            self.text.setFocus()

    def _typed(self) -> None:
        if not self._loading:
            self._apply_later.poke()

    def _apply(self) -> None:
        self.controller.edit({"agent.main_prompt": self.text.toPlainText()})
        self.refresh()

    def _load_example(self, index: int) -> None:
        if index > 0:
            path = Path(self.examples.itemData(index))
            self.text.setPlainText(path.read_text(encoding="utf-8"))
            self._apply_later.flush()
        self.examples.setCurrentIndex(0)

    def flush(self) -> None:
        self._apply_later.flush()
