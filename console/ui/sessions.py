"""The session browser: every call kept, reopened as evidence.

A list (date, duration, how the call ended, whether a goodbye played, bug mark) and, for
the chosen session, its timeline and transcript, its recording with a playhead moving
on the timeline (click an event to hear it), a bug mark with a note, and Export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core import events as ev
from console.report.colors import COLORS
from console.report.escape import qt_rich
from console.report.table import describe
from console.report.verdict import verdict
from console.session.reader import Session, list_sessions, open_session, recover
from console.session.writer import write_meta
from console.ui.timeline import TimelineView


def outcome(session: Session) -> str:
    drop = session.first(ev.LineDropped)
    if drop is None:
        return "no drop recorded"
    return {
        "end_call_action": "End Call",
        "caller_hung_up": "caller hung up",
        "tester_hung_up": "tester hung up",
        "timeout": "timeout",
        "error": "error",
    }.get(drop.reason, drop.reason)


def goodbye_played(session: Session) -> str:
    goodbye = session.first(ev.Goodbye)
    if goodbye is None:
        return "no"
    return "cut short" if goodbye.cut_short else "yes"


def set_bug(session: Session, marked: bool, note: str) -> None:
    """Mark (or unmark) a session as a bug, with a note, in its session.json.

    OSError (in words) if it cannot be saved; the session.json on disk is then as it was.
    A damaged session is not written to (ValueError): its session.json is not one the
    console can safely rewrite."""
    if session.damaged or not session.meta:
        raise ValueError("this session is damaged; its mark cannot be saved")
    meta = dict(session.meta)
    meta["bug"] = {"marked": marked, "note": note}
    write_meta(session.folder, meta)
    session.meta = meta


class PlayheadTimeline(TimelineView):
    """The timeline with a playhead for the recording being played."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playhead: float | None = None

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.playhead is None:
            return
        p = QPainter(self)
        p.setPen(QPen(QColor(COLORS["goodbye"][1]), 2))
        x = self.x_of(self.playhead)
        p.drawLine(int(x), 0, int(x), self.height())
        p.end()


