"""File > Import agent…: pick a platform's agent file, read the import report, apply.

The dialog only reads files and shows what the import did; applying the config is the
caller's callback (the window's config controller), so the dialog knows nothing about
calls or versions. The report is shown as plain text: a platform file is someone else's
text and is never rendered as HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.agent.lints import lint_config
from console.core.config import CallConfig
from console.platforms import PLATFORMS, Imported, PlatformFileError, guess_platform, import_files

_FILTERS = "Agent files (*.json *.yaml *.yml *.py);;All files (*)"
_HINTS = {
    "vapi": "the assistant's JSON (Dashboard or GET /assistant/{id})",
    "retell": "the agent JSON and/or the Retell LLM JSON (pick both at once)",
    "elevenlabs": "the agent's JSON (a full export or an update payload)",
    "livekit": "the agent's Python source (read, never run) or a small YAML description",
}
_SEPARATOR = " ; "


class PlatformImportDialog(QDialog):
    def __init__(
        self, on_apply: Callable[[CallConfig], object], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import agent")
        self.resize(760, 560)
        self._on_apply = on_apply
        self.imported: Imported | None = None

        self.platform = QComboBox()
        for name, adapter in PLATFORMS.items():
            self.platform.addItem(adapter.title, name)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.files = QLineEdit()
        self.files.setPlaceholderText("the platform's agent file(s)")
        self.browse = QPushButton("Browse…")
        self.import_button = QPushButton("Import")
        file_row = QHBoxLayout()
        file_row.addWidget(self.files, 1)
        file_row.addWidget(self.browse)
        form = QFormLayout()
        form.addRow("Platform", self.platform)
        form.addRow("", self.hint)
        form.addRow("File(s)", file_row)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("The import report shows here: what mapped, what did not.")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Cancel
        )
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setText("Apply to the console")
        self.apply_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.import_button)
        layout.addWidget(self.error)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.buttons)

        self.platform.currentIndexChanged.connect(self._platform_changed)
        self.files.textChanged.connect(self._stale)
        self.browse.clicked.connect(self._browse)
        self.import_button.clicked.connect(self.run_import)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self._platform_changed()

    # -- inputs ---------------------------------------------------------------------------
    def platform_name(self) -> str:
        return str(self.platform.currentData())

    def set_platform(self, name: str) -> None:
        index = self.platform.findData(name)
        if index >= 0:
            self.platform.setCurrentIndex(index)

    def chosen_files(self) -> list[Path]:
        return [Path(p.strip()) for p in self.files.text().split(_SEPARATOR.strip()) if p.strip()]

    def set_files(self, paths: list[Path | str]) -> None:
        """Show the files and preselect the platform they look like."""
        self.files.setText(_SEPARATOR.join(str(p) for p in paths))
        guess = guess_platform([Path(p) for p in paths])
        if guess:
            self.set_platform(guess)

    def _browse(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Import agent", "", _FILTERS)
        if names:
            self.set_files(names)

    def _platform_changed(self) -> None:
        self.hint.setText(_HINTS.get(self.platform_name(), ""))
        self._stale()

    def _stale(self) -> None:
        """Inputs changed: what was imported before no longer matches them."""
        self.imported = None
        self.apply_button.setEnabled(False)

    # -- import and apply -------------------------------------------------------------------
    def run_import(self) -> bool:
        self._stale()
        self.error.clear()
        self.report.clear()
        paths = self.chosen_files()
        if not paths:
            self.error.setText("Choose the platform's agent file first.")
            return False
        try:
            imported = import_files(paths, self.platform_name())
        except PlatformFileError as exc:
            where = f"{exc.source}: " if exc.source else ""
            self.error.setText(where + "; ".join(exc.problems))
            return False
        lints = lint_config(imported.config)
        text = imported.report.text()
        if lints:
            text += "\n\nLints:\n" + "\n".join(f"  - {lint}" for lint in lints)
        self.report.setPlainText(text)
        self.imported = imported
        self.apply_button.setEnabled(True)
        return True

    def apply(self) -> None:
        if self.imported is None:
            return
        self._on_apply(self.imported.config)
        self.accept()


def open_import_dialog(
    parent: QWidget | None, on_apply: Callable[[CallConfig], object]
) -> PlatformImportDialog:
    """Show the dialog (the window's File > Import agent… calls this)."""
    dialog = PlatformImportDialog(on_apply, parent)
    dialog.open()
    return dialog
