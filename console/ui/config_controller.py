"""One place where the GUI changes the config: live during a call, with undo and redo.

During a call an edit goes through the call (the engine's thread logs it on the timeline
and the agent sees it at its next decision); between calls it goes to the store. Undo
and redo re-apply an earlier config as a new edit: versions only ever grow, so the
timeline never shows a version number twice.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from console.core.config import CallConfig, ConfigStore, EditResult


class ConfigController(QObject):
    changed = Signal(int)  # the new version in force
    refused = Signal(object)  # EditResult
    undoAvailable = Signal(bool)
    redoAvailable = Signal(bool)

    def __init__(self, store: ConfigStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.call: Any = None  # a LiveCall while one runs
        self._undo: list[CallConfig] = []
        self._redo: list[CallConfig] = []

    @property
    def config(self) -> CallConfig:
        return self.store.current

    def edit(self, changes: dict[str, Any]) -> EditResult:
        before = self.store.current
        result = self._apply(lambda: self._edit_now(changes))
        if result.accepted and result.changes:
            self._undo.append(before)
            self._redo.clear()
            self._announce(result)
        return result

    def replace(self, config: CallConfig, record: bool = True) -> EditResult:
        before = self.store.current
        result = self._apply(lambda: self._replace_now(config))
        if result.accepted and result.changes:
            if record:
                self._undo.append(before)
                self._redo.clear()
            self._announce(result)
        return result

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
    def _edit_now(self, changes: dict[str, Any]) -> EditResult:
        if self.call is not None and self.call.engine is not None and self.call.engine.active:
            return self.call.edit(changes)
        return self.store.edit(changes)

    def _replace_now(self, config: CallConfig) -> EditResult:
        if self.call is not None and self.call.engine is not None and self.call.engine.active:
            return self.call.replace(config)
        return self.store.replace(config)

    def _apply(self, fn) -> EditResult:
        result = fn()
        if not result.accepted:
            self.refused.emit(result)
        return result

    def _announce(self, result: EditResult) -> None:
        self.changed.emit(result.version)
        self._availability()

    def _availability(self) -> None:
        self.undoAvailable.emit(bool(self._undo))
        self.redoAvailable.emit(bool(self._redo))