class SessionBrowser(QDialog):
    opened = Signal(object)  # Session

    COLUMNS = ("Session", "Duration", "Ended by", "Goodbye", "Status", "Bug")

    def __init__(
        self, root: Path, output_device: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sessions")
        self.resize(1200, 760)
        self.root = root
        self.output_device = output_device
        self.sessions: list[Session] = []
        self.session: Session | None = None
        self.player = None

        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.verdict = QLabel("Choose a session.")
        self.verdict.setWordWrap(True)
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {COLORS['action'][1]}")
        self.timeline = PlayheadTimeline()
        self.transcript = QListWidget()
        self.transcript.setWordWrap(True)
        self.play_button = QPushButton("Play")
        self.stop_button = QPushButton("Stop")
        self.bug = QCheckBox("Bug")
        self.note = QLineEdit()
        self.note.setPlaceholderText("What is wrong in this call (saved with the session)")
        self.save_bug = QPushButton("Save mark")
        self.export_button = QPushButton("Export…")
        self.recover_button = QPushButton("Recover")
        self.recover_button.setVisible(False)
        self.refresh_button = QPushButton("Refresh")

        controls = QHBoxLayout()
        for w in (
            self.play_button,
            self.stop_button,
            self.bug,
            self.note,
            self.save_bug,
            self.recover_button,
            self.export_button,
        ):
            controls.addWidget(w)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.verdict)
        right_layout.addWidget(self.problems)
        right_layout.addWidget(self.timeline, 2)
        right_layout.addLayout(controls)
        right_layout.addWidget(self.transcript, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(QLabel(f"Sessions in {root}"))
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.refresh_button)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 2)
        QVBoxLayout(self).addWidget(split)

        self.table.itemSelectionChanged.connect(self._selected)
        self.play_button.clicked.connect(lambda: self.play(self.timeline.playhead or 0.0))
        self.stop_button.clicked.connect(self.stop)
        self.save_bug.clicked.connect(self._save_bug)
        self.export_button.clicked.connect(self.export_dialog)
        self.recover_button.clicked.connect(self._recover)
        self.refresh_button.clicked.connect(self.refresh)
        self.timeline.itemClicked.connect(lambda item: self.play(item.start))
        self.timeline.timeClicked.connect(self.play)
        self._tick = QTimer(self)
        self._tick.setInterval(40)
        self._tick.timeout.connect(self._on_tick)
        self.refresh()

    # -- the list -------------------------------------------------------------------------
    def refresh(self) -> None:
        self.sessions = list_sessions(self.root)
        self.table.setRowCount(len(self.sessions))
        for row, s in enumerate(self.sessions):
            marked, note = s.bug
            values = (
                s.name,
                f"{s.duration:.1f} s",
                outcome(s),
                goodbye_played(s),
                s.status,
                "🐞 " + note if marked else "",
            )
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    def select(self, folder: Path) -> None:
        for row, s in enumerate(self.sessions):
            if s.folder == folder:
                self.table.selectRow(row)
                return

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.show_session(self.sessions[rows[0].row()])

    # -- one session ----------------------------------------------------------------------
    def show_session(self, session: Session) -> None:
        self.stop()
        self.session = session
        self.timeline.clear()
        self.timeline.follow = False
        for event in sorted(session.events, key=lambda e: e.seq):
            self.timeline.add_event(event)
        self.timeline.fit()
        self.timeline.playhead = None
        self.transcript.clear()
        for event in sorted(session.events, key=lambda e: (e.t, e.seq)):
            row = describe(event)
            if row is not None:
                self.transcript.addItem(f"{row[0]}  {row[1]}: {row[2]}")
        # Rich text for the bold name; everything from the session is escaped so a name,
        # a caller's words or a problem text shows as written and never as markup.
        self.verdict.setText(
            f"<b>{qt_rich(session.name)}</b> [{qt_rich(session.status)}]<br>"
            f"{qt_rich(verdict(session.events))}"
        )
        self.problems.setText("<br>".join(qt_rich(p) for p in session.problems))
        marked, note = session.bug
        self.bug.setChecked(marked)
        self.note.setText(note)
        self.recover_button.setVisible(session.status == "crashed")
        has_audio = session.recording is not None
        self.play_button.setEnabled(has_audio)
        self.stop_button.setEnabled(has_audio)
        if has_audio and not session.damaged:
            self._show_waveforms(session)
        self.opened.emit(session)

    def _show_waveforms(self, session: Session) -> None:
        """Both channels of the recording inside their lanes (a damaged file: none)."""
        from console.audio.envelope import recording_envelopes

        try:
            envelopes = recording_envelopes(session.recording)
        except Exception:  # unreadable audio: the problems line already says so
            return
        for lane, envelope in envelopes.items():
            self.timeline.set_waveform(lane, envelope)

    def play(self, t: float) -> None:
        session = self.session
        if session is None or session.recording is None:
            return
        from console.audio.devices import AudioUnavailable
        from console.audio.playback import RecordingPlayer

        try:
            if self.player is None or self.player_path != session.recording:
                self.stop()
                self.player = RecordingPlayer(session.recording, self.output_device)
                self.player_path = session.recording
            self.player.play(t)
        except (AudioUnavailable, OSError, RuntimeError) as exc:
            QMessageBox.warning(self, "Play", f"Cannot play the recording: {exc}")
            return
        self.timeline.playhead = t
        self._tick.start()

    player_path: Path | None = None

    def stop(self) -> None:
        self._tick.stop()
        if self.player is not None:
            self.player.stop()

    def _on_tick(self) -> None:
        if self.player is None:
            return
        self.timeline.playhead = self.player.time
        self.timeline.update()
        if not self.player.playing:
            self._tick.stop()

    def _save_bug(self) -> None:
        if self.session is not None:
            try:
                set_bug(self.session, self.bug.isChecked(), self.note.text())
            except (OSError, ValueError) as exc:
                QMessageBox.warning(self, "Bug mark", f"The mark is not saved: {exc}")
                return
            folder = self.session.folder
            self.refresh()
            self.select(folder)

    def _recover(self) -> None:
        if self.session is not None:
            done = recover(self.session)
            QMessageBox.information(self, "Recovered", "; ".join(done))
            folder = self.session.folder
            self.refresh()
            self.select(folder)

    def export(self, path: Path, fmt: str, clip_seconds: float | None = None) -> Path:
        from console.report import export as ex

        assert self.session is not None
        session = open_session(self.session.folder)
        clip = ex.clip_around_action(session, clip_seconds) if clip_seconds else None
        if fmt == "zip":
            return ex.to_zip(session, path, clip)
        text = ex.to_html(session, clip) if fmt == "html" else ex.to_markdown(session, clip)
        path.write_text(text, encoding="utf-8")
        return path

    def export_dialog(self) -> None:
        if self.session is None:
            return
        name, chosen = QFileDialog.getSaveFileName(
            self,
            "Export session",
            f"{self.session.name}.html",
            "HTML report (*.html);;Markdown summary (*.md);;Zip with everything (*.zip);;"
            "HTML, only the 10 s around the action (*.html)",
        )
        if not name:
            return
        fmt = "zip" if name.endswith(".zip") else "md" if name.endswith(".md") else "html"
        clip = 5.0 if "around the action" in chosen else None
        try:
            path = self.export(Path(name), fmt, clip)
        except OSError as exc:
            from console.core.eventlog import describe_os_error

            QMessageBox.warning(
                self, "Export", f"The report is not written: {describe_os_error(exc)}"
            )
            return
        QMessageBox.information(self, "Export", f"Wrote {path}")

    def closeEvent(self, event) -> None:
        self.stop()
        super().closeEvent(event)


def crashed_sessions(root: Path) -> list[Session]:
    """Sessions whose process died mid-call (damaged ones are not among them: see
    scan_for_recovery). Never raises, whatever the folder holds."""
    return scan_for_recovery(root).crashed


@dataclass
class RecoveryScan:
    """What the window finds in the sessions folder when it starts."""

    crashed: list[Session] = field(default_factory=list)  # to repair and offer
    damaged: list[Session] = field(default_factory=list)  # named, skipped, left as they are
    problem: str = ""  # the folder itself cannot be read

    def damaged_text(self, limit: int = 10) -> str:
        """The damaged sessions, one line each with their first problem (for a notice)."""
        lines = [f"{s.name}: {s.problems[0] if s.problems else 'damaged'}" for s in self.damaged]
        more = len(lines) - limit
        return "\n".join(lines[:limit] + ([f"... and {more} more"] if more > 0 else []))


def scan_for_recovery(root: Path) -> RecoveryScan:
    """Crashed sessions (to recover) and damaged ones (to name and skip). Never raises:
    one bad folder never stops the others or the window."""
    from console.session.reader import folder_problem

    scan = RecoveryScan(problem=folder_problem(root))
    for s in list_sessions(root):
        if s.status == "crashed":
            scan.crashed.append(s)
        elif s.status == "damaged":
            scan.damaged.append(s)
    return scan
