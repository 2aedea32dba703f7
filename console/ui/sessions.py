"""The session browser: every call kept, reopened as evidence.

The list comes from the session store's index (console/session/store.py), so months of
calls open at once: filter by how the call ended, bug mark, agent backend, config
version and status, search names and notes, sort by any column, rename a session (its
name cell, or the name field). The folders are checked against the index on a worker
thread after the list shows; what changed since is read again and the list follows.

For the chosen session: its timeline and transcript, both channels of its recording
drawn as waveforms inside their lanes, the recording played with a playhead moving on
the timeline (click an event to hear it), a bug mark with a note, and Export.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.report.colors import COLORS
from console.report.escape import qt_rich
from console.report.table import describe
from console.report.verdict import verdict
from console.session.reader import Session, open_session, recover
from console.session.store import ENDED_BY, Query, Refreshed, Rows, SessionRow, SessionStore
from console.ui.timeline import TimelineView

ANY = "Any"


class SessionTable(QAbstractTableModel):
    """The store's rows as a table; nothing is read from disk to show them."""

    COLUMNS = (
        ("Name", "title"),
        ("Started", "started"),
        ("Duration", "duration"),
        ("Ended by", "ended_by"),
        ("Goodbye", "goodbye"),
        ("Status", "status"),
        ("Bug", "bug"),
        ("Agent", "backend"),
        ("Config", "config"),
    )
    renamed = Signal(object, str)  # SessionRow, the new name (the browser saves it)
    sort_requested = Signal(str, bool)  # sort key, descending

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: Sequence[SessionRow] = []

    def set_rows(self, rows: Sequence[SessionRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section][0]
        return None

    def text(self, row: SessionRow, column: int) -> str:
        key = self.COLUMNS[column][1]
        if key == "duration":
            return f"{row.duration:.1f} s"
        if key == "bug":
            return (f"BUG: {row.bug_note}" if row.bug_note else "BUG") if row.bug_marked else ""
        if key == "status":
            return row.status
        return str(getattr(row, key))

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row, key = self.rows[index.row()], self.COLUMNS[index.column()][1]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return row.title if role == Qt.ItemDataRole.EditRole else self.text(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [row.title, row.name, row.verdict or "no timeline", *row.problems]
            return "\n".join(lines)
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "status" and row.status in ("crashed", "damaged"):
                return QColor(COLORS["action"][1])
            return None
        if role == Qt.ItemDataRole.BackgroundRole and key == "bug" and row.bug_marked:
            return QColor("#fff1c2")
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == 0 and self.rows[index.row()].status != "damaged":
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: QModelIndex, value: Any, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != 0:
            return False
        row = self.rows[index.row()]
        if str(value).strip() and str(value).strip() != row.title:
            self.renamed.emit(row, str(value))
        return False  # the browser saves it and lists the rows again

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        self.sort_requested.emit(self.COLUMNS[column][1], descending)


class _Relay(QObject):
    """Carries a worker thread's result to the GUI thread (a queued signal)."""

    refreshed = Signal(object)
    waveforms = Signal(object, object)  # the session's folder, {lane: Envelope}


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
    refreshed = Signal(object)  # Refreshed: the folders were checked against the index

    def __init__(
        self, root: Path, output_device: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sessions")
        self.resize(1200, 800)
        self.root = Path(root)
        self.store = SessionStore(self.root)
        self.output_device = output_device
        self.rows: Sequence[SessionRow] = []
        self.session: Session | None = None
        self.player = None
        self.checked = False  # the folders were checked against the index
        self.query = Query()
        self._stop = threading.Event()
        self._relay = _Relay(self)
        self._relay.refreshed.connect(self._on_refreshed)
        self._relay.waveforms.connect(self._on_waveforms)
        self._pending: Path | None = None  # select() of a folder not listed yet

        self.model = SessionTable(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        self._size_columns()

        self.filters: dict[str, QComboBox] = {}
        filter_bar = QHBoxLayout()
        for key, label in (
            ("ended_by", "Ended by"),
            ("bug", "Bug"),
            ("backend", "Agent"),
            ("config", "Config"),
            ("status", "Status"),
        ):
            combo = QComboBox()
            combo.setAccessibleName(f"Filter: {label}")
            combo.setMinimumContentsLength(8)
            self.filters[key] = combo
            caption = QLabel(f"{label}:")
            caption.setBuddy(combo)
            filter_bar.addWidget(caption)
            filter_bar.addWidget(combo)
            combo.activated.connect(lambda _i: self._filter_changed())
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search names and notes")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._filter_changed())
        filter_bar.addWidget(self.search, 1)
        self.count = QLabel("")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Look at the folders again")

        self.verdict = QLabel("Choose a session.")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {COLORS['action'][1]}")
        self.timeline = PlayheadTimeline()
        self.transcript = QListWidget()
        self.transcript.setWordWrap(True)
        self.play_button = QPushButton("Play")
        self.stop_button = QPushButton("Stop")
        self.name = QLineEdit()
        self.name.setPlaceholderText("Name this session")
        self.name.setAccessibleName("Session name")
        self.rename_button = QPushButton("Rename")
        self.bug = QCheckBox("Bug")
        self.note = QLineEdit()
        self.note.setPlaceholderText("What is wrong in this call (saved with the session)")
        self.save_bug = QPushButton("Save mark")
        self.export_button = QPushButton("Export…")
        self.recover_button = QPushButton("Recover")
        self.recover_button.setVisible(False)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(filter_bar)
        top_layout.addWidget(self.table, 1)
        footer = QHBoxLayout()
        footer.addWidget(QLabel(f"Sessions in {self.root}"), 1)
        footer.addWidget(self.count)
        footer.addWidget(self.refresh_button)
        top_layout.addLayout(footer)
        naming = QHBoxLayout()
        name_label = QLabel("Name:")
        name_label.setBuddy(self.name)
        for w in (name_label, self.name, self.rename_button, self.bug, self.note, self.save_bug):
            naming.addWidget(w, 2 if w in (self.name, self.note) else 0)
        controls = QHBoxLayout()
        for w in (self.play_button, self.stop_button, self.recover_button, self.export_button):
            controls.addWidget(w)
        controls.addStretch(1)
        views = QSplitter(Qt.Orientation.Horizontal)
        views.addWidget(self.timeline)
        views.addWidget(self.transcript)
        views.setStretchFactor(0, 3)
        views.setStretchFactor(1, 2)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.verdict)
        bottom_layout.addWidget(self.problems)
        bottom_layout.addLayout(naming)
        bottom_layout.addWidget(views, 1)
        bottom_layout.addLayout(controls)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([340, 460])  # room for a dozen rows and the chosen call
        QVBoxLayout(self).addWidget(split)

        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        self.model.renamed.connect(lambda row, name: self.rename(row.folder, name))
        self.model.sort_requested.connect(self._sort)
        self.play_button.clicked.connect(lambda: self.play(self.timeline.playhead or 0.0))
        self.stop_button.clicked.connect(self.stop)
        self.rename_button.clicked.connect(self._rename_current)
        self.name.returnPressed.connect(self._rename_current)
        self.save_bug.clicked.connect(self._save_bug)
        self.export_button.clicked.connect(self.export_dialog)
        self.recover_button.clicked.connect(self._recover)
        self.refresh_button.clicked.connect(self.refresh)
        self.timeline.itemClicked.connect(lambda item: self.play(item.start))
        self.timeline.timeClicked.connect(self.play)
        self._tick = QTimer(self)
        self._tick.setInterval(40)
        self._tick.timeout.connect(self._on_tick)
        self._show_details(None)
        self.list_rows()  # what the index holds, at once
        self.refresh()  # then the folders, on a worker thread

    # -- the list -------------------------------------------------------------------------
    def _size_columns(self) -> None:
        """Every column on screen in the dialog's width: the name takes what is left."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        width = self.fontMetrics().horizontalAdvance
        sizes = {
            "started": width("2026-11-24 10:15:00") + 24,
            "duration": width("1234.5 s") + 24,
            "ended_by": max(width(label) for label in ENDED_BY.values()) + 24,
            "goodbye": width("cut short") + 24,
            "status": width("recovered") + 24,
            "bug": width("BUG: said goodbye but never") + 24,
            "backend": width("offline") + 40,
            "config": width("v12 · abcdef") + 24,
        }
        for column, (_label, key) in enumerate(SessionTable.COLUMNS):
            if key == "title":
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(column, sizes[key])

    def list_rows(self) -> None:
        """The rows the filters select, in the chosen order, from the index."""
        keep = self.session.folder if self.session is not None else self._pending
        try:
            self.rows = self.store.rows(self.query)
        except Exception as exc:  # an index that cannot be read: say so, list nothing
            self.rows = []
            self.count.setText(f"the index cannot be read ({exc})")
        self.model.set_rows(self.rows)
        self._update_count()
        if keep is not None:
            self._select_row(keep)

    def _update_count(self) -> None:
        shown = len(self.rows)
        state = "" if self.checked else " (checking the folders…)"
        self.count.setText(f"{shown} session{'s' if shown != 1 else ''}{state}")

    def refresh(self) -> None:
        """Check the folders against the index on a worker thread; the list follows."""
        self.checked = False
        self._update_count()
        store, relay, stop = self.store, self._relay, self._stop

        def work() -> None:
            try:
                done = store.refresh(stop)
            except Exception as exc:  # the index could not be written: still a result
                done = Refreshed(problem=f"the index cannot be updated ({exc})")
            with contextlib.suppress(RuntimeError):  # the browser was closed meanwhile
                relay.refreshed.emit(done)

        threading.Thread(target=work, name="sessions-refresh", daemon=True).start()

    def _on_refreshed(self, done: Refreshed) -> None:
        self.checked = True
        self._load_choices()
        if done.read or done.removed or done.rebuilt:
            self.list_rows()
        else:
            self._update_count()
        if done.problem:
            self.count.setText(f"{self.count.text()}; {done.problem}")
        self.refreshed.emit(done)

    def _load_choices(self) -> None:
        try:
            choices = self.store.choices()
        except Exception:
            return
        choices["bug"] = ["marked", "not marked"]
        statuses = set(choices.get("status", []))
        if "recording" in statuses:
            statuses.add("crashed")
        choices["status"] = sorted(statuses)
        for key, combo in self.filters.items():
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(ANY)
            combo.addItems(choices.get(key, []))
            index = combo.findText(current)
            combo.setCurrentIndex(max(0, index))
            combo.blockSignals(False)

    def set_filter(self, key: str, value: str | None) -> None:
        """Choose a filter's value (None or "Any": no filter), as the menu does."""
        if self.filters[key].count() <= 1:
            self._load_choices()
        combo = self.filters[key]
        index = combo.findText(value or ANY)
        if index < 0:
            combo.addItem(str(value))
            index = combo.count() - 1
        combo.setCurrentIndex(index)
        self._filter_changed()

    def _filter_changed(self) -> None:
        def chosen(key: str) -> str | None:
            text = self.filters[key].currentText()
            return None if text in ("", ANY) else text

        bug = chosen("bug")
        self.query = Query(
            ended_by=chosen("ended_by"),
            bug=None if bug is None else bug == "marked",
            backend=chosen("backend"),
            config=chosen("config"),
            status=chosen("status"),
            text=self.search.text(),
            sort=self.query.sort,
            descending=self.query.descending,
        )
        self.list_rows()

    def _sort(self, key: str, descending: bool) -> None:
        self.query = Query(**{**self.query.__dict__, "sort": key, "descending": descending})
        self.list_rows()

    def select(self, folder: Path) -> None:
        """Open a session by its folder: its row if listed, else the folder itself (and
        its row once the folders were checked)."""
        folder = Path(folder)
        if self._select_row(folder):
            return
        self._pending = folder
        self.show_session(open_session(folder))

    def _select_row(self, folder: Path) -> bool:
        n = self.rows.index_of(folder) if isinstance(self.rows, Rows) else -1
        if n < 0:
            return False
        self._pending = None
        selected = self.table.selectionModel().selectedRows()
        if not selected or selected[0].row() != n:
            self.table.selectRow(n)
        else:
            self._selected()
        self.table.scrollTo(self.model.index(n, 0))
        return True

    def current_row(self) -> SessionRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def _selected(self) -> None:
        row = self.current_row()
        if row is not None and (self.session is None or self.session.folder != row.folder):
            self.show_session(open_session(row.folder))
        elif row is not None and self.session is not None:
            self._show_details(self.session)

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
        self._show_details(session)
        self._read_waveforms(session)
        self.opened.emit(session)

    def _read_waveforms(self, session: Session) -> None:
        """Both channels of the recording, drawn inside their lanes once read: on a worker
        thread, since a long call's recording is hundreds of megabytes of samples."""
        if session.recording is None or session.damaged:
            return
        relay = self._relay

        def work() -> None:
            envelopes = session.waveforms()
            if envelopes:
                with contextlib.suppress(RuntimeError):  # the browser was closed meanwhile
                    relay.waveforms.emit(session.folder, envelopes)

        threading.Thread(target=work, name="sessions-waveforms", daemon=True).start()

    def _on_waveforms(self, folder: Path, envelopes: dict) -> None:
        if self.session is None or self.session.folder != folder:
            return  # another session was chosen while this one was read
        for lane, envelope in envelopes.items():
            self.timeline.set_waveform(lane, envelope)

    def _show_details(self, session: Session | None) -> None:
        editable = session is not None and not session.damaged and bool(session.meta)
        for w in (self.name, self.rename_button, self.bug, self.note, self.save_bug):
            w.setEnabled(editable)
        self.export_button.setEnabled(session is not None)
        if session is None:
            self.play_button.setEnabled(False)
            self.stop_button.setEnabled(False)
            self.problems.setHidden(True)
            return
        # Rich text for the bold name; everything from the session is escaped so a name,
        # a caller's words or a problem text shows as written and never as markup.
        self.verdict.setText(
            f"<b>{qt_rich(session.title)}</b> [{qt_rich(session.status)}] "
            f"<small>{qt_rich(session.name)}</small><br>{qt_rich(verdict(session.events))}"
        )
        self.problems.setText("<br>".join(qt_rich(p) for p in session.problems))
        self.problems.setHidden(not session.problems)  # no empty gap under the verdict
        self.name.setText(session.title)
        marked, note = session.bug
        self.bug.setChecked(marked)
        self.note.setText(note)
        self.recover_button.setVisible(session.status == "crashed")
        has_audio = session.recording is not None
        self.play_button.setEnabled(has_audio)
        self.stop_button.setEnabled(has_audio)

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

    # -- edits: the store writes session.json, then the index -----------------------------
    def rename(self, folder: Path, name: str) -> bool:
        try:
            self.store.rename(folder, name)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Rename", f"The name is not saved: {exc}")
            return False
        self._reopen(folder)
        return True

    def _rename_current(self) -> None:
        if self.session is not None and self.name.text().strip() != self.session.title:
            self.rename(self.session.folder, self.name.text())

    def _save_bug(self) -> None:
        if self.session is None:
            return
        try:
            self.store.set_bug(self.session.folder, self.bug.isChecked(), self.note.text())
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Bug mark", f"The mark is not saved: {exc}")
            return
        self._reopen(self.session.folder)

    def _recover(self) -> None:
        if self.session is not None:
            done = recover(self.session)
            QMessageBox.information(self, "Recovered", "; ".join(done))
            self.store.update(self.session.folder)
            self._reopen(self.session.folder)

    def _reopen(self, folder: Path) -> None:
        """Show a session again after it changed on disk, and list the rows again."""
        self.session = open_session(folder)
        self._show_details(self.session)
        self._load_choices()
        self.list_rows()

    def export(self, path: Path, fmt: str, clip_seconds: float | None = None) -> Path:
        from console.session import export as ex

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
        self._stop.set()
        self.stop()
        super().closeEvent(event)
