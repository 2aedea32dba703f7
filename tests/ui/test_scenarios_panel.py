"""The Scenarios panel with real widgets: a folder of scenarios runs in the background,
rates fill in as runs finish, a run's timeline opens here and its session in the
browser; the model path, stop, and files that cannot be used."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console.agent.llm import LLMSettings
from console.ui.scenarios import ScenariosPanel
from tests.conftest import ASSETS
from tests.ui.conftest import screenshot

CHOSEN = ("01-seed-no-to-ready.yaml", "02-seed-yes-goes-on.yaml", "10-silence-timeout.yaml")


@pytest.fixture
def folder(tmp_path) -> Path:
    """Three example scenarios beside the configs and prompts they name (../configs/...)."""
    scenarios = tmp_path / "suite" / "scenarios"
    scenarios.mkdir(parents=True)
    for part in ("configs", "prompts"):
        shutil.copytree(ASSETS / part, tmp_path / "suite" / part)
    for name in CHOSEN:
        shutil.copy(ASSETS / "scenarios" / name, scenarios / name)
    return scenarios


def make_panel(qtbot, tmp_path, **kwargs) -> ScenariosPanel:
    panel = ScenariosPanel(tmp_path / "sessions", **kwargs)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def cell_text(panel: ScenariosPanel, row: int, col: int) -> str:
    return panel.cells_table.item(row, col).text()


def run_and_wait(qtbot, panel: ScenariosPanel, runs: int) -> None:
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.worker.running or panel.finished_runs == runs
    qtbot.waitUntil(
        lambda: not panel.worker.running and panel.run_button.isEnabled(), timeout=120_000
    )
    assert panel.finished_runs == runs


def test_a_folder_runs_in_the_background_and_a_run_opens(qtbot, tmp_path, folder):
    panel = make_panel(qtbot, tmp_path)
    panel.set_folder(folder)
    assert panel.count_label.text() == "3 scenarios"
    panel.repeat_spin.setValue(2)
    panel.jobs_spin.setValue(2)  # worker processes
    seen: list[str] = []
    panel.worker.result.connect(lambda _r: seen.append(cell_text(panel, 0, 2)))
    run_and_wait(qtbot, panel, 6)

    # Rates filled in as runs came, not only at the end.
    first_row = [text for text in seen if text]
    assert first_row[0] == "1/1 (1 to go)" and first_row[-1] == "2/2"
    assert panel.progress.value() == 6 and panel.progress.maximum() == 6
    assert panel.status.text() == "6 of 6 runs passed"
    assert [cell_text(panel, r, 0) for r in range(3)] == [
        'Seed: "no" to "Are you ready to move forward?" ends the call',
        'Seed: "yes" to "Are you ready to move forward?" goes on to the next steps',
        "A silent caller meets the silence timeout",
    ]
    assert [cell_text(panel, r, 3) for r in range(3)] == ["100%"] * 3
    first = panel.cells_table.item(0, 0)
    assert first.toolTip() == first.text()  # a name cut to fit is whole on hover
    assert cell_text(panel, 0, 5).startswith("2x PASS  end_call at caller turn 3")
    assert cell_text(panel, 2, 5) == "2x PASS  no action; ended by the silence timeout"

    panel.cells_table.selectRow(0)
    assert panel.runs_table.rowCount() == 2
    assert "    2/2  action at caller turn 3\n" in panel.details.toPlainText()
    panel.runs_table.selectRow(1)
    lanes = {item.lane for item in panel.timeline.model.items}
    assert {"caller", "agent", "action", "goodbye"} <= lanes
    assert panel.timeline_panel.details.text().startswith(
        'Seed: "no" to "Are you ready to move forward?" ends the call #2: end_call at caller'
    )
    screenshot(panel, "scenarios-panel")

    assert panel.open_session_button.isEnabled()
    browser = panel.open_session()
    qtbot.waitUntil(lambda: browser.session is not None)
    run = panel._selected_run()
    assert browser.session.folder == run.session_dir
    assert len([p for p in (tmp_path / "sessions").iterdir() if p.is_dir()]) == 6
    browser.close()


def test_variants_show_as_rows_and_a_bad_variants_file_is_named(qtbot, tmp_path, folder):
    panel = make_panel(qtbot, tmp_path)
    panel.set_folder(folder)
    bad = tmp_path / "bad.yaml"
    bad.write_text("variants: [{name: x, overrides: {end_call.nope: 1}}]")
    assert not panel.set_variants(bad)
    assert "end_call.nope: unknown field" in panel.status.text()
    good = tmp_path / "v.yaml"
    good.write_text(
        "variants:\n  - name: as written\n  - name: skip goodbye\n"
        "    overrides: {end_call.skip_goodbye: true}\n"
    )
    assert panel.set_variants(good)
    panel.repeat_spin.setValue(1)
    panel.jobs_spin.setValue(1)
    run_and_wait(qtbot, panel, 6)
    assert not panel.cells_table.isColumnHidden(1)
    rows = {
        (cell_text(panel, r, 0)[:12], cell_text(panel, r, 1)): cell_text(panel, r, 3)
        for r in range(6)
    }
    assert rows[('Seed: "no" t', "skip goodbye")] == "0%"
    assert rows[('Seed: "no" t', "as written")] == "100%"
    # Beside a variant column, a long scenario name is cut; each outcome stays in sight.
    table = panel.cells_table
    starts = table.horizontalHeader().sectionViewportPosition(5)
    for row in range(table.rowCount()):
        head = cell_text(panel, row, 5).split(";")[0]  # e.g. "1x PASS  end_call at caller turn 3"
        ends = starts + table.fontMetrics().horizontalAdvance(head)
        assert ends <= table.viewport().width(), (head, ends, table.viewport().width())


def test_the_model_from_the_window_settings_answers_on_threads(qtbot, tmp_path, folder):
    """A model server that is not there: every run fails with the agent's reason."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = LLMSettings(base_url=f"http://127.0.0.1:{port}/v1", model="nobody", timeout_s=2)
    panel = make_panel(qtbot, tmp_path, llm_settings=lambda: settings, use_llm=True)
    assert panel.agent_combo.currentText() == f"LLM: nobody at http://127.0.0.1:{port}/v1"
    assert panel.jobs_spin.value() == 2
    panel.set_folder(folder)
    panel.repeat_spin.setValue(1)
    run_and_wait(qtbot, panel, 3)
    panel.cells_table.selectRow(0)
    assert "    0/1  the agent answered without failing\n" in panel.details.toPlainText()
    panel.runs_table.selectRow(0)
    run = panel._selected_run()
    assert run.failures[-1].startswith("the agent failed: ")
    assert panel.runs_table.item(0, 3).text() == run.failures[0]


