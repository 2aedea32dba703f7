"""One place where the GUI changes the config: live during a call, with undo and redo.

An edit is validated here, on the GUI thread, so a refusal shows at once. During a call it
is then handed to the call without waiting (the engine's thread applies it, logs it on
the timeline, and the agent sees it at its next decision); the outcome comes back as a
queued Qt signal. Between calls it goes straight to the store. Undo and redo re-apply an
earlier config as a new edit: versions only ever grow, so the timeline never shows a
version number twice.

While submitted edits are still on their way to the engine, the window works on the
config they will make (`config`): a second quick edit is checked against the first one's
result, and its undo returns to it, not to the config before both.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.core.config import CallConfig, ConfigStore, EditResult, diff_configs


class ConfigController(QObject):
    changed = Signal(int)  # the new version in force
    refused = Signal(object)  # EditResult
    undoAvailable = Signal(bool)
    redoAvailable = Signal(bool)
    _outcome = Signal(object, bool)  # (EditResult, recorded for undo), queued to this thread

    def __init__(self, store: ConfigStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._call: Any = None
        self._undo: list[CallConfig] = []
        self._redo: list[CallConfig] = []
        self._expected: CallConfig | None = None  # what the submitted edits will make
        self._in_flight = 0  # edits submitted to the call and not yet settled
        self._outcome.connect(self._settled)

    @property
    def call(self) -> Any:
        """A LiveCall while one runs (set by the call controller), else None."""
        return self._call

    @call.setter
    def call(self, call: Any) -> None:
        # A call that ends drops what was still on its way to it: the store says what
        # the engine applied.
        self._call = call
        self._expected, self._in_flight = None, 0

    @property
    def config(self) -> CallConfig:
        """The config as the window's edits leave it: the store's, or, while edits are on
        their way to the call, the one they will make."""
        return self._expected if self._expected is not None else self.store.current

    def edit(self, changes: dict[str, Any]) -> EditResult:
        """Validate now; apply (mid-call: submit) if valid. Returns the validation."""
        base = self.config
        new, problems = self.store.candidate(changes, base)
        if new is None:
            refused = EditResult(False, self.store.version, problems=problems)
            self.refused.emit(refused)
            return refused
        changed = diff_configs(base, new)
        checked = EditResult(True, self.store.version + self._in_flight + 1, changes=changed)
        if changed:
            self._record(base)
            if self.call is not None:
                self._send(self.call.edit(changes), new, recorded=True)
            else:
                self._settled(self.store.edit(changes))
        return checked

    def replace(self, config: CallConfig, record: bool = True) -> None:
        if record:
            self._record(self.config)
        if self.call is not None:
            self._send(self.call.replace(config), config, recorded=record)
        else:
            self._settled(self.store.replace(config))

    def undo(self) -> None:
        if self._undo:
            target = self._undo.pop()
            self._redo.append(self.config)
            self.replace(target, record=False)
            self._availability()

    def redo(self) -> None:
        if self._redo:
            target = self._redo.pop()
            self._undo.append(self.config)
            self.replace(target, record=False)
            self._availability()

    # -- internals -----------------------------------------------------------------------
    def _record(self, before: CallConfig) -> None:
        self._undo.append(before)
        self._redo.clear()
        self._availability()

    def _send(self, future: Future[EditResult], expected: CallConfig, recorded: bool) -> None:
        self._expected = expected
        self._in_flight += 1
        # The callback runs on the engine's thread: a signal carries it over.
        future.add_done_callback(lambda f: self._outcome.emit(f.result(), recorded))

    def _settled(self, result: EditResult, recorded: bool = False) -> None:
        if self._in_flight:  # a submitted edit came back (between calls none is in flight)
            self._in_flight -= 1
            if not self._in_flight or not result.accepted:
                self._expected = None  # the store holds what the engine made of them
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
