"""The window's "Echo cancellation" and "Noise suppression" checkboxes.

They edit the config's `audio` section through the config controller, like every other
field: between calls the next call uses them; during a call the edit is applied by the
engine's thread, shows on the timeline as a config change, and the audio pump switches at
its next 10 ms block. The boxes follow the config, so undo, redo and loading a file move
them too.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from console.ui.config_controller import ConfigController

FIELDS = {
    "echo_cancellation": (
        "Echo cancellation",
        "Remove the agent's voice from the microphone, so speakers work without a headset "
        "(WebRTC AEC3). It costs CPU and adds capture latency: python -m bench.echo "
        "measures both on this machine (figures in the README, Performance)",
    ),
    "noise_suppression": (
        "Noise suppression",
        "Suppress steady background noise (fans, hum) on the microphone",
    ),
}


class AudioOptions(QWidget):
    """Two checkboxes bound to `audio.echo_cancellation` and `audio.noise_suppression`."""

    def __init__(self, controller: ConfigController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.boxes: dict[str, QCheckBox] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        for name, (label, tip) in FIELDS.items():
            box = QCheckBox(label)
            box.setToolTip(tip)
            box.setAccessibleName(label)
            box.toggled.connect(lambda on, name=name: self._toggled(name, on))
            layout.addWidget(box)
            self.boxes[name] = box
        self.sync()
        controller.changed.connect(lambda _version: self.sync())
        controller.refused.connect(lambda _result: self.sync())

    def sync(self) -> None:
        """Show what the config in force says (after an edit, undo, or a loaded file)."""
        audio = self.controller.config.audio
        for name, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(bool(getattr(audio, name)))
            box.blockSignals(False)

    def _toggled(self, name: str, on: bool) -> None:
        self.controller.edit({f"audio.{name}": on})
