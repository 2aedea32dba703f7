"""The main window's menu bar: every command with its shortcut, in one table.

The window offers the slots; this module only lays them out, so a newcomer finds every
keyboard shortcut of the app here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

Entry = tuple[str, Any, Callable[[], object]]  # text, shortcut (or None), slot


def build_menus(window: QMainWindow, menus: dict[str, list[Entry]]) -> None:
    for title, entries in menus.items():
        menu = window.menuBar().addMenu(title)
        for text, keys, slot in entries:
            action = QAction(text, window)
            if keys:
                action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            menu.addAction(action)


def window_menus(w: Any) -> dict[str, list[Entry]]:
    from console.ui.scenarios import open_scenarios_panel
    from console.ui.sip_dialog import call_over_sip

    keys = QKeySequence.StandardKey
    return {
        "&File": [
            ("&Open config…", keys.Open, w.open_config),
            ("&Save config as…", keys.SaveAs, w.save_config),
            ("&Import agent…", "Ctrl+I", w.import_agent),
            ("&Quit", keys.Quit, w.close),
        ],
        "&Call": [
            ("&Call", "Ctrl+Return", w.place_call),
            ("Call agent over &SIP…", "Ctrl+Shift+Return", lambda: call_over_sip(w)),
            ("&Hang up", "Ctrl+H", w.hang_up),
            ("&Mute", "Ctrl+M", w.mute_button.toggle),
            ("&Undo config edit", "Ctrl+Z", w.controller.undo),
            ("&Redo config edit", "Ctrl+Shift+Z", w.controller.redo),
        ],
        "&View": [
            ("&Larger text (presentation)", "Ctrl+=", lambda: w.zoom_text(1.25)),
            ("&Smaller text", "Ctrl+-", lambda: w.zoom_text(1 / 1.25)),
            ("&Normal text size", "Ctrl+0", lambda: w.zoom_text(0.0)),
            ("Go to the &timeline (Up/Down select, Return plays)", "Ctrl+T", w.timeline.setFocus),
            ("&Previous event", "Alt+Up", lambda: w.timeline.select_step(-1)),
            ("N&ext event", "Alt+Down", lambda: w.timeline.select_step(1)),
            ("&Play the recording from the selected event", "Ctrl+P", w.play_selected),
        ],
        "&Sessions": [
            ("&Browse sessions…", "Ctrl+B", lambda: w.sessions.browse()),
            ("Run &scenarios…", "Ctrl+R", lambda: open_scenarios_panel(w)),
            ("Sessions &folder…", None, w.sessions.choose_folder),
            ("&Export the last call…", "Ctrl+E", w.export_last_call),
        ],
        "&Help": [("&About", None, w.about)],
    }
