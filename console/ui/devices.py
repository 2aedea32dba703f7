"""Microphone and speaker pickers with an input level meter, for the call toolbar.

Each picker lists the system default, PortAudio's devices, and the sound server's
sources and sinks by name (PulseAudio or PipeWire, opened as `pulse:NAME`, the spec the
terminal's --input/--output take). Refresh looks again: PortAudio only sees devices that
existed when it started, so it is restarted first (never during a call).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)

TYPED_ONLY = "Typed input only (no audio)"
WIDEST = 64  # characters a picker grows to when the toolbar has room


class DeviceCombo(QComboBox):
    """A picker whose closed box cuts a long name before its last bracket, not at its
    end: the `(pulse:NAME)` or `(hw:1,0)` that tells two devices apart stays in sight
    ("Remapped Monitor of Null…(pulse:virtual_mic)"); the list shows every name whole."""

    def shown_text(self, width: int) -> str:
        text, metrics, right = self.currentText(), self.fontMetrics(), Qt.TextElideMode.ElideRight
        width = max(0, width)
        if metrics.horizontalAdvance(text) <= width:
            return text
        head, bracket, tail = text.rpartition(" (")
        room = width - metrics.horizontalAdvance(bracket + tail)
        if head and text.endswith(")") and room >= metrics.horizontalAdvance("Mic…"):
            return metrics.elidedText(head, right, room) + bracket + tail
        return metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, width)

    def paintEvent(self, _event) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        option.currentText = self.shown_text(field.width() - 4)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


SYSTEM_DEFAULT = "System default"


class DevicePicker(QWidget):
    problem = Signal(str)  # devices could not be listed: a message for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input_combo = DeviceCombo()
        self.input_combo.setToolTip("Microphone (the caller's voice)")
        self.input_combo.setAccessibleName("Microphone")
        self.output_combo = DeviceCombo()
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
            combo.setMinimumContentsLength(30)  # "Null Output (pulse:agent_out)" whole
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            # The list drops below the picker (not over the toolbar), as long as it needs.
            combo.setStyleSheet("QComboBox { combobox-popup: 0; }")
            combo.setMaxVisibleItems(20)
            # Room the toolbar has to spare goes to the names (up to WIDEST characters).
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            combo.setMaximumWidth(combo.fontMetrics().horizontalAdvance("x" * WIDEST))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        mic, level, speaker = QLabel(" Mic:"), QLabel("Level:"), QLabel("Speaker:")
        mic.setBuddy(self.input_combo)
        level.setBuddy(self.level)
        speaker.setBuddy(self.output_combo)
        for widget in (
            mic,
            self.input_combo,
            level,
            self.level,
            speaker,
            self.output_combo,
            self.refresh_button,
        ):
            layout.addWidget(widget, 1 if isinstance(widget, DeviceCombo) else 0)
        layout.addStretch(0)
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

        keep = [
            (c, c.currentText(), c.currentData()) for c in (self.input_combo, self.output_combo)
        ]
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
                combo.addItem(endpoint_label(endpoint), endpoint.spec)
        self.input_combo.addItem(TYPED_ONLY, "typed")
        if not devices:
            self.choose_typed_only()
        for combo, text, data in keep:
            _choose(combo, text, data)
        for combo in (self.input_combo, self.output_combo):  # whole names in the list
            widest = max(
                (combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in
                 range(combo.count())), default=0,
            )  # fmt: skip
            combo.view().setMinimumWidth(widest + 32)

    def restore(self) -> None:
        for combo, key in ((self.input_combo, "input"), (self.output_combo, "output")):
            _choose(
                combo,
                str(QSettings().value(f"devices/{key}", "") or ""),
                QSettings().value(f"devices/{key}_spec", None),
            )

    def save(self) -> None:
        for combo, key in ((self.input_combo, "input"), (self.output_combo, "output")):
            QSettings().setValue(f"devices/{key}", combo.currentText())
            QSettings().setValue(f"devices/{key}_spec", combo.currentData() or "")


def endpoint_label(endpoint) -> str:
    """A sound server device as listed: its description and the name it opens by (two
    virtual sinks are both "Null Output"; their names tell them apart)."""
    if endpoint.description and endpoint.description != endpoint.name:
        return f"{endpoint.description} ({endpoint.spec})"
    return endpoint.spec


def _choose(combo: QComboBox, text: str, data: object) -> None:
    """Select what was chosen before: a sound server device by its name (pulse:NAME), any
    other by its label (PortAudio's numbers change when devices come and go)."""
    index = -1
    if isinstance(data, str) and data.startswith("pulse:"):
        index = combo.findData(data)
    if index < 0 and text:
        index = combo.findText(text)
    if index >= 0:
        combo.setCurrentIndex(index)
