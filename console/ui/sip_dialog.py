"""Call > Call agent over SIP…: dial a deployed voice agent from the window.

The tester gives the agent's SIP URI (and, where the platform asks for them, a registrar,
a user and a password, kept in memory only: never saved, written or shown) and a codec;
the call then runs like a local one, on the same timeline, with the agent's speech
recognised into rows and its BYE judged (console/sip). The End Call fields belong to the
remote agent's platform during such a call: the editor turns read-only and says so, and
where the tester imported the agent's platform file (File > Import agent…) it shows that
config, which the session records too, so the call says which agent was tested.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

CODECS = (("G.711 u-law (PCMU)", "pcmu"), ("G.711 A-law (PCMA)", "pcma"), ("Opus", "opus"))


class SipDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Call agent over SIP")
        self.setMinimumWidth(520)  # a whole SIP URI stays readable
        self.uri = QLineEdit(str(QSettings().value("sip/uri", "")))
        self.uri.setPlaceholderText("sip:agent@example.com or sip:+15551234567@sip.provider.com")
        self.registrar = QLineEdit(str(QSettings().value("sip/registrar", "")))
        self.registrar.setPlaceholderText("optional: sip:registrar.example.com")
        self.user = QLineEdit(str(QSettings().value("sip/user", "")))
        self.user.setPlaceholderText("optional")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("optional: kept for this call only, never saved")
        self.codec = QComboBox()
        for label, spec in CODECS:
            self.codec.addItem(label, spec)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setTextFormat(self.error.textFormat().PlainText)
        form = QFormLayout()
        form.addRow("Agent's SIP URI", self.uri)
        form.addRow("Registrar", self.registrar)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        form.addRow("Codec", self.codec)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Call")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        note = QLabel(
            "The agent's speech is recognised into rows on the timeline and its hang-up is "
            "judged (BYE, cut-off goodbye, goodbye without hanging up). Its End Call settings "
            "stay on its platform."
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.account: Any = None

    def _check(self) -> None:
        from console.sip.account import SipAccount, SipInputError

        try:
            self.account = SipAccount.from_input(
                self.uri.text().strip(),
                user=self.user.text().strip(),
                password=self.password.text() or None,
                registrar=self.registrar.text().strip(),
                codecs=self.codec.currentData(),
            )
        except SipInputError as exc:
            self.error.setText(str(exc))
            return
        settings = QSettings()  # the password is never among them
        settings.setValue("sip/uri", self.uri.text().strip())
        settings.setValue("sip/registrar", self.registrar.text().strip())
        settings.setValue("sip/user", self.user.text().strip())
        self.accept()


def remote_config_text(config: Any) -> str:
    """What the End Call editor says during a SIP call: nothing here is editable, and
    whose config it shows."""
    from console.platforms import PLATFORMS
    from console.sip.call import REMOTE_NOT_EDITABLE

    platform = config.platform
    if platform is None:
        said = REMOTE_NOT_EDITABLE[0].upper() + REMOTE_NOT_EDITABLE[1:]
        return (
            f"{said}. The fields below are the console's own config, "
            "not the agent's: import its platform file (File > Import agent…) to see its "
            "End Call settings here."
        )
    title = PLATFORMS[platform.name].title if platform.name in PLATFORMS else platform.name
    source = f" ({platform.source_file})" if platform.source_file else ""
    return (
        f"Calling a remote agent over SIP: read-only. Shown below is the {title} config "
        f"imported from its platform file{source}; its End Call settings can only be "
        "changed on the platform."
    )


def call_over_sip(window: Any) -> None:
    """Ask for the agent's address, then place the call from the window's controller."""
    from console.sip.call import SipCallOptions

    if window.calls.calling:
        return
    dialog = SipDialog(window)
    if not dialog.exec() or dialog.account is None:
        return
    config = window.store.current
    options = SipCallOptions(
        sessions_dir=window.sessions_dir,
        model=window.models.model,
        recognise=window.models.model is not None,
        output_device=window.devices.output_spec(),
        input_device=None if window.devices.typed_only else window.devices.input_spec(),
        config=config if config.platform is not None else None,
    )
    if window.calls.place_sip(dialog.account, options):
        editor = window.end_call_editor
        editor.set_remote(remote_config_text(config))
        window.end_call_editor.set_version_text(f"config v{window.store.version} (read-only)")
