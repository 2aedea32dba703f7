"""The Sessions menu and the last call's recording, for the window.

Where calls are kept, the session browser, exporting the last call, repairing calls a
crash left behind, and playing the last call's recording from a point on the timeline
(with the one recording player, console/audio/playback.py).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from console.session.layout import RECORDING_FILE


class SessionActions(QObject):
    status = Signal(str, int)  # a message for the status bar, and for how long (ms)
    recovery_done = Signal(object)  # the RecoveryScan of the start, once it was offered
    _scanned = Signal(object, object)  # from the scanning thread: RecoveryScan, store

    def __init__(
        self,
        window: QWidget,
        sessions_dir: Path | None,
        output_device: Callable[[], str | None],
    ) -> None:
        super().__init__(window)
        from console.session.writer import default_sessions_dir

        self.window = window
        saved = QSettings().value("sessions/dir", "")
        self.sessions_dir = sessions_dir or (Path(str(saved)) if saved else default_sessions_dir())
        self.output_device = output_device
        self.browser: Any = None
        self.player: Any = None  # a RecordingPlayer once a recording was played
        self._scanned.connect(self._on_scanned)

    def browse(self, folder: Path | None = None):
        from console.ui.sessions import SessionBrowser

        browser = SessionBrowser(self.sessions_dir, self.output_device(), self.window)
        browser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        browser.show()
        if folder is not None:
            browser.select(folder)
        elif browser.rows:
            browser.table.selectRow(0)
        self.browser = browser
        return browser

    def choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(
            self.window, "Where calls are kept", str(self.sessions_dir)
        )
        if name:
            self.sessions_dir = Path(name)
            QSettings().setValue("sessions/dir", name)
            self.status.emit(f"Calls are now kept in {name}", 8000)

    def export(self, session_dir: Path | None) -> None:
        if session_dir is None:
            QMessageBox.information(self.window, "Export", "No call has been saved yet.")
            return
        self.browse(session_dir).export_dialog()

    def offer_recovery(self) -> None:
        """On start: calls whose process died are repaired and offered to the tester;
        damaged folders are named and left alone (one never stops the others). The
        folders are checked through the session index on a worker thread, so a folder of
        months of calls never holds up the window; `recovery_done` says when."""
        from console.session.store import SessionStore

        store = SessionStore(self.sessions_dir)

        def work() -> None:
            scan = store.recovery_scan()
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self._scanned.emit(scan, store)

        threading.Thread(target=work, name="recovery-scan", daemon=True).start()

    def _on_scanned(self, scan: Any, store: Any) -> None:
        from console.session.reader import recover

        if scan.problem:
            self.status.emit(f"The sessions folder cannot be read: {scan.problem}", 15000)
        if scan.damaged:
            QMessageBox.warning(
                self.window,
                "Damaged sessions",
                f"{len(scan.damaged)} session folder(s) are damaged and were skipped; "
                f"nothing in them was changed:\n{scan.damaged_text()}",
            )
        if scan.crashed:
            for session in scan.crashed:
                recover(session)
                with contextlib.suppress(Exception):  # the index catches up on its own
                    store.update(session.folder)
            names = "\n".join(s.title for s in scan.crashed)
            answer = QMessageBox.question(
                self.window,
                "Recovered calls",
                f"The console stopped during {len(scan.crashed)} call(s). What was recorded "
                f"up to then is kept and was repaired:\n{names}\n\nOpen them now?",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.browse(scan.crashed[0].folder)
        self.recovery_done.emit(scan)

    def rename(self, session_dir: Path | None, name: str) -> bool:
        """Give a saved call a name (its session.json and the index); False, with a
        status message, if it cannot be."""
        from console.session.store import SessionStore

        if session_dir is None:
            return False
        try:
            SessionStore(session_dir.parent).rename(session_dir, name)
        except (OSError, ValueError) as exc:
            self.status.emit(f"The call is not renamed: {exc}", 8000)
            return False
        self.status.emit(f"The last call is now named {' '.join(name.split())!r}", 5000)
        if self.browser is not None:
            with contextlib.suppress(RuntimeError):  # a closed browser
                self.browser.list_rows()
        return True

    def play(self, session_dir: Path | None, t: float) -> None:
        """Play a call's recording from session time t."""
        if session_dir is None:
            return
        path = session_dir / RECORDING_FILE
        if not path.exists():
            self.status.emit("This call has no recording (typed input only).", 5000)
            return
        from console.audio.playback import RecordingPlayer, RecordingUnreadable

        try:
            if self.player is None or self.player.path != path:
                self.stop()
                self.player = RecordingPlayer(path, self.output_device())
            self.player.play(t)
            self.status.emit(f"Playing the recording from {t:.2f} s", 4000)
        except (RecordingUnreadable, RuntimeError) as exc:
            self.status.emit(f"Cannot play the recording: {exc}", 8000)

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
