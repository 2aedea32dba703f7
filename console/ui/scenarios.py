"""The Scenarios panel: run a folder of scenarios as a suite from the window.

Open a folder, choose who answers (the offline agent, or a model with the window's LLM
settings), how many times each scenario runs and, optionally, a variants file; Run works
in the background (console/scenario/suite.py on a thread of its own, runs on worker
processes or threads) while the progress bar moves and each scenario's pass rate fills in
as its runs finish. Pick a row to see its expectations' rates, outcomes and runs; pick a
run to see its timeline here, or open its session in the session browser.

The window never waits: a suite reports through Qt signals, and Stop only stops runs that
have not started.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.config import AgentBackend, CallConfig
from console.scenario.suite import (
    LLM_DEFAULT_JOBS,
    MAX_JOBS,
    RunRecord,
    SuitePlan,
    plan_suite,
    run_suite,
)
from console.scenario.suite_stats import CellStats, caller_to_action, cell_stats, describe_outcome
from console.scenario.variants import Variant, VariantsError, load_variants
from console.ui.timeline_panel import TimelinePanel

SCENARIO_CHARS = 40  # the widest the Scenario column gets, in characters
MEETS = QColor("#d4e8f7")
PARTLY = QColor("#fbe0b5")
NONE = QColor("#f6c3cc")
OFFLINE, LLM = 0, 1


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files in a folder (not its subfolders), in name order."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".yaml", ".yml")
    )


def offline(config: CallConfig) -> CallConfig:
    """The chosen agent is the offline one, whatever the scenario's config names."""
    agent = config.agent.model_copy(update={"backend": AgentBackend()})
    return config.model_copy(update={"agent": agent})


