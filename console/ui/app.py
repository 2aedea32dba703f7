"""Start the desktop console."""

from __future__ import annotations

import os
import sys


def display_problem() -> str:
    """Why no window can be shown here, or "" if one can."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):
        return (
            "no display to show the window on (DISPLAY is not set). Run it in a desktop "
            "session, or headless with QT_QPA_PLATFORM=offscreen; the terminal call "
            "(`endcall-console call`) needs no display."
        )
    return ""


def main(argv: list[str] | None = None) -> int:
    problem = display_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        print(
            f"error: PySide6 is not installed ({exc}): pip install pyside6-essentials",
            file=sys.stderr,
        )
        return 2
    from console.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName("endcall-console")
    app.setApplicationName("End Call Console")
    window = MainWindow()
    window.show()
    window.offer_recovery()
    return app.exec()
