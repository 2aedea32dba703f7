"""The speech model in the status bar: "Use a model folder…" beside "Get model…", and a
warning when the model hears another language than the main prompt is written in.

A tester often has a model already (a colleague's folder, another language from the
vosk models page): choosing its folder loads it through the one loader, and the window
remembers it for the next start. The language check runs when a model is ready and
whenever the prompt changes (console/speech/language.py; cheap and deterministic).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QPushButton

SAVED_FOLDER = "speech/model_folder"  # QSettings key: the folder the tester chose


class ModelStatus(QObject):
    """Adds its button and warning to the window's status bar and keeps them current."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window: Any = window
        self.folder_button = QPushButton("Use a model folder…")
        self.folder_button.setToolTip(
            "Load a vosk model you already have (a folder with am/ and conf/ inside)"
        )
        self.warning = QLabel("")
        self.warning.setStyleSheet("color: #b35900; font-weight: bold")
        self.warning.setVisible(False)
        status = window.statusBar()
        status.addPermanentWidget(self.warning)
        status.addPermanentWidget(self.folder_button)
        self.text = ""  # the warning's whole sentence ("" when none)
        self.folder_button.clicked.connect(self.choose_folder)
        window.models.ready.connect(lambda *_: self.check())
        window.controller.changed.connect(lambda *_: self.check())

    def choose_folder(self) -> None:
        from console.speech.models import models_dir

        start = QSettings().value(SAVED_FOLDER, "") or str(models_dir())
        name = QFileDialog.getExistingDirectory(self.window, "A vosk model folder", str(start))
        if name:
            self.use_folder(Path(name))

    def use_folder(self, path: Path) -> bool:
        """Load the model in `path` (checked first: a folder that is not a model is named
        with what it lacks, and nothing changes)."""
        from console.speech.models import verify_model

        problems = verify_model(path, load=False)
        if problems:
            QMessageBox.warning(
                self.window,
                "Speech model",
                f"{path} is not a vosk model folder: {'; '.join(problems)}. A model folder "
                "holds am/ and conf/ (unpack the zip from the vosk models page).",
            )
            return False
        QSettings().setValue(SAVED_FOLDER, str(path))
        self.window.model_label.setText(f"Speech model: loading {path.name}…")
        self.window.models.load(explicit=path)
        return True

    def check(self) -> str:
        """Show (or clear) the language warning for the model and prompt in force."""
        from console.speech.language import language_warning, model_language, name_of

        model = self.window.models.model
        prompt = self.window.store.current.agent.main_prompt
        self.text = ""
        if model is not None:
            self.text = language_warning(model.info.path, model.info.name, prompt)
        self.warning.setVisible(bool(self.text))
        if self.text:
            heard = name_of(model_language(model.info.path, model.info.name))
            self.warning.setText(f"⚠ {heard} model, prompt in another language")
            self.warning.setToolTip(self.text)
            self.window.statusBar().showMessage(self.text, 15000)
        return self.text


def saved_folder() -> str:
    """The model folder the tester chose in the window, if it is still there."""
    from console.speech.models import is_model_dir

    saved = str(QSettings().value(SAVED_FOLDER, "") or "")
    return saved if saved and is_model_dir(Path(saved)) else ""
