"""Settings for the LLM backend: endpoint, model (fetched from it), key, and a test.

The key field is never saved: it lives for this run of the app only (or comes from
ENDCALL_LLM_API_KEY / OPENAI_API_KEY). URL, model, timeout and streaming are remembered.
A user name and password written into the URL (`http://user:pass@host/v1`) are treated
like the key: used for this run, registered for redaction, never saved (the URL is saved
without them, and the dialog says so). A saved value that cannot be used (a timeout of
"abc", someone's hand edit) falls back to its default with a notice, never a crash.
An endpoint's error text is shown as plain text, redacted: it is never rendered as HTML.
"""

from __future__ import annotations

import math
import threading

from PySide6.QtCore import QObject, QSettings, Qt, Signal
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
from console.core.redact import redact, register_secret, split_url_credentials

TIMEOUT_RANGE = (1.0, 300.0)
CREDENTIALS_NOTICE = (
    "The user name and password in the URL are used for this run only; "
    "they are never saved, logged or exported."
)


def load_settings(notices: list[str] | None = None) -> LLMSettings:
    """The remembered settings; each value that cannot be used falls back to its default
    and adds a sentence to `notices` (for the window to show)."""
    q = QSettings()
    base = LLMSettings()
    found: list[str] = []

    def text(key: str, default: str, limit: int = 2000) -> str:
        value = q.value(key, default)
        if not isinstance(value, str) or len(value) > limit:
            found.append(f"The saved {key} could not be used; using {default!r}.")
            return default
        return value

    raw_timeout = q.value("llm/timeout_s", base.timeout_s)
    try:
        timeout = float(raw_timeout)
        if not (math.isfinite(timeout) and TIMEOUT_RANGE[0] <= timeout <= TIMEOUT_RANGE[1]):
            raise ValueError
    except (TypeError, ValueError):
        found.append(
            f"The saved LLM timeout {str(raw_timeout)[:40]!r} is not a number of seconds "
            f"from {TIMEOUT_RANGE[0]:g} to {TIMEOUT_RANGE[1]:g}; using {base.timeout_s:g} s."
        )
        timeout = base.timeout_s
    url = text("llm/base_url", base.base_url)
    clean, user, password = split_url_credentials(url)
    if user or password:  # an old file holding credentials: never use or show them again
        found.append("The saved LLM URL held a user name or password; they were dropped.")
        url = clean
    stream = text("llm/stream", "true").lower()
    if stream not in ("true", "false"):
        found.append(f"The saved llm/stream {stream[:20]!r} is not true or false; using true.")
        stream = "true"
    settings = LLMSettings(
        base_url=url,
        model=text("llm/model", base.model),
        timeout_s=timeout,
        stream=stream == "true",
    )
    if notices is not None:
        notices.extend(redact(n) for n in found)
    return settings


def save_settings(settings: LLMSettings) -> list[str]:
    """Remember URL (without user-info), model, timeout and streaming; never the key.
    Returns notices for the person (e.g. that URL credentials were not saved)."""
    notices = []
    clean, user, password = split_url_credentials(settings.base_url)
    if user or password:
        notices.append(CREDENTIALS_NOTICE)
    register_secret(settings.api_key)
    q = QSettings()
    q.setValue("llm/base_url", redact(clean))
    q.setValue("llm/model", redact(settings.model))
    q.setValue("llm/timeout_s", settings.timeout_s)
    q.setValue("llm/stream", "true" if settings.stream else "false")
    # The API key is deliberately not saved.
    return notices


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
        # An endpoint's error text is not ours: never let Qt read it as HTML.
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.notice = QLabel("")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
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
        form.addRow("", self.notice)
        self.url.editingFinished.connect(self._check_url)
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

    def _check_url(self) -> None:
        _clean, user, password = split_url_credentials(self.url.text().strip())
        self.notice.setText(CREDENTIALS_NOTICE if user or password else "")

    def settings(self) -> LLMSettings:
        """What the dialog holds; the key and any URL credentials are registered as
        secrets, so no copy of them is ever written or shown."""
        register_secret(self.key.text())
        self._check_url()
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
        self.result.setText(f"Asking {redact(settings.base_url)}…")

        def work() -> None:
            try:
                self._results.models.emit(list_models(settings), "")
            except Exception as exc:  # any failure is a message, never a dead thread
                self._results.models.emit([], str(exc) or type(exc).__name__)

        threading.Thread(target=work, name="llm-test", daemon=True).start()

    def _on_models(self, names: list, error: str) -> None:
        if error:
            self.result.setText(f"✗ {redact(error)}")
            return
        current = self.model.currentText()
        self.model.clear()
        self.model.addItems(names)
        self.model.setCurrentText(current if current in names or not names else names[0])
        found = "is offered" if current in names else "is NOT offered; pick one above"
        self.result.setText(redact(f"✓ Connected: {len(names)} model(s); {current!r} {found}."))
