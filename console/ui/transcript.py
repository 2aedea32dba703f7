"""The transcript beside the timeline: who said what, in time order, and the typing box.

Rows are kept in order of their session time, not of arrival: in an audio call a caller
line becomes final after its endpoint silence, so it can arrive after an agent line that
started later.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from console.core import events as ev
from console.report.table import describe

_SPEAKER = {"caller_speech": "Caller", "agent_speech": "Agent", "goodbye": "Goodbye"}


def transcript_line(event: ev.Event) -> str | None:
    """One transcript row for an event, or None for events the transcript leaves out."""
    if isinstance(event, ev.SpeechStarted):  # shown from the first sample, while it plays
        who = "Goodbye" if event.speech == "goodbye" else "Agent"
        return f"{event.t:6.2f}  {who}: {event.text} …"
    row = describe(event)
    if row is None:
        return None
    if isinstance(event, ev.CallerSpeech | ev.AgentSpeech | ev.Goodbye):
        after = " (after the action)" if getattr(event, "after_action", False) else ""
        cut = " [cut short]" if getattr(event, "cut_short", False) else ""
        return f"{event.t:6.2f}  {_SPEAKER[event.kind]}{after}: {event.text}{cut}"
    if isinstance(event, ev.ActionInvoked | ev.LineDropped | ev.Notice | ev.ReplyDiscarded):
        return f"{event.t:6.2f}  [{row[1]}] {row[2]}"
    return None


class TranscriptPanel(QWidget):
    typed = Signal(str)  # a line the tester typed as the caller

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Transcript")
        self.list.setWordWrap(True)
        self.caption = QLabel("")
        self.caption.setStyleSheet("color: gray; font-style: italic")
        self.input = QLineEdit()
        self.input.setPlaceholderText("Type what the caller says and press Enter")
        self.input.setAccessibleName("Typed caller input")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Transcript"))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.input)
        self._times: list[tuple[float, int]] = []  # (t, seq) of each row, sorted
        self._playing: dict[int, QListWidgetItem] = {}  # utterance id -> its growing row
        self._base_points = self.list.font().pointSizeF()
        self.input.returnPressed.connect(self._send)

    def clear(self) -> None:
        self.list.clear()
        self._times.clear()
        self._playing.clear()
        self.caption.setText("")

    def add_event(self, event: ev.Event) -> None:
        line = transcript_line(event)
        if isinstance(event, ev.CallerSpeech):
            self.caption.setText("")
        if line is None:
            return
        uid = getattr(event, "utterance_id", None)
        if isinstance(event, ev.AgentSpeech | ev.Goodbye) and uid in self._playing:
            self._playing.pop(uid).setText(line)  # the line it played: final now
            return
        key = (event.t, event.seq)
        index = bisect.bisect_right(self._times, key)
        self._times.insert(index, key)
        row = QListWidgetItem(line)
        self.list.insertItem(index, row)
        if isinstance(event, ev.SpeechStarted):
            self._playing[event.utterance_id] = row
        if index == len(self._times) - 1:
            self.list.scrollToBottom()

    def set_text_scale(self, scale: float) -> None:
        font = self.list.font()
        font.setPointSizeF(self._base_points * scale)
        self.list.setFont(font)

    def lines(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def show_partial(self, text: str) -> None:
        self.caption.setText(f"hearing: {text}")

    def set_live(self, live: bool) -> None:
        self.input.setEnabled(live)
        if not live:
            self.caption.setText("")

    def _send(self) -> None:
        text = self.input.text().strip()
        self.input.clear()
        if text:
            self.typed.emit(text)
