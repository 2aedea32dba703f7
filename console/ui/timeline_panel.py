"""The timeline with its controls and the details of the selected event."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.ui.timeline import Item, TimelineView

HINT = "Click an event to see it (and hear the recording from there after the call)."


class TimelinePanel(QWidget):
    def __init__(self, view: TimelineView | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view or TimelineView()
        buttons = QHBoxLayout()
        for text, tip, slot in (
            ("Fit call", "Show the whole call (F)", self.view.fit),
            ("Follow live", "Follow the live edge (End)", self.view.follow_live),
            ("+", "Zoom in (+)", lambda: self.view.zoom(1.5)),
            ("−", "Zoom out (-)", lambda: self.view.zoom(1 / 1.5)),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.details = QLabel(HINT)
        self.details.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.details)
        self.view.itemClicked.connect(self.show_item)

    def show_item(self, item: Item) -> None:
        self.details.setText(item.tooltip.replace("\n", " — "))

    def clear(self) -> None:
        self.view.clear()
        self.details.setText(HINT)
