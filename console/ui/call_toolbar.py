"""The call toolbar: call, hang up, mute, the call's state and time, its name, and who
answers (the offline agent or a language model)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QToolBar

from console.ui.about import icon
from console.ui.call_name import CallName


class CallToolbar(QToolBar):
    def __init__(self) -> None:
        super().__init__("Call")
        self.setObjectName("callbar")
        self.call_button = QPushButton(icon("call"), "Call")
        self.call_button.setToolTip("Place a call (Ctrl+Return)")
        self.hangup_button = QPushButton(icon("hangup"), "Hang up")
        self.hangup_button.setToolTip("Hang up (Ctrl+H)")
        self.mute_button = QPushButton(icon("mute"), "Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip("Mute the microphone (Ctrl+M); hold F8 to talk while muted")
        self.state_label = QLabel("Idle")
        self.state_label.setToolTip("Call state")
        self.timer_label = QLabel("0:00.0")
        self.timer_label.setContentsMargins(8, 0, 8, 0)
        self.timer_label.setToolTip("Session time of the call")
        self.call_name = CallName()
        self.backend_combo = QComboBox()
        self.backend_combo.addItems(["Offline agent", "LLM (OpenAI-compatible)"])
        self.backend_combo.setToolTip("Who answers: the offline agent, or a language model")
        self.llm_button = QPushButton("LLM settings…")
        for w in (
            self.call_button,
            self.hangup_button,
            self.mute_button,
            QLabel(" "),
            self.state_label,
            self.timer_label,
            self.call_name,
            QLabel("   Agent:"),
            self.backend_combo,
            self.llm_button,
        ):
            self.addWidget(w)