def test_stop_keeps_what_finished(qtbot, tmp_path, folder):
    panel = make_panel(qtbot, tmp_path)
    panel.set_folder(folder)
    panel.repeat_spin.setValue(300)
    panel.jobs_spin.setValue(1)
    panel.worker.result.connect(lambda _r: panel.stop())
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=120_000)
    # The worker may finish a run or two more before the stop reaches it.
    done = panel.finished_runs
    assert 1 <= done < 900
    assert panel.status.text() == f"{done} of {done} runs passed; stopped after {done} of 900 runs"
    assert panel.progress.value() == done


def test_a_folder_without_scenarios_cannot_run(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    panel.set_folder(tmp_path)
    assert panel.count_label.text() == "0 scenarios"
    assert not panel.run_button.isEnabled()


def test_the_window_hook_opens_the_panel_with_the_windows_choices(qtbot, window, folder):
    from console.ui.scenarios import open_scenarios_panel

    window.backend_combo.setCurrentIndex(1)
    panel = open_scenarios_panel(window)
    assert panel.isVisible() and panel.sessions_dir == window.sessions_dir
    assert panel.agent_combo.currentText() == f"LLM: {window.llm_settings.describe()}"
    panel.agent_combo.setCurrentIndex(0)  # offline, for this test
    panel.set_folder(folder)
    panel.repeat_spin.setValue(1)
    panel.jobs_spin.setValue(1)
    run_and_wait(qtbot, panel, 3)
    panel.cells_table.selectRow(2)
    panel.runs_table.selectRow(0)
    browser = panel.open_session()  # the window's own session browser
    assert browser is window.browser
    qtbot.waitUntil(lambda: browser.session is not None)
    assert browser.session.folder == panel._selected_run().session_dir
    browser.close()
    panel.close()


def test_closing_the_panel_mid_run_stops_it_without_a_crash(qtbot, tmp_path, folder):
    panel = ScenariosPanel(tmp_path / "sessions")
    panel.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    panel.show()
    panel.set_folder(folder)
    panel.repeat_spin.setValue(300)
    panel.jobs_spin.setValue(1)
    worker = panel.worker
    results = []
    worker.result.connect(results.append)
    panel.run()
    qtbot.waitUntil(lambda: len(results) >= 1)
    panel.close()  # deleted now; the worker finishes its run and stops
    qtbot.waitUntil(lambda: not worker.running, timeout=60_000)
    assert len(results) < 900
