"""Devices by name: the sound server's sources and sinks in the window's pickers and in
`endcall-console devices`, a Refresh that finds a device added since, and a labelled
input level meter. On the test session's own PulseAudio server (real devices)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from console.ui.devices import TYPED_ONLY, DevicePicker

ROOT = Path(__file__).resolve().parents[2]


def entries(combo) -> dict[str, str | None]:
    return {combo.itemText(i): combo.itemData(i) for i in range(combo.count())}


@pytest.fixture
def extra_sink(virtual_audio):
    """A sink plugged in while the window is open (a headset, in real life)."""
    done = subprocess.run(
        [
            "pactl",
            "load-module",
            "module-null-sink",
            "sink_name=usb_headset",
            "sink_properties=device.description=USB-Headset",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    yield "usb_headset"
    subprocess.run(["pactl", "unload-module", done.stdout.strip()], check=False)


def test_pickers_list_sound_server_devices_by_name_and_refresh_finds_new_ones(
    qtbot, virtual_audio, request
):
    picker = DevicePicker()
    qtbot.addWidget(picker)
    picker.refresh(rescan=True)
    inputs, outputs = entries(picker.input_combo), entries(picker.output_combo)
    assert "pulse:virtual_mic" in inputs.values(), inputs
    assert {"pulse:agent_out", "pulse:caller_in"} <= set(outputs.values()), outputs
    # A sink's monitor is what a speaker plays: never offered as a microphone.
    assert not any(str(v).endswith(".monitor") for v in inputs.values())
    assert TYPED_ONLY in inputs
    # Two virtual sinks share a description ("Null Output"): the name tells them apart.
    assert len(set(outputs)) == picker.output_combo.count()
    assert any(t.endswith("(pulse:agent_out)") for t in outputs), outputs
    picker.input_combo.setCurrentIndex(picker.input_combo.findData("pulse:virtual_mic"))
    picker.output_combo.setCurrentIndex(picker.output_combo.findData("pulse:agent_out"))
    assert picker.input_spec() == "pulse:virtual_mic" and not picker.typed_only
    assert picker.output_spec() == "pulse:agent_out"

    sink = request.getfixturevalue("extra_sink")
    assert f"pulse:{sink}" not in entries(picker.output_combo).values()
    qtbot.mouseClick(picker.refresh_button, Qt.MouseButton.LeftButton)
    outputs = entries(picker.output_combo)
    assert outputs.get(f"USB-Headset (pulse:{sink})") == f"pulse:{sink}", outputs
    # What was chosen stays chosen across a refresh.
    assert picker.input_spec() == "pulse:virtual_mic"
    assert picker.output_spec() == "pulse:agent_out"


def test_the_level_meter_is_labelled_and_moves(qtbot):
    picker = DevicePicker()
    qtbot.addWidget(picker)
    labels = {w.text(): w for w in picker.findChildren(QLabel)}
    assert "Level:" in labels and labels["Level:"].buddy() is picker.level
    assert picker.level.accessibleName() == "Microphone level"
    picker.set_level(0.1)
    assert picker.level.value() == 40
    picker.set_calling(False)
    assert picker.level.value() == 0


def test_devices_command_lists_sound_server_devices_to_use_as_pulse_names(virtual_audio):
    done = subprocess.run(
        [sys.executable, "-m", "console", "devices"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "sound server (PulseAudio/PipeWire): --input/--output pulse:NAME" in out
    rows = {r[1]: r[0] for r in (line.split() for line in out.splitlines()) if len(r) > 1}
    assert rows["pulse:virtual_mic"] == "in" and rows["pulse:agent_out"] == "out", out
    assert "pulse:agent_out.monitor" not in out


def test_a_long_device_name_keeps_its_pulse_name_in_sight(qtbot):
    """The closed picker cuts a long name in the middle, so `(pulse:NAME)` stays in
    sight, and the pickers take the room the toolbar has (the 1280 px screenshot read
    "Remapped Monitor of Null Output (pulse:virt")."""
    picker = DevicePicker()
    qtbot.addWidget(picker)
    name = "Remapped Monitor of Null Output (pulse:virtual_mic)"
    combo = picker.input_combo
    combo.addItem(name, "pulse:virtual_mic")
    combo.setCurrentIndex(combo.count() - 1)
    metrics = combo.fontMetrics()
    shown = combo.shown_text(metrics.horizontalAdvance("Remapped Monitor (pulse:virtual_mic)"))
    assert shown.startswith("Remapped") and "…" in shown and shown.endswith("(pulse:virtual_mic)")
    assert combo.shown_text(metrics.horizontalAdvance(name) + 4) == name
    picker.resize(1600, 40)
    picker.show()
    qtbot.waitExposed(picker)
    assert combo.width() > metrics.horizontalAdvance(name) + 30  # whole, with its arrow
