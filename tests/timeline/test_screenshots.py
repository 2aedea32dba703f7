"""The window during and after a real audio call, at a laptop's and a monitor's size.

The agent speaks through real audio on the virtual devices; the caller's voice is played
into the virtual microphone and their words are typed (the window's tests load no speech
model). The pictures land in test-artifacts/ (docs/ has copies for the README)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.audio.inject import Injector
from console.core import events as ev
from tests.ui.conftest import live_sound, screenshot
from tests.ui.test_main_window import events_of


def goodbye_bar(window):
    return next(i for i in window.timeline.model.items if isinstance(i.event, ev.Goodbye))


def choose(combo, spec: str) -> None:
    index = combo.findData(spec)
    if index < 0:
        combo.addItem(spec, spec)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
def test_window_during_and_after_an_audio_call(qtbot, window, store, virtual_audio, size):
    from console.speech.synth import Synthesizer

    # Edited as a tester does, through the window: the End Call form and its version
    # label show the config the call runs with.
    window.controller.edit(
        {
            "agent.greeting": "Hi Alex, this is Sam from Acme Solar, calling about your bill.",
            "end_call.goodbye_prompt": '"Thanks for your time, Alex. Have a great day!"',
        }
    )
    assert store.version == 2
    window.resize(*size)
    choose(window.devices.input_combo, virtual_audio.mic)
    choose(window.devices.output_combo, virtual_audio.speaker)
    injector = Injector(virtual_audio.caller_sink)
    synth = Synthesizer(16000)
    # The envelopes read from the recording once the call has closed (the live ones are
    # in the lanes already while the call is on; these replace them).
    recorded: list[dict] = []
    window.calls.waveforms.connect(recorded.append)
    try:
        injector.wait_steady()
        qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(events_of(window, ev.SpeechStarted)), timeout=15_000)
        # A second and a half into the greeting, its bar has grown (call time, not a sleep).
        qtbot.waitUntil(lambda: (window.calls.now() or 0.0) > 1.5, timeout=10_000)
        # ... and its sound is drawn in the Agent lane while it plays, not only after.
        qtbot.waitUntil(lambda: live_sound(window, "agent") > 0.05, timeout=5_000)
        assert window.call is not None
        window.timeline.fit()
        screenshot(window, f"window-during-call-{size[0]}x{size[1]}")
        qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=15_000)
        _started, finished = injector.play(synth.render_now("No thanks, not interested."))
        finished.result(15)
        qtbot.keyClicks(window.typed, "No thanks, not interested.")
        qtbot.keyClick(window.typed, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.call is None, timeout=30_000)
        qtbot.waitUntil(lambda: bool(recorded), timeout=10_000)
        drawn = window.timeline.waveforms
        assert drawn["agent"] is recorded[0]["agent"] and drawn["caller"] is recorded[0]["caller"]
        qtbot.waitUntil(lambda: goodbye_bar(window).style != "", timeout=5_000)
    finally:
        injector.close()
        synth.close()
    window.timeline.fit()
    screenshot(window, f"window-after-call-{size[0]}x{size[1]}")
    assert goodbye_bar(window).style == "audible", goodbye_bar(window).tooltip
