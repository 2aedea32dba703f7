"""The SIP parts that need no network: the far-end analysis on real speech, the
resampler, the two-channel recording, the trace parser and the timeline's rows."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from console.core import events as ev
from console.report.table import describe
from console.sip.analysis import VoiceTrack, cut_verdict, is_farewell
from console.sip.recording import LineRecorder
from console.sip.resample import StreamResampler, to_mono, to_pcm
from console.sip.trace import codec_of, parse_record
from tests.sip.conftest import GOODBYE, espeak

RATE = 16000


@pytest.fixture(scope="module")
def goodbye(tmp_path_factory) -> np.ndarray:
    """A spoken goodbye at 16 kHz, trimmed to its sound."""
    import soxr

    path = espeak(GOODBYE, tmp_path_factory.mktemp("speech") / "goodbye.wav")
    data, rate = sf.read(path, dtype="float32")
    data = soxr.resample(data, rate, RATE).astype(np.float32)
    loud = np.flatnonzero(np.abs(data) > 0.01)
    return data[loud[0] : loud[-1] + 1]


def feed(track: VoiceTrack, samples: np.ndarray, block: int = 320) -> None:
    for i in range(0, len(samples), block):  # as the line delivers it: 20 ms at a time
        track.feed(samples[i : i + block])


def test_a_goodbye_heard_whole_is_not_cut(goodbye):
    track = VoiceTrack(RATE)
    feed(track, np.zeros(RATE // 2, dtype=np.float32))
    feed(track, goodbye)
    feed(track, np.zeros(RATE // 2, dtype=np.float32))  # the agent waits 0.5 s, then BYE
    verdict = cut_verdict(track)
    assert not verdict.cut and "quiet at the end" in verdict.why
    first, last = track.all_stretches()[0], track.all_stretches()[-1]
    assert abs(first.start - 0.5) <= 0.02
    assert abs(last.end - (0.5 + len(goodbye) / RATE)) <= 0.02
    assert abs(track.quiet_for() - 0.5) <= 0.02


def test_a_goodbye_cut_half_a_second_early_is_cut(goodbye):
    track = VoiceTrack(RATE)
    feed(track, goodbye[: len(goodbye) - RATE // 2])  # the BYE with 0.5 s unsent
    verdict = cut_verdict(track)
    assert verdict.cut and "speech energy in the last 150 ms" in verdict.why


def test_words_running_to_the_end_are_a_cut_even_when_quiet(goodbye):
    track = VoiceTrack(RATE)
    feed(track, goodbye)
    feed(track, np.zeros(int(0.2 * RATE), dtype=np.float32))
    assert not cut_verdict(track).cut
    end = track.received_end
    assert cut_verdict(track, last_word_end=end - 0.02).cut  # vosk's last word ran into it


def test_filled_silence_is_never_the_agents_sound(goodbye):
    track = VoiceTrack(RATE)
    track.feed(goodbye, received=True)
    track.feed(np.ones(RATE // 4, dtype=np.float32) * 0.5, received=False)  # no RTP: filled
    assert track.received_end == len(goodbye) / RATE
    assert track.t == len(goodbye) / RATE + 0.25  # the clock ran on
    assert track.all_stretches()[-1].end <= track.received_end


def test_hiss_on_the_line_is_not_speech():
    rng = np.random.default_rng(7)
    hiss = (rng.standard_normal(3 * RATE) * 0.003).astype(np.float32)  # about -50 dBFS
    track = VoiceTrack(RATE)
    feed(track, hiss)
    assert track.all_stretches() == [] and not cut_verdict(track).cut


def test_utterances_end_after_the_gap(goodbye):
    ended = []
    track = VoiceTrack(RATE, utterance_gap_s=0.5, on_utterance=ended.append)
    feed(track, goodbye)
    feed(track, np.zeros(int(0.4 * RATE), dtype=np.float32))
    assert ended == []
    feed(track, np.zeros(int(0.2 * RATE), dtype=np.float32))
    assert len(ended) == 1 and abs(ended[0].end - len(goodbye) / RATE) <= 0.02


@pytest.mark.parametrize(
    ("text", "farewell"),
    [
        ("Thanks for calling, goodbye!", True),
        ("Thank you for your time.", True),
        ("Have a great day.", True),
        ("Let me check that for you.", False),
        ("I never said goodbye", False),
        ("", False),
    ],
)
def test_farewells(text, farewell):
    assert is_farewell(text) is farewell


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (48000, 16000), (16000, 8000)])
def test_the_resampler_keeps_the_clock(src, dst):
    """Every block gives its exact share of output at once (no bursts), and a tone keeps
    its frequency."""
    resampler = StreamResampler(src, dst)
    t = np.arange(src) / src
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    block = src // 50
    sizes = [len(resampler.process(tone[i : i + block])) for i in range(0, src, block)]
    assert sizes == [dst // 50] * 50
    out = np.concatenate(
        [StreamResampler(src, dst).process(tone[i : i + block]) for i in range(0, src, block)]
    )
    spectrum = np.abs(np.fft.rfft(out[dst // 10 :]))
    peak = np.argmax(spectrum) * dst / len(out[dst // 10 :])
    assert abs(peak - 440) < 3


def test_pcm_conversions():
    stereo = np.array([1000, 3000, -2000, -4000], dtype="<i2").tobytes()
    assert np.allclose(to_mono(stereo, 2), [2000 / 32768, -3000 / 32768])
    assert len(to_pcm(np.zeros(10, dtype=np.float32), 2)) == 40


def test_the_recording_places_the_caller_ahead_of_the_agent(tmp_path):
    recorder = LineRecorder(tmp_path / "r.wav", RATE)
    recorder.put_caller(100, np.full(50, 0.5, dtype=np.float32))
    recorder.write_agent(np.full(120, 0.25, dtype=np.float32))
    recorder.write_agent(np.full(80, 0.25, dtype=np.float32))
    recorder.put_caller(150, np.full(20, 0.5, dtype=np.float32))  # partly late
    recorder.end_at(250)
    recorder.write_agent(np.full(100, 0.25, dtype=np.float32))
    recorder.close()
    data, rate = sf.read(tmp_path / "r.wav", dtype="float32")
    assert data.shape == (250, 2) and rate == RATE  # nothing after the drop
    caller = np.flatnonzero(data[:, 0] > 0.4)
    assert (caller[0], caller[-1]) == (100, 149)
    assert recorder.late_caller_samples == 20


def test_the_trace_parser_reads_requests_and_responses():
    invite = parse_record(
        "TX UDP 127.0.0.1:5062 -> 203.0.113.5:5060\r\n"
        "INVITE sip:agent@203.0.113.5 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062\r\n"
        "Call-ID: abc123\r\nCSeq: 1 INVITE\r\nAuthorization: Digest response=xyz\r\n\r\nv=0"
    )
    assert invite is not None
    assert (invite.direction, invite.label, invite.call_id) == ("sent", "INVITE", "abc123")
    ok = parse_record("RX UDP 203.0.113.5:5060 -> 127.0.0.1:5062\nSIP/2.0 200 OK\nCSeq: 2 BYE\n")
    assert ok is not None and (ok.status, ok.method, ok.label) == (200, "BYE", "200 OK (BYE)")
    assert parse_record("something else entirely") is None
    assert codec_of("audio_recv: Set audio decoder: PCMU 8000Hz 1ch") == (
        "received",
        "PCMU 8000Hz 1ch",
    )


def test_timeline_rows():
    row = describe(ev.SipEvent(t=1.0, config_version=1, message="BYE", direction="received"))
    assert row == ("  1.00", "sip", "received BYE")
    verdict = ev.FarEndVerdict(
        t=9.0,
        config_version=1,
        agent_hung_up=True,
        bye_t=9.0,
        last_utterance="Thanks, goodbye",
        gap_s=0.05,
        cut=True,
        cut_why="speech energy in the last 150 ms",
    )
    _when, lane, text = describe(verdict)
    assert lane == "verdict" and "0.05 s after its last sound" in text
    assert "CUT OFF by its own BYE: speech energy" in text and '"Thanks, goodbye"' in text
    never = ev.FarEndVerdict(
        t=9.0, config_version=1, agent_hung_up=False, never_hung_up=True, waited_s=5.0
    )
    assert "said goodbye but never hung up (5 s after it)" in describe(never)[2]
    round_trip = ev.event_from_dict(verdict.to_dict())
    assert round_trip == verdict


def test_a_sip_call_refuses_edits_and_mutes_the_microphone():
    from console.sip.account import SipAccount
    from console.sip.call import REMOTE_NOT_EDITABLE, SipCall

    call = SipCall(SipAccount.from_input("sip:agent@127.0.0.1:5999"))
    result = call.edit({"end_call.skip_goodbye": True}).result(1)
    assert not result.accepted and str(result.problems[0]) == REMOTE_NOT_EDITABLE
    assert not call.replace(call.store.current).result(1).accepted
    assert call.editable is False

    fed = []

    class Line:  # only what the microphone path touches
        def feed_live(self, samples):
            fed.append(samples)

    call.line = Line()  # type: ignore[assignment]
    call.microphone(np.ones(160, dtype=np.float32))
    call.muted = True
    call.microphone(np.ones(160, dtype=np.float32))
    assert len(fed) == 1 and call.muted


def test_the_callers_recogniser_hears_the_microphone_on_the_session_clock():
    """Sample i fed to the caller's recogniser is session sample i: silence where nothing
    went out (muted, or before the first word) and up to the line's position, so a pause
    ends a turn; audio written ahead of the line lands where it goes out."""
    from types import SimpleNamespace

    from console.sip.account import SipAccount
    from console.sip.call import SipCall

    call = SipCall(SipAccount.from_input("sip:agent@127.0.0.1:5999"))
    fed: list[np.ndarray] = []
    call.caller_recognizer = SimpleNamespace(feed=fed.append)
    call.line = SimpleNamespace(position=800)  # type: ignore[assignment]
    call.agent_audio(np.zeros(800, np.float32), True)  # the line at 800: silence so far
    voice = np.full(320, 0.5, np.float32)
    call.caller_audio(1600, voice, voice)  # written ahead: it goes out at 1600
    call.caller_audio(1760, voice, voice)  # overlaps the last by half: only the new half
    call.line.position = 4000  # muted: nothing more goes out, the clock runs on
    call.agent_audio(np.zeros(2000, np.float32), True)
    heard = np.concatenate(fed)
    assert len(heard) == 4000
    assert not heard[:1600].any() and (heard[1600:2080] == 0.5).all()
    assert not heard[2080:].any()


def test_a_typed_line_goes_out_over_the_live_microphone():
    """With the microphone on (the default on a terminal call), a typed line is mixed
    into what goes out, not held back until the microphone stops (it never does)."""
    from console.sip.account import SipAccount
    from console.sip.line import SipLine

    line = SipLine(SipAccount.from_input("sip:agent@127.0.0.1:5999"), None)  # type: ignore[arg-type]
    line.state = "connected"
    line.feed_live(np.full(160, 0.25, np.float32))
    line.feed_live(np.full(160, 0.25, np.float32))
    spans = []
    line.send(np.full(400, 0.5, np.float32), lambda a, b: spans.append((a, b)))
    block, mic, finished = line._take_caller(320, 1000)
    assert block is not None and len(block) == len(mic) == 320
    assert (block == 0.75).all() and (mic == 0.25).all()  # both, and the microphone apart
    block, mic, finished = line._take_caller(320, 1320)  # the microphone has gone quiet
    assert block is not None and len(block) == 80 and (block == 0.5).all() and not mic.any()
    assert [(i.first, i.end) for i in finished] == [(1000, 1400)]


def test_a_recorded_sip_call_replays_as_a_sip_scenario():
    from console.session.sip_replay import is_sip_session, sip_session_to_scenario
    from console.sip.scenario import SipScenario

    def speech(cls, text, start, end, **kw):
        return cls(t=start, config_version=1, text=text, start=start, end=end, **kw)

    events = [
        speech(ev.AgentSpeech, "Hello, how can I help?", 0.3, 2.0),
        speech(ev.CallerSpeech, "Check my order.", 2.9, 4.0, turn=1),
        speech(ev.AgentSpeech, "Sure, it ships today.", 4.6, 7.0),
        speech(ev.CallerSpeech, "Wait", 5.5, 6.0, turn=2),  # over the agent
        speech(ev.AgentSpeech, "Goodbye.", 7.5, 8.5),
        ev.LineDropped(t=8.55, config_version=1, reason=ev.AGENT_HUNG_UP),
        ev.FarEndVerdict(t=8.55, config_version=1, agent_hung_up=True, caller_turn=2, cut=True),
    ]
    assert is_sip_session({"agent_backend": "remote SIP"}, []) and is_sip_session({}, events)
    data = sip_session_to_scenario("x", events)
    scenario = SipScenario.model_validate(data)
    assert [s.say for s in scenario.caller] == ["Check my order.", "Wait"]
    assert scenario.caller[0].pause == 0.9 and scenario.caller[1].barge_in_after == 0.9
    assert scenario.expect.agent_hangs_up and scenario.expect.hangup_turn == 2
    assert scenario.expect.goodbye_cut is True
    assert scenario.expect.drop_reason == "agent_hung_up"
