"""Settings for the LLM backend: endpoint, model (fetched from it), key, and a test.

The key field is never saved: it lives for this run of the app only (or comes from
ENDCALL_LLM_API_KEY / OPENAI_API_KEY). URL, model, timeout and streaming are remembered.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from console.agent.llm import LLMSettings, list_models


def load_settings() -> LLMSettings:
    q = QSettings()
    base = LLMSettings()
    return LLMSettings(
        base_url=str(q.value("llm/base_url", base.base_url)),
        model=str(q.value("llm/model", base.model)),
        timeout_s=float(q.value("llm/timeout_s", base.timeout_s)),
        stream=str(q.value("llm/stream", "true")).lower() == "true",
    )


def save_settings(settings: LLMSettings) -> None:
    q = QSettings()
    q.setValue("llm/base_url", settings.base_url)
    q.setValue("llm/model", settings.model)
    q.setValue("llm/timeout_s", settings.timeout_s)
    q.setValue("llm/stream", "true" if settings.stream else "false")
    # The API key is deliberately not saved.


class _Results(QObject):
    models = Signal(list, str)  # names, error


class LLMSettingsDialog(QDialog):
    def __init__(self, settings: LLMSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("LLM backend")
        self.url = QLineEdit(settings.base_url)
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.setCurrentText(settings.model)
        self.fetch = QPushButton("Fetch models")
        self.key = QLineEdit(settings.api_key)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("empty: ENDCALL_LLM_API_KEY or OPENAI_API_KEY (never saved)")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(1, 300)
        self.timeout.setValue(settings.timeout_s)
        self.timeout.setSuffix(" s")
        self.stream = QCheckBox("Stream replies (speak from the first sentence)")
        self.stream.setChecked(settings.stream)
        self.test = QPushButton("Test connection")
        self.result = QLabel("")
        self.result.setWordWrap(True)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.fetch)
        form = QFormLayout(self)
        form.addRow("Base URL", self.url)
        form.addRow("Model", model_row)
        form.addRow("API key", self.key)
        form.addRow("Timeout", self.timeout)
        form.addRow("", self.stream)
        form.addRow(self.test, self.result)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._results = _Results(self)
        self._results.models.connect(self._on_models)
        self.fetch.clicked.connect(self.test_connection)
        self.test.clicked.connect(self.test_connection)

    def settings(self) -> LLMSettings:
        return LLMSettings(
            base_url=self.url.text().strip(),
            model=self.model.currentText(),
            api_key=self.key.text(),
            timeout_s=self.timeout.value(),
            stream=self.stream.isChecked(),
        )

    def test_connection(self) -> None:
        """Ask the endpoint for its models, off the GUI thread."""
        settings = self.settings()
        self.result.setText(f"Asking {settings.base_url}…")

        def work() -> None:
            try:
                self._results.models.emit(list_models(settings), "")
            except RuntimeError as exc:
                self._results.models.emit([], str(exc))

        threading.Thread(target=work, name="llm-test", daemon=True).start()

    def _on_models(self, names: list, error: str) -> None:
        if error:
            self.result.setText(f"✗ {error}")
            return
        current = self.model.currentText()
        self.model.clear()
        self.model.addItems(names)
        self.model.setCurrentText(current if current in names or not names else names[0])
        found = "is offered" if current in names else "is NOT offered; pick one above"
        self.result.setText(f"✓ Connected: {len(names)} model(s); {current!r} {found}.")
