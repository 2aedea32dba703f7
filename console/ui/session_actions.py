"""The Sessions menu and the last call's recording, for the window.

Where calls are kept, the session browser, exporting the last call, repairing calls a
crash left behind, and playing the last call's recording from a point on the timeline
(with the one recording player, console/audio/playback.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from console.session.writer import RECORDING_FILE


class SessionActions(QObject):
    status = Signal(str, int)  # a message for the status bar, and for how long (ms)

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

    def browse(self, folder: Path | None = None):
        from console.ui.sessions import SessionBrowser

        browser = SessionBrowser(self.sessions_dir, self.output_device(), self.window)
        browser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        browser.show()
        if folder is not None:
            browser.select(folder)
        elif browser.sessions:
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
        damaged folders are named and left alone (one never stops the others)."""
        from console.session.reader import recover
        from console.ui.sessions import scan_for_recovery

        scan = scan_for_recovery(self.sessions_dir)
        if scan.problem:
            self.status.emit(f"The sessions folder cannot be read: {scan.problem}", 15000)
        if scan.damaged:
            QMessageBox.warning(
                self.window,
                "Damaged sessions",
                f"{len(scan.damaged)} session folder(s) are damaged and were skipped; "
                f"nothing in them was changed:\n{scan.damaged_text()}",
            )
        if not scan.crashed:
            return
        for session in scan.crashed:
            recover(session)
        names = "\n".join(s.name for s in scan.crashed)
        answer = QMessageBox.question(
            self.window,
            "Recovered calls",
            f"The console stopped during {len(scan.crashed)} call(s). What was recorded up "
            f"to then is kept and was repaired:\n{names}\n\nOpen them now?",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.browse(scan.crashed[0].folder)

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
