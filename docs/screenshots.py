"""The README's screenshots of the device pickers and the session browser, made from the
real window on a real X server:

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python docs/screenshots.py

It starts its own PulseAudio server with virtual devices (as the tests do), saves a few
sessions of the example scenarios (named, one marked as a bug), and writes
docs/screenshot-devices.png and docs/screenshot-session-browser.png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="screenshots-config-")

SESSIONS = (  # scenario, name given in the window, bug note ("" = not marked)
    ("01-seed-no-to-ready.yaml", "no to ready, v1 description", ""),
    ("02-seed-yes-goes-on.yaml", "yes to ready goes on", ""),
    ("07-renamed-action.yaml", "renamed action (hang_up)", "said goodbye but never hung up"),
    ("09-edit-skip-goodbye-mid-call.yaml", "skip goodbye flipped mid-call", ""),
    ("10-silence-timeout.yaml", "caller silent 20 s", ""),
    ("04-not-interested.yaml", "not interested", ""),
)


def settle(app, ms: int = 300) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def devices(app, sessions: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from console.ui.main_window import MainWindow

    window = MainWindow(sessions_dir=sessions, load_model=False)
    window.resize(1280, 800)
    window.show()
    picker = window.devices
    picker.refresh(rescan=True)
    picker.input_combo.setCurrentIndex(picker.input_combo.findData("pulse:virtual_mic"))
    picker.output_combo.setCurrentIndex(picker.output_combo.findData("pulse:agent_out"))
    picker.set_level(0.12)
    settle(app)
    picker.input_combo.showPopup()
    settle(app, 500)
    popup = picker.input_combo.view().window()
    top_left = window.mapToGlobal(window.rect().topLeft())
    bottom = max(popup.geometry().bottom(), picker.mapToGlobal(picker.rect().bottomLeft()).y())
    shot = QApplication.primaryScreen().grabWindow(
        0, top_left.x(), top_left.y(), window.width(), bottom - top_left.y() + 16
    )
    shot.save(str(ROOT / "docs" / "screenshot-devices.png"))
    picker.input_combo.hidePopup()
    window.close()


def browser(app, sessions: Path) -> None:
    from console.scenario.model import load_scenario
    from console.scenario.runner import run_scenario
    from console.session.store import SessionStore
    from console.ui.sessions import SessionBrowser

    store = SessionStore(sessions)
    store.refresh()
    marked = None
    for scenario_file, name, note in SESSIONS:
        scenario, config = load_scenario(ROOT / "assets" / "scenarios" / scenario_file)
        folder = run_scenario(scenario, config, sessions_dir=sessions).session_dir
        store.rename(folder, name)
        if note:
            store.set_bug(folder, True, note)
            marked = folder
    view = SessionBrowser(sessions)
    view.resize(1200, 800)
    view.show()
    settle(app, 800)
    view.select(marked)
    settle(app, 500)
    view.grab().save(str(ROOT / "docs" / "screenshot-session-browser.png"))
    view.close()


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from console.audio.virtual import VirtualAudioServer

    server = VirtualAudioServer()
    server.start()
    extra = subprocess.run(
        ["pactl", "load-module", "module-null-sink", "sink_name=usb_headset",
         "sink_properties=device.description=USB-Headset"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    try:
        app = QApplication.instance() or QApplication([])
        app.setOrganizationName("endcall-console-screenshots")
        with tempfile.TemporaryDirectory() as tmp:
            sessions = Path(tmp) / "sessions"
            devices(app, sessions)
            browser(app, sessions)
    finally:
        subprocess.run(["pactl", "unload-module", extra], check=False)
        server.stop()
    print(json.dumps([str(ROOT / "docs" / n) for n in (
        "screenshot-devices.png", "screenshot-session-browser.png")]))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
