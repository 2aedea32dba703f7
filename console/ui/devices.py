"""Microphone and speaker pickers with an input level meter, for the call toolbar.

Each picker lists the system default, PortAudio's devices, and the sound server's
sources and sinks by name (PulseAudio or PipeWire, opened as `pulse:NAME`, the spec the
terminal's --input/--output take). Refresh looks again: PortAudio only sees devices that
existed when it started, so it is restarted first (never during a call).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

TYPED_ONLY = "Typed input only (no audio)"
SYSTEM_DEFAULT = "System default"


class DevicePicker(QWidget):
    problem = Signal(str)  # devices could not be listed: a message for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input_combo = QComboBox()
        self.input_combo.setToolTip("Microphone (the caller's voice)")
        self.input_combo.setAccessibleName("Microphone")
        self.output_combo = QComboBox()
        self.output_combo.setToolTip("Speaker (the agent's voice)")
        self.output_combo.setAccessibleName("Speaker")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Look for devices again (a headset plugged in since)")
        self.level = QProgressBar()
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setFixedWidth(70)
        self.level.setToolTip("Microphone level")
        self.level.setAccessibleName("Microphone level")
        for combo in (self.input_combo, self.output_combo):
            combo.setMinimumContentsLength(18)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            QLabel(" Mic:"),
            self.input_combo,
            QLabel("Level:"),
            self.level,
            QLabel("Speaker:"),
            self.output_combo,
            self.refresh_button,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.refresh_button.clicked.connect(lambda: self.refresh(rescan=True))

    # -- what was chosen -----------------------------------------------------------------
    @property
    def typed_only(self) -> bool:
        return self.input_combo.currentData() == "typed"

    def input_spec(self) -> str | None:
        data = self.input_combo.currentData()
        return None if data in (None, "typed") else str(data)

    def output_spec(self) -> str | None:
        data = self.output_combo.currentData()
        return None if data is None else str(data)

    def choose_typed_only(self) -> None:
        self.input_combo.setCurrentIndex(self.input_combo.findText(TYPED_ONLY))

    def set_level(self, rms: float) -> None:
        self.level.setValue(min(100, int(rms * 400)))

    def set_calling(self, calling: bool) -> None:
        for widget in (self.input_combo, self.output_combo, self.refresh_button):
            widget.setEnabled(not calling)
        if not calling:
            self.level.setValue(0)

    # -- listing -------------------------------------------------------------------------
    def refresh(self, rescan: bool = False) -> None:
        from console.audio.devices import AudioUnavailable, list_devices, pulse_endpoints
        from console.audio.devices import rescan as rescan_portaudio

        keep_in, keep_out = self.input_combo.currentText(), self.output_combo.currentText()
        self.input_combo.clear()
        self.output_combo.clear()
        try:
            if rescan:
                rescan_portaudio()
            devices = list_devices()
        except AudioUnavailable as exc:
            devices = []
            self.problem.emit(str(exc))
        self.input_combo.addItem(SYSTEM_DEFAULT, None)
        self.output_combo.addItem(SYSTEM_DEFAULT, None)
        for d in devices:
            if d.inputs:
                self.input_combo.addItem(d.name, str(d.index))
            if d.outputs:
                self.output_combo.addItem(d.name, str(d.index))
        if any(d.name == "pulse" for d in devices):
            for endpoint in pulse_endpoints():
                combo = self.input_combo if endpoint.kind == "input" else self.output_combo
                combo.addItem(f"{endpoint.description} (sound server)", endpoint.spec)
        self.input_combo.addItem(TYPED_ONLY, "typed")
        if not devices:
            self.choose_typed_only()
        for combo, text in ((self.input_combo, keep_in), (self.output_combo, keep_out)):
            index = combo.findText(text) if text else -1
            if index >= 0:
                combo.setCurrentIndex(index)

    def restore(self) -> None:
        saved = QSettings().value("devices/input", "")
        if saved:
            index = self.input_combo.findText(str(saved))
            if index >= 0:
                self.input_combo.setCurrentIndex(index)
        saved = QSettings().value("devices/output", "")
        if saved:
            index = self.output_combo.findText(str(saved))
            if index >= 0:
                self.output_combo.setCurrentIndex(index)

    def save(self) -> None:
        QSettings().setValue("devices/input", self.input_combo.currentText())
        QSettings().setValue("devices/output", self.output_combo.currentText())
