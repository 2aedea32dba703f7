"""The call's name, in the call toolbar: what a tester calls a call ("no to ready, v2
description") instead of "gui call".

Before a call the name is the next call's (its session folder and session.json take
it). After a call, "Rename last call" gives the call just made this name (session.json
and the session index; the folder keeps its own). During a call it cannot change: the
session writes its name when the call ends.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QWidget

DEFAULT_NAME = "gui call"


class CallName(QWidget):
    rename_requested = Signal(object, str)  # the last call's session folder, its new name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QLineEdit()
        self.field.setPlaceholderText("Name this call")
        self.field.setAccessibleName("Call name")
        self.field.setToolTip(
            "The name of the next call, saved with its session (e.g. 'no to ready, v2 "
            "description'); after a call, 'Rename last call' gives that call this name"
        )
        self.field.setMaxLength(200)
        self.field.setMinimumWidth(self.fontMetrics().horizontalAdvance("no to ready, v2 desc"))
        self.field.setMaximumWidth(self.fontMetrics().horizontalAdvance("n" * 40))
        self.rename_button = QPushButton("Rename last call")
        self.rename_button.setToolTip("Give the call just made the name in the box")
        self.rename_button.setEnabled(False)
        label = QLabel("Name:")
        label.setBuddy(self.field)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        for widget in (label, self.field, self.rename_button):
            layout.addWidget(widget)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.last: Path | None = None  # the last call's session folder
        self.rename_button.clicked.connect(self._rename)

    def name(self) -> str:
        """The next call's name (the default when the box is empty)."""
        return " ".join(self.field.text().split()) or DEFAULT_NAME

    def set_calling(self, calling: bool) -> None:
        self.field.setEnabled(not calling)
        self.rename_button.setEnabled(not calling and self.last is not None)

    def set_last(self, session_dir: Path | None) -> None:
        """The call just ended was saved here (None: it was not saved)."""
        self.last = session_dir
        self.rename_button.setEnabled(session_dir is not None)

    def _rename(self) -> None:
        if self.last is not None and self.field.text().strip():
            self.rename_requested.emit(self.last, self.name())
