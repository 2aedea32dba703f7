"""Help > About, and the app's icons: the versions a bug report needs, in one place."""

from __future__ import annotations

import importlib.metadata

from PySide6.QtGui import QIcon

from console import __version__
from console.resources import asset


def icon(name: str) -> QIcon:
    """An icon from assets/icons (one set, in the timeline's colours); empty if missing."""
    path = asset("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


def about_text(model: str = "") -> str:
    from PySide6 import __version__ as pyside
    from PySide6.QtCore import qVersion

    def version(pkg: str) -> str:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return (
        f"End Call Console {__version__}\n\n"
        f"Qt {qVersion()} (PySide6 {pyside})\n"
        f"vosk {version('vosk')}; speech model: {model or 'none'}\n"
        f"pyttsx3 {version('pyttsx3')} (espeak-ng on Linux, SAPI5 on Windows, NSSpeech on "
        f"macOS)\nsounddevice {version('sounddevice')}"
    )
