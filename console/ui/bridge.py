"""The thin adapter between the call (plain Python, many threads) and Qt.

Listeners of the engine run on the engine's thread, the level meter on the audio pump's,
partial captions on the recogniser's. Each just emits a Qt signal: Qt queues signals
across threads, so the widgets only ever see them on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from console.core import events as ev


class CallBridge(QObject):
    event = Signal(object)  # console.core.events.Event
    partial = Signal(str)
    level = Signal(float)
    started = Signal(object)  # the LiveCall, once start() returned
    failed = Signal(str)
    closed = Signal(object)  # the LiveCall, once close() returned

    def on_event(self, event: ev.Event) -> None:
        self.event.emit(event)

    def on_partial(self, text: str) -> None:
        self.partial.emit(text)

    def on_level(self, rms: float) -> None:
        self.level.emit(rms)
