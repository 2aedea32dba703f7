"""The README's screenshots of the device pickers, the session browser and the Scenarios
panel, made from the real window on a real X server:

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python docs/screenshots.py [NAME...]

NAME is devices, browser or scenarios (default: all three). It starts its own PulseAudio
server with virtual devices (as the tests do), saves a few sessions of the example
scenarios (named, one marked as a bug), runs the example scenarios under the example
End Call variants in the Scenarios panel, and writes docs/screenshot-devices.png,
docs/screenshot-session-browser.png and docs/screenshot-scenarios.png.

The window during and after an audio call (docs/window-*-call-*.png) comes from a test
with real audio: `pytest tests/timeline/test_screenshots.py` writes them to
test-artifacts/.
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


def devices(app, sessions: Path, _audio) -> None:
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


def browser(app, sessions: Path, audio) -> None:
    """The marked session is an audio call on the virtual devices (the caller's lines
    played into the microphone), so the browser draws its recording's waveforms."""
    from console.scenario.audio_runner import AudioRunOptions, run_scenario_audio
    from console.scenario.model import load_scenario
    from console.scenario.runner import run_scenario
    from console.session.store import SessionStore
    from console.ui.sessions import SessionBrowser

    store = SessionStore(sessions)
    store.refresh()
    marked = None
    on_devices = AudioRunOptions(
        audio.mic, audio.speaker, audio.caller_sink, script_transcript=True, sessions_dir=sessions
    )
    for scenario_file, name, note in SESSIONS:
        path = ROOT / "assets" / "scenarios" / scenario_file
        scenario, config = load_scenario(path)
        if note:
            folder = run_scenario_audio(scenario, config, str(path), on_devices)[0].session_dir
        else:
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
    while {"caller", "agent"} - set(view.timeline.waveforms):  # read on a worker thread
        settle(app, 200)
    settle(app, 300)
    view.grab().save(str(ROOT / "docs" / "screenshot-session-browser.png"))
    view.close()


def scenarios(app, sessions: Path, _audio) -> None:
    """The example scenarios under the example variants, three runs each; the seed
    scenario with the action renamed is picked: its runs fail (said goodbye but never
    hung up), which is what the panel is for."""
    from console.ui.scenarios import ScenariosPanel

    panel = ScenariosPanel(sessions)
    panel.resize(1280, 860)
    panel.show()
    panel.set_folder(ROOT / "assets" / "scenarios")
    assert panel.set_variants(ROOT / "assets" / "variants" / "end-call.yaml")
    panel.repeat_spin.setValue(3)
    panel.jobs_spin.setValue(2)
    panel.run()
    while panel.worker.running or not panel.run_button.isEnabled():
        settle(app, 200)
    table = panel.cells_table
    row = next(
        r
        for r in range(table.rowCount())
        if table.item(r, 0).text().startswith('Seed: "no"')
        and table.item(r, 1).text() == "renamed action"
    )
    table.selectRow(row)
    table.scrollToItem(table.item(row, 0))
    panel.runs_table.selectRow(0)
    settle(app, 500)
    panel.grab().save(str(ROOT / "docs" / "screenshot-scenarios.png"))
    panel.close()


SHOTS = {
    "devices": ("screenshot-devices.png", devices),
    "browser": ("screenshot-session-browser.png", browser),
    "scenarios": ("screenshot-scenarios.png", scenarios),
}


def main(argv: list[str]) -> int:
    chosen = argv or list(SHOTS)
    unknown = [name for name in chosen if name not in SHOTS]
    if unknown:
        print(f"unknown screenshot {unknown[0]!r}: choose from {', '.join(SHOTS)}")
        return 2
    from PySide6.QtWidgets import QApplication

    from console.audio.virtual import VirtualAudioServer

    server = VirtualAudioServer()
    audio = server.start()
    extra = subprocess.run(
        ["pactl", "load-module", "module-null-sink", "sink_name=usb_headset",
         "sink_properties=device.description=USB-Headset"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    try:
        app = QApplication.instance() or QApplication([])
        app.setOrganizationName("endcall-console-screenshots")
        with tempfile.TemporaryDirectory() as tmp:
            for name in chosen:
                SHOTS[name][1](app, Path(tmp) / name / "sessions", audio)
    finally:
        subprocess.run(["pactl", "unload-module", extra], check=False)
        server.stop()
    print(json.dumps([str(ROOT / "docs" / SHOTS[name][0]) for name in chosen]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