class SuiteWorker(QObject):
    """Runs a suite on a thread of its own and reports through signals."""

    result = Signal(object)  # RunRecord
    finished = Signal(bool)  # stopped before the end

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, plan: SuitePlan, jobs: int, factory: Callable[[CallConfig], Any] | None):
        self.stop_event = threading.Event()
        stop = self.stop_event

        def work() -> None:
            done = 0
            try:
                for _ in run_suite(plan, jobs, self._emit_result, stop, factory):
                    done += 1
            finally:
                self._emit(self.finished, stop.is_set() or done < len(plan.jobs))

        self.thread = threading.Thread(target=work, name="scenario-suite", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def _emit_result(self, record: RunRecord) -> None:
        self._emit(self.result, record)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the panel was closed and deleted meanwhile
            signal.emit(value)


class ScenariosPanel(QDialog):
    CELL_COLUMNS = (
        "Scenario",
        "Variant",
        "Passed",
        "Rate",
        "Caller → action",
        "Most common outcome",
    )
    RUN_COLUMNS = ("Run", "Result", "Outcome", "First failure", "Session")

    def __init__(
        self,
        sessions_dir: Path | None,
        llm_settings: Callable[[], Any] | None = None,
        browse: Callable[[Path], Any] | None = None,
        use_llm: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Scenarios")
        self.resize(1280, 820)
        self.sessions_dir = sessions_dir
        self.llm_settings = llm_settings
        self.browse = browse
        self.folder: Path | None = None
        self.variants: list[Variant] | None = None
        self.plan: SuitePlan | None = None
        self.records: list[RunRecord] = []
        self.cells: list[CellStats] = []
        # Not a child of the panel: closing the panel mid-run deletes the panel, and the
        # worker must outlive it until its thread ends (Qt drops the dead receivers).
        self.worker = SuiteWorker()

        self.folder_edit = QLineEdit()
        self.folder_edit.setReadOnly(True)
        self.folder_edit.setPlaceholderText("Open a folder of scenario files (*.yaml)")
        self.folder_button = QPushButton("Open folder…")
        self.count_label = QLabel("")
        self.agent_combo = QComboBox()
        self.agent_combo.addItems(["Offline agent", self._llm_text()])
        self.agent_combo.setToolTip(
            "Who answers: the offline agent, or the model in the window's LLM settings"
        )
        self.repeat_spin = QSpinBox()
        self.repeat_spin.setRange(1, 1000)
        self.repeat_spin.setValue(3)
        self.repeat_spin.setToolTip("How many times each scenario runs")
        self.jobs_spin = QSpinBox()
        self.jobs_spin.setRange(1, MAX_JOBS)
        self.jobs_spin.setToolTip(
            "Runs at once: processes for the offline agent, threads for a model (what its "
            "server can take)"
        )
        self.variants_edit = QLineEdit()
        self.variants_edit.setReadOnly(True)
        self.variants_edit.setPlaceholderText("no variants: each scenario as written")
        self.variants_button = QPushButton("Variants…")
        self.variants_clear = QPushButton("No variants")
        self.run_button = QPushButton("Run")
        self.stop_button = QPushButton("Stop")
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m runs")
        self.status = QLabel("")
        self.status.setWordWrap(True)

        self.cells_table = self._table(self.CELL_COLUMNS)
        self.runs_table = self._table(self.RUN_COLUMNS)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Pick a scenario to see its expectations and outcomes.")
        self.timeline_panel = TimelinePanel()
        self.timeline = self.timeline_panel.view
        self.open_session_button = QPushButton("Open in the session browser")
        self.open_session_button.setEnabled(False)

        self._layout()
        self.folder_button.clicked.connect(self.choose_folder)
        self.variants_button.clicked.connect(self.choose_variants)
        self.variants_clear.clicked.connect(lambda: self.set_variants(None))
        self.agent_combo.currentIndexChanged.connect(self._agent_changed)
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        self.cells_table.itemSelectionChanged.connect(self._cell_selected)
        self.runs_table.itemSelectionChanged.connect(self._run_selected)
        self.open_session_button.clicked.connect(self.open_session)
        self.worker.result.connect(self._on_result)
        self.worker.finished.connect(self._on_finished)

        self.agent_combo.setCurrentIndex(LLM if use_llm and llm_settings else OFFLINE)
        self.agent_combo.model().item(LLM).setEnabled(llm_settings is not None)
        self._agent_changed()
        self._set_running(False)
        saved = QSettings().value("scenarios/folder", "")
        if isinstance(saved, str) and saved and Path(saved).is_dir():
            self.set_folder(Path(saved))

    # -- layout ---------------------------------------------------------------------------
    @staticmethod
    def _table(columns: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(columns))
        table.setHorizontalHeaderLabels(columns)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setWordWrap(False)
        return table

    def _layout(self) -> None:
        top = QHBoxLayout()
        for w in (QLabel("Folder:"), self.folder_edit, self.folder_button, self.count_label):
            top.addWidget(w)
        top.setStretchFactor(self.folder_edit, 1)
        options = QHBoxLayout()
        for w in (
            QLabel("Agent:"),
            self.agent_combo,
            QLabel("  Repeat:"),
            self.repeat_spin,
            QLabel("  Jobs:"),
            self.jobs_spin,
            QLabel("  Variants:"),
            self.variants_edit,
            self.variants_button,
            self.variants_clear,
        ):
            options.addWidget(w)
        options.setStretchFactor(self.variants_edit, 1)
        controls = QHBoxLayout()
        controls.addWidget(self.run_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.progress, 1)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.cells_table)
        upper.addWidget(self.details)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 1)
        upper.setSizes([900, 380])
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(upper, 3)
        left_layout.addWidget(self.runs_table, 2)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.timeline_panel, 1)
        right_layout.addWidget(self.open_session_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(options)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

    def _llm_text(self) -> str:
        settings = self.llm_settings() if self.llm_settings else None
        if settings is None:
            return "LLM (set it up in the window's LLM settings)"
        return f"LLM: {settings.describe()}"

    # -- choosing what to run -------------------------------------------------------------
    def choose_folder(self) -> None:
        start = str(self.folder) if self.folder else ""
        name = QFileDialog.getExistingDirectory(self, "A folder of scenarios", start)
        if name:
            self.set_folder(Path(name))

    def set_folder(self, folder: Path) -> None:
        self.folder = folder
        self.folder_edit.setText(str(folder))
        files = scenario_files(folder)
        self.count_label.setText(f"{len(files)} scenario{'s' if len(files) != 1 else ''}")
        QSettings().setValue("scenarios/folder", str(folder))
        self.run_button.setEnabled(bool(files) and not self.worker.running)

    def choose_variants(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "A variants file", "", "Variants (*.yaml *.yml *.json)"
        )
        if name:
            self.set_variants(Path(name))

    def set_variants(self, path: Path | None) -> bool:
        """Read a variants file (None: none); a file that cannot be used is named, and
        the previous choice stays."""
        if path is None:
            self.variants = None
            self.variants_edit.clear()
            return True
        try:
            self.variants = load_variants(path)
        except VariantsError as exc:
            self.status.setText(f"Variants not used: {exc}")
            return False
        self.variants_edit.setText(f"{path}  ({len(self.variants)} variants)")
        self.status.setText("")
        return True

    def _agent_changed(self) -> None:
        import os

        llm = self.agent_combo.currentIndex() == LLM
        self.jobs_spin.setValue(LLM_DEFAULT_JOBS if llm else max(1, os.cpu_count() or 1))

    # -- running --------------------------------------------------------------------------
    def run(self) -> None:
        if self.worker.running or self.folder is None:
            return
        files = scenario_files(self.folder)
        llm = self.agent_combo.currentIndex() == LLM
        factory = None
        if llm and self.llm_settings is not None:
            factory = _llm_factory(self.llm_settings())
        try:
            plan = plan_suite(
                [str(f) for f in files],
                self.repeat_spin.value(),
                self.variants,
                self.sessions_dir,
                adjust=offline if factory is None else None,
            )
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        self.plan, self.records, self.cells = plan, [], []
        errors = "; ".join(f"{Path(src).name}: {why}" for src, why in plan.errors)
        self.status.setText(f"Could not be read: {errors}" if errors else "")
        self._fill_cells()
        self.runs_table.setRowCount(0)
        self.timeline.clear()
        self.progress.setRange(0, max(1, len(plan.jobs)))
        self.progress.setValue(0)
        if not plan.jobs:
            return
        self._set_running(True)
        self.worker.start(plan, self.jobs_spin.value(), factory)

    def stop(self) -> None:
        self.worker.stop()
        self.stop_button.setEnabled(False)
        self.status.setText("Stopping: runs already started finish first…")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and bool(self.folder))
        self.stop_button.setEnabled(running)
        for w in (
            self.folder_button,
            self.agent_combo,
            self.repeat_spin,
            self.jobs_spin,
            self.variants_button,
            self.variants_clear,
        ):
            w.setEnabled(not running)

    def _on_result(self, record: RunRecord) -> None:
        if self.plan is None:
            return
        self.records.append(record)
        self.progress.setValue(len(self.records))
        self.cells = cell_stats(self.plan, self.records)
        self._fill_cells()

    def _on_finished(self, stopped: bool) -> None:
        self._set_running(False)
        if self.plan is None:
            return
        passed = sum(r.passed for r in self.records)
        text = f"{passed} of {len(self.records)} runs passed"
        if stopped:
            text += f"; stopped after {len(self.records)} of {len(self.plan.jobs)} runs"
        self.status.setText(text)

    @property
    def finished_runs(self) -> int:
        return len(self.records)

    # -- showing results ------------------------------------------------------------------
    def _fill_cells(self) -> None:
        plan = self.plan
        if plan is None:
            return
        selected = self._selected_cell_key()
        by_key = {(c.scenario_index, c.variant_index): c for c in self.cells}
        keys = [(s, v) for s in range(len(plan.names)) for v in range(len(plan.variants))]
        self.cells_table.setColumnHidden(1, len(plan.variants) == 1)
        self.cells_table.blockSignals(True)  # a refill is not the tester choosing a row
        self.cells_table.setRowCount(len(keys))
        for row, key in enumerate(keys):
            cell = by_key.get(key)
            values = [plan.names[key[0]], plan.variants[key[1]].name, "", "", "", "running…"]
            if cell is not None:
                to_go = plan.repeat - cell.rate.total
                values[2] = cell.rate.text() + (f" ({to_go} to go)" if to_go else "")
                values[3] = cell.rate.percent()
                values[4] = cell.latency.text() if cell.latency else "no action"
                top = cell.outcomes[0]
                values[5] = f"{len(top.runs)}x {'PASS' if top.passed else 'FAIL'}  {top.text}"
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, key)
                if col in (0, 5):  # cut to fit: the whole text on hover
                    item.setToolTip(value)
                if cell is not None and col in (2, 3):
                    item.setBackground(_band(cell))
                self.cells_table.setItem(row, col, item)
            if key == selected:
                self.cells_table.selectRow(row)
        self.cells_table.blockSignals(False)
        self.cells_table.resizeColumnsToContents()
        # A long scenario name must not push the outcome, the figure the tester came for,
        # out of sight: names are cut to SCENARIO_CHARS (whole in their tooltip).
        widest = self.cells_table.fontMetrics().horizontalAdvance("x" * SCENARIO_CHARS)
        if self.cells_table.columnWidth(0) > widest:
            self.cells_table.setColumnWidth(0, widest)
        if selected is not None:
            self._show_cell(by_key.get(selected))

    def _selected_cell_key(self) -> tuple[int, int] | None:
        rows = self.cells_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.cells_table.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _cell_selected(self) -> None:
        key = self._selected_cell_key()
        cell = next((c for c in self.cells if (c.scenario_index, c.variant_index) == key), None)
        self._show_cell(cell)

    def _show_cell(self, cell: CellStats | None) -> None:
        if cell is None:
            self.details.setPlainText("No run has finished yet.")
            self.runs_table.setRowCount(0)
            return
        lines = [
            f"{cell.scenario_name} [{cell.variant.name}]: {cell.rate.text()} passed",
            "",
            *(f"{rate.text():>7}  {label}" for label, rate in cell.checks),
        ]
        if cell.latency is not None:
            lines.append(f"caller to action: {cell.latency.text()}")
        lines += ["", "outcomes:"]
        for o in cell.outcomes:
            lines.append(f"{len(o.runs):>4}x {'PASS' if o.passed else 'FAIL'}  {o.text}")
        self.details.setPlainText("\n".join(lines))
        current = self._selected_run()
        self.runs_table.blockSignals(True)
        self.runs_table.setRowCount(len(cell.runs))
        for row, record in enumerate(cell.runs):
            values = (
                f"#{record.repeat}",
                "PASS" if record.passed else "FAIL",
                describe_outcome(record.events),
                record.failures[0] if record.failures else "",
                str(record.session_dir) if record.session_dir else "not saved",
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, record.index)
                if col == 1:
                    item.setBackground(MEETS if record.passed else NONE)
                self.runs_table.setItem(row, col, item)
            if current is not None and record.index == current.index:
                self.runs_table.selectRow(row)
        self.runs_table.blockSignals(False)
        self.runs_table.resizeColumnsToContents()

    def _selected_run(self) -> RunRecord | None:
        rows = self.runs_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.runs_table.item(rows[0].row(), 0)
        index = item.data(Qt.ItemDataRole.UserRole) if item else None
        return next((r for r in self.records if r.index == index), None)

    def _run_selected(self) -> None:
        record = self._selected_run()
        if record is not None:
            self.show_run(record)

    def show_run(self, record: RunRecord) -> None:
        """The run's timeline, here (from its events, saved or not)."""
        self.timeline.clear()
        self.timeline.follow = False
        for event in sorted(record.events, key=lambda e: e.seq):
            self.timeline.add_event(event)
        self.timeline.fit()
        latency = caller_to_action(record)
        self.timeline_panel.details.setText(
            f"{record.scenario_name} #{record.repeat}: {describe_outcome(record.events)}"
            + (f"; caller to action {latency:.2f} s" if latency is not None else "")
            + (f". {record.failures[0]}" if record.failures else "")
        )
        self.open_session_button.setEnabled(record.session_dir is not None)

    def open_session(self) -> Any:
        record = self._selected_run()
        if record is None or record.session_dir is None:
            return None
        if self.browse is not None:
            return self.browse(record.session_dir)
        from console.ui.sessions import SessionBrowser

        browser = SessionBrowser(record.session_dir.parent, None, self)
        browser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        browser.show()
        browser.select(record.session_dir)
        return browser

    def closeEvent(self, event) -> None:
        self.worker.stop()  # runs not started are dropped; the others end on their own
        super().closeEvent(event)


def _llm_factory(settings: Any) -> Callable[[CallConfig], Any]:
    """A fresh model agent per run (agents keep their call's conversation), with the
    window's settings, key included: runs on threads, so it never leaves the process."""
    from console.agent.llm import LLMAgent

    return lambda _config: LLMAgent(settings)


def _band(cell: CellStats) -> QColor:
    if cell.rate.passed == cell.rate.total:
        return MEETS
    return PARTLY if cell.rate.passed else NONE


def open_scenarios_panel(window: Any) -> ScenariosPanel:
    """The main window's hook: Scenarios… in a menu calls this with the window."""
    panel = ScenariosPanel(
        window.sessions_dir,
        llm_settings=lambda: window.llm_settings,
        browse=lambda folder: window.browse_sessions(folder),
        use_llm=window.backend_combo.currentIndex() == 1,
        parent=window,
    )
    panel.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    panel.show()
    window.scenarios_panel = panel
    return panel
