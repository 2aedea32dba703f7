"""Voicemail detection in real calls on the virtual devices: the console's own pump feeds
the detector, the engine acts on it, and the timeline and the recording show it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pytest
import soundfile as sf

from console.audio import answer_fixtures as af
from console.audio.inject import Injector
from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.live.call import LiveCall
from tests.conftest import ROOT, EventWaiter, on_virtual_devices
from tests.speaker_capture import SpeakerCapture

BLOCK_S = 0.01


def config(
    greeting: str = "Hi, this is Sam from Acme Solar.", audio: dict | None = None, **voicemail
) -> ConfigStore:
    return ConfigStore(
        parse_config(
            {
                "audio": audio or {},
                "agent": {
                    "name": "Sam",
                    "greeting": greeting,
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


@dataclass
class Run:
    call: LiveCall
    events: EventWaiter
    first: int  # the injector's output frame of the fixture's first sample
    capture_latency_s: float  # the input stream's latency plus what processing adds
    output_latency_s: float


def run(virtual_audio, injector, tmp_path, store, fixture, timeout=40.0) -> Run:
    events = EventWaiter()
    call = LiveCall(
        store, on_virtual_devices(virtual_audio, tmp_path, recognise=False), listeners=[events]
    )
    call.start()
    try:
        _, finished = injector.play(fixture.samples)
        first, _ = finished.result(timeout)
        events.wait(ev.LineDropped, timeout=timeout) if fixture.kind != "human" else None
        assert call.io is not None and call.pump is not None
        in_latency, out_latency = call.io.latency
        processor = call.pump.processor
        added = processor.added_latency_s(95) if processor is not None else 0.0
        return Run(call, events, first, in_latency + added, out_latency)
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
    got = run(virtual_audio, injector, tmp_path, config(on_machine="hang_up"), fixture)
    verdict, drop = got.events.wait(ev.AnsweredByVerdict), got.events.wait(ev.LineDropped)
    assert verdict.answered_by == "voicemail" and drop.reason == "voicemail"
    # `audio_t` is the end of the audio that decided it: that audio reaches the detector
    # a capture latency later (the input stream's, plus what echo cancellation holds
    # back), and the line drops within one block of that.
    assert verdict.audio_t is not None
    lag = drop.t - verdict.audio_t
    assert 0.0 <= lag <= got.capture_latency_s + BLOCK_S, (lag, got.capture_latency_s)
    assert got.events.of(ev.SpeechStarted) == []  # the opening was held: not a word
    data, _rate = sf.read(str(got.call.session_dir / "recording.wav"), always_2d=True)
    assert np.abs(data[:, 1]).max() < 1e-3  # and nothing on the agent's channel


def test_hang_up_cuts_an_opening_that_is_playing_within_one_block_of_the_verdict(
    virtual_audio, injector, tmp_path
):
    """Not held (hold_opening_max_s: 0): the opening plays over the greeting, and the
    verdict cuts it. The speaker's own output (the sink's monitor, which goes on after
    the recording ends at the drop) falls silent within the output latency plus a block.

    Echo cancellation is off here: in the call's first seconds, while the agent talks,
    it suppressed the greeting and broke up the beep even with no echo path at all (seen
    on these devices: a human verdict). That is a detection problem of its own; this
    test is about the drop."""
    greeting = (
        "Hi, this is Sam from Acme Solar, calling about your energy bill and the ways we "
        "can lower it this winter, with panels on your roof and a battery in your garage."
    )
    store = config(
        greeting, {"echo_cancellation": False}, on_machine="hang_up", hold_opening_max_s=0
    )
    fixture = af.voicemail(af.GREETINGS[0], beep_hz=850.0, gap_s=0.4, lead_s=0.3, tail_s=1.0)
    capture = SpeakerCapture(virtual_audio.speaker_monitor)
    try:
        got = run(virtual_audio, injector, tmp_path, store, fixture)
        time.sleep(0.5)  # the monitor hears whatever the speaker still plays
    finally:
        capture.close()
    verdict, drop = got.events.wait(ev.AnsweredByVerdict), got.events.wait(ev.LineDropped)
    assert verdict.answered_by == "voicemail" and drop.reason == "voicemail"
    assert verdict.audio_t is not None
    assert drop.t - verdict.audio_t <= got.capture_latency_s + BLOCK_S
    (opening,) = got.events.of(ev.AgentSpeech)
    assert opening.cut_short and opening.end == drop.t
    heard = capture.loud_times(got.call.clock)
    assert len(heard) and heard.min() < verdict.t - 0.5  # the opening was playing...
    # ...and stopped: the cut reaches the device at its next callback, what it already
    # had plays out (its output latency), and the monitor's own clock adds up to a block.
    late = heard[heard > verdict.t + got.output_latency_s + 2 * BLOCK_S]
    assert late.size == 0, f"agent audio {late.max() - verdict.t:.3f} s after the verdict"


def test_a_message_starts_after_the_beep_and_plays_whole(virtual_audio, injector, tmp_path):
    fixture = af.voicemail(af.GREETINGS[1], beep_hz=1000.0, gap_s=0.5, lead_s=0.3, tail_s=0.2)
    store = config(on_machine="leave_message", message="Hi, it's {agent_name}. Call us back.")
    got = run(virtual_audio, injector, tmp_path, store, fixture)
    call, events, first = got.call, got.events, got.first
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


def test_with_no_beep_the_message_waits_until_the_greeting_has_ended(
    virtual_audio, injector, tmp_path
):
    """A long greeting with no beep, and no wait for one (beep_max_wait_s: 0): the
    greeting's shape decides "machine" three seconds in, while it still speaks; the
    message starts only once it has been quiet for human_silence_s (1 s)."""
    fixture = af.voicemail(af.GREETINGS[4], beep_hz=None, lead_s=0.3, tail_s=4.0)
    store = config(on_machine="leave_message", message="Please call us back.", beep_max_wait_s=0)
    got = run(virtual_audio, injector, tmp_path, store, fixture)
    verdict, message = got.events.wait(ev.AnsweredByVerdict), got.events.wait(ev.Goodbye)
    assert verdict.answered_by == "voicemail" and verdict.decided_by == "greeting_shape"
    assert message.source == "voicemail_message" and not message.cut_short
    data, rate = sf.read(str(got.call.session_dir / "recording.wav"), always_2d=True)
    agent_from = np.flatnonzero(np.abs(data[:, 1]) > 0.01)[0] / rate
    caller_loud = np.flatnonzero(np.abs(data[:, 0]) > 0.01) / rate
    # On the recording (one clock for both channels): not a sample of the message over
    # the greeting, and it starts about a second after the greeting's last sound (plus
    # the capture latency, rendering the message and the output latency).
    over = caller_loud[caller_loud > agent_from]
    assert not len(over), f"the message started at {agent_from:.2f} s, over the greeting"
    greeting_end = caller_loud.max()
    assert verdict.t < greeting_end - 3.0  # decided long before the greeting ended
    assert 0.8 <= agent_from - greeting_end <= 1.5, (greeting_end, agent_from)


def test_a_person_saying_hello_is_not_a_machine(virtual_audio, injector, tmp_path):
    fixture = af.human(("Hello?",), lead_s=0.3, tail_s=1.5)
    events = run(virtual_audio, injector, tmp_path, config(), fixture).events
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
