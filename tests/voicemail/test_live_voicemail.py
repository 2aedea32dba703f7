"""Voicemail detection in real calls on the virtual devices: the console's own pump feeds
the detector, the engine acts on it, and the timeline and the recording show it."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from console.audio import answer_fixtures as af
from console.audio.inject import Injector
from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.live.call import LiveCall
from tests.conftest import ROOT, EventWaiter, on_virtual_devices

BLOCK_S = 0.01


def config(**voicemail) -> ConfigStore:
    return ConfigStore(
        parse_config(
            {
                "agent": {
                    "name": "Sam",
                    "greeting": "Hi, this is Sam from Acme Solar.",
                    "main_prompt": '1. Ask "Do you have a minute?"',
                    "turn_taking": {"response_delay_ms": 0, "drop_guard_ms": 200},
                },
                "voicemail": {"detect": True, **voicemail},
            }
        )
    )


@pytest.fixture
def injector(virtual_audio, espeak):
    inj = Injector(virtual_audio.caller_sink, 16000)
    inj.wait_steady()
    yield inj
    inj.close()


def run(virtual_audio, injector, tmp_path, store, fixture, timeout=40.0):
    events = EventWaiter()
    call = LiveCall(
        store, on_virtual_devices(virtual_audio, tmp_path, recognise=False), listeners=[events]
    )
    call.start()
    try:
        _, finished = injector.play(fixture.samples)
        first, _ = finished.result(timeout)
        events.wait(ev.LineDropped, timeout=timeout) if fixture.kind != "human" else None
        return call, events, first
    finally:
        if fixture.kind == "human":
            events.wait(ev.SpeechStarted, timeout=timeout)
        call.close()


def heard_at(call, injector, first_frame, sample) -> float:
    return call.clock.session_of_stream_time(injector.stream_time(first_frame + sample))


def test_hang_up_on_a_voicemail_drops_within_one_block_of_the_verdict(
    virtual_audio, injector, tmp_path
):
    fixture = af.voicemail(af.GREETINGS[0], beep_hz=850.0, gap_s=0.4, lead_s=0.3, tail_s=1.0)
    call, events, _ = run(virtual_audio, injector, tmp_path, config(on_machine="hang_up"), fixture)
    verdict, drop = events.wait(ev.AnsweredByVerdict), events.wait(ev.LineDropped)
    assert verdict.answered_by == "voicemail" and drop.reason == "voicemail"
    # The verdict's time is when the console knew (its audio is at `audio_t`, captured a
    # little earlier): the line drops at once, within one block.
    assert 0.0 <= drop.t - verdict.t <= BLOCK_S, (verdict.t, drop.t)
    assert verdict.audio_t is not None and verdict.audio_t <= verdict.t
    assert events.of(ev.SpeechStarted) == []  # not a word from the agent
    data, _rate = sf.read(str(call.session_dir / "recording.wav"), always_2d=True)
    assert np.abs(data[:, 1]).max() < 1e-3  # and nothing on the agent's channel


def test_a_message_starts_after_the_beep_and_plays_whole(virtual_audio, injector, tmp_path):
    fixture = af.voicemail(af.GREETINGS[1], beep_hz=1000.0, gap_s=0.5, lead_s=0.3, tail_s=0.2)
    store = config(on_machine="leave_message", message="Hi, it's {agent_name}. Call us back.")
    call, events, first = run(virtual_audio, injector, tmp_path, store, fixture)
    beep = events.wait(ev.BeepHeard)
    message = events.wait(ev.Goodbye)
    drop = events.wait(ev.LineDropped)
    beep_end = heard_at(call, injector, first, fixture.beep_end)
    assert 0.0 <= beep.heard_at - beep_end <= 0.2, (beep.heard_at, beep_end)  # within 200 ms
    assert message.source == "voicemail_message" and message.text == "Hi, it's Sam. Call us back."
    assert abs(beep.end - beep_end) <= 0.03  # two streams' clocks: a few ms apart
    assert message.start >= beep.heard_at >= beep.end and not message.cut_short
    assert drop.reason == "voicemail" and drop.t >= message.end
    held = events.wait(ev.OpeningHeld)
    assert held.released_by == "voicemail" and events.of(ev.AgentSpeech) == []


def test_a_person_saying_hello_is_not_a_machine(virtual_audio, injector, tmp_path):
    fixture = af.human(("Hello?",), lead_s=0.3, tail_s=1.5)
    _call, events, _ = run(virtual_audio, injector, tmp_path, config(), fixture)
    verdict = events.wait(ev.AnsweredByVerdict)
    opening = events.wait(ev.SpeechStarted)
    assert verdict.answered_by == "human" and opening.t >= verdict.t
    assert events.wait(ev.OpeningHeld).released_by == "human"
    assert not [d for d in events.of(ev.LineDropped) if d.reason == "voicemail"]


def test_an_audio_scenario_answered_by_a_voicemail_leaves_its_message(virtual_audio, tmp_path):
    """`run --audio` with an `answer:` step: the greeting and beep are played into the
    microphone, the console's detector decides, the message follows the beep."""
    from console.cli import main

    code = main(
        [
            "run",
            "--audio",
            "--script-transcript",
            "--caller-device",
            virtual_audio.caller_sink,
            "--input",
            virtual_audio.mic,
            "--output",
            virtual_audio.speaker,
            "--sessions",
            str(tmp_path),
            str(ROOT / "assets" / "scenarios" / "14-voicemail-leave-message.yaml"),
        ]
    )
    assert code == 0
