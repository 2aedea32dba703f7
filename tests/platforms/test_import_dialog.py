"""File > Import agent…: real widgets, real files, the config applied through a callback."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.core.config import ConfigStore
from console.ui.platform_import import PlatformImportDialog, open_import_dialog
from tests.platforms.helpers import FIXTURES


def make(qtbot, applied: list):
    dialog = PlatformImportDialog(applied.append)
    qtbot.addWidget(dialog)
    return dialog


def test_pick_import_read_the_report_apply(qtbot):
    applied: list = []
    dialog = make(qtbot, applied)
    dialog.set_files([FIXTURES / "vapi_new.json"])
    assert dialog.platform_name() == "vapi"  # guessed from the file
    assert not dialog.apply_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    report = dialog.report.toPlainText()
    assert report.startswith("Imported from Vapi: vapi_new.json")
    assert "dentalOfficeCode" in report and "[goodbye_message_shadowed]" in report
    assert dialog.apply_button.isEnabled() and dialog.error.text() == ""
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert len(applied) == 1
    assert applied[0].platform.name == "vapi" and applied[0].end_call.name == "endCall"


def test_a_bad_file_says_why_and_cannot_be_applied(qtbot, tmp_path):
    applied: list = []
    dialog = make(qtbot, applied)
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json")
    dialog.set_files([bad])
    dialog.set_platform("retell")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text().startswith("broken.json: not valid JSON")
    assert dialog.report.toPlainText() == ""
    assert not dialog.apply_button.isEnabled()
    dialog.apply()
    assert applied == []


def test_changing_the_inputs_after_an_import_needs_a_new_import(qtbot):
    dialog = make(qtbot, [])
    dialog.set_files([FIXTURES / "retell_agent.json", FIXTURES / "retell_llm.json"])
    assert dialog.platform_name() == "retell"
    assert dialog.run_import()
    assert "retell_agent.json, retell_llm.json" in dialog.report.toPlainText()
    dialog.set_platform("elevenlabs")
    assert not dialog.apply_button.isEnabled() and dialog.imported is None


def test_no_file_chosen(qtbot):
    dialog = make(qtbot, [])
    assert not dialog.run_import()
    assert "Choose" in dialog.error.text()


def test_applies_through_the_config_store_as_a_new_version(qtbot):
    store = ConfigStore()
    dialog = open_import_dialog(None, store.replace)
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    dialog.set_files([FIXTURES / "livekit_agent.py"])
    assert dialog.platform_name() == "livekit"
    assert dialog.run_import()
    dialog.apply()
    assert store.version == 2
    assert store.current.platform.source_file == "livekit_agent.py"
    assert not dialog.isVisible()


def test_the_report_is_plain_text_never_html(qtbot, tmp_path):
    path = tmp_path / "html.json"
    path.write_text('{"name": "<b>bold</b>", "model": {}, "<img src=x>": 1}')
    dialog = make(qtbot, [])
    dialog.set_files([path])
    dialog.set_platform("vapi")
    assert dialog.run_import()
    assert "<img src=x>" in dialog.report.toPlainText()
