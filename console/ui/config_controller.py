"""One place where the GUI changes the config: live during a call, with undo and redo.

An edit is validated here, on the GUI thread, so a refusal shows at once. During a call it
is then handed to the call without waiting (the engine's thread applies it, logs it on
the timeline, and the agent sees it at its next decision); the outcome comes back as a
queued Qt signal. Between calls it goes straight to the store. Undo and redo re-apply an
earlier config as a new edit: versions only ever grow, so the timeline never shows a
version number twice.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.core.config import CallConfig, ConfigStore, EditResult


class ConfigController(QObject):
    changed = Signal(int)  # the new version in force
    refused = Signal(object)  # EditResult
    undoAvailable = Signal(bool)
    redoAvailable = Signal(bool)
    _outcome = Signal(object, bool)  # (EditResult, recorded for undo), queued to this thread

    def __init__(self, store: ConfigStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.call: Any = None  # a LiveCall while one runs (set by the call controller)
        self._undo: list[CallConfig] = []
        self._redo: list[CallConfig] = []
        self._outcome.connect(self._settled)

    @property
    def config(self) -> CallConfig:
        return self.store.current

    def edit(self, changes: dict[str, Any]) -> EditResult:
        """Validate now; apply (mid-call: submit) if valid. Returns the validation."""
        checked = self.store.check(changes)
        if not checked.accepted:
            self.refused.emit(checked)
            return checked
        if checked.changes:
            self._record(self.store.current)
            if self.call is not None:
                self._submit(self.call.edit(changes), recorded=True)
            else:
                self._settled(self.store.edit(changes))
        return checked

    def replace(self, config: CallConfig, record: bool = True) -> None:
        if record:
            self._record(self.store.current)
        if self.call is not None:
            self._submit(self.call.replace(config), recorded=record)
        else:
            self._settled(self.store.replace(config))

    def undo(self) -> None:
        if self._undo:
            target = self._undo.pop()
            self._redo.append(self.store.current)
            self.replace(target, record=False)
            self._availability()

    def redo(self) -> None:
        if self._redo:
            target = self._redo.pop()
            self._undo.append(self.store.current)
            self.replace(target, record=False)
            self._availability()

    # -- internals -----------------------------------------------------------------------
    def _record(self, before: CallConfig) -> None:
        self._undo.append(before)
        self._redo.clear()
        self._availability()

    def _submit(self, future: Future[EditResult], recorded: bool) -> None:
        # The callback runs on the engine's thread: a signal carries it over.
        future.add_done_callback(lambda f: self._outcome.emit(f.result(), recorded))

    def _settled(self, result: EditResult, recorded: bool = False) -> None:
        if not result.accepted:
            if recorded and self._undo:
                self._undo.pop()  # nothing changed: nothing to undo
            self.refused.emit(result)
        elif result.changes:
            self.changed.emit(result.version)
        self._availability()

    def _availability(self) -> None:
        self.undoAvailable.emit(bool(self._undo))
        self.redoAvailable.emit(bool(self._redo))
