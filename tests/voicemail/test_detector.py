"""The answered-by detector on generated answers, fed block by block as the pump would."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from console.audio import answer_fixtures as af
from console.audio.amd import (
    HUMAN,
    IVR,
    UNCERTAIN,
    VOICEMAIL,
    AnsweredBy,
    AnsweredByDetector,
    Beep,
    DetectorSettings,
)
from console.core.config import VoicemailSettings
from tests.voicemail.helpers import run

RATE = 16000
WITHIN_S = 0.2  # the bound: the beep is known within 200 ms of its end

pytestmark = pytest.mark.usefixtures("espeak")


def verdicts(out: list) -> list[AnsweredBy]:
    return [x for x in out if isinstance(x, AnsweredBy)]


@pytest.mark.parametrize(
    "greeting, hz, noise, band",
    [
        (af.GREETINGS[0], 1000.0, None, False),  # short: "Sam. Leave a message."
        (af.GREETINGS[1], 440.0, af.Noise("white", 15), True),
        (af.GREETINGS[2], 850.0, af.Noise("pink", 12), False),
        (af.GREETINGS[3], 1400.0, None, True),
        (af.GREETINGS[4], 2000.0, af.Noise("hum", 15), False),  # long: about 11 s
        (af.GREETINGS[8], 950.0, af.Noise("white", 10), True),
    ],
    ids=[
        "short-1000",
        "medium-440-white",
        "medium-850-pink",
        "long-1400-band",
        "long-2000-hum",
        "short-950-white10",
    ],
)
def test_a_beep_at_a_known_time_is_detected_within_200_ms_of_its_end(greeting, hz, noise, band):
    fixture = af.voicemail(greeting, beep_hz=hz, gap_s=0.5, beep_s=0.45, noise=noise, band=band)
    detector, out = run(fixture)
    (beep,) = [x for x in out if isinstance(x, Beep)]
    assert fixture.beep_end <= beep.at <= fixture.beep_end + WITHIN_S * RATE
    assert abs(beep.start - fixture.beep_start) <= 0.01 * RATE
    assert abs(beep.end - fixture.beep_end) <= 0.01 * RATE
    (verdict,) = verdicts(out)
    assert verdict.answered_by == VOICEMAIL and verdict.at <= beep.at
    assert detector.verdict is verdict


def test_a_short_greeting_is_decided_by_its_beep():
    """Too short for the shape, no words: the beep decides, as it starts."""
    fixture = af.voicemail(af.GREETINGS[0], beep_hz=1000.0, gap_s=0.4, beep_s=0.6)
    _, out = run(fixture)
    (verdict,) = verdicts(out)
    assert verdict.decided_by == "beep" and verdict.confidence >= 0.9
    assert verdict.beep_start is not None
    assert abs(verdict.beep_start - fixture.beep_start) <= 0.01 * RATE
    assert fixture.beep_start < verdict.at < fixture.beep_end


@pytest.mark.parametrize("voice", af.VOICES)
@pytest.mark.parametrize(
    "noise, band",
    [(None, False), (None, True), (af.Noise("white", 10), True), (af.Noise("hum", 12), False)],
    ids=["clean", "phone", "white10-phone", "hum12"],
)
def test_hello_is_never_called_a_machine(voice, noise, band):
    for lines in (("Hello?",), ("Hello?", "Hello?")):
        for words in (False, True):
            fixture = af.human(lines, voice=voice, noise=noise, band=band, seed=len(voice))
            _, out = run(fixture, words=words)
            (verdict,) = verdicts(out)
            assert verdict.answered_by == HUMAN, (lines, words, str(verdict))
            assert not [x for x in out if isinstance(x, Beep)]


@pytest.mark.parametrize("lines", [("Hello, this is Sam speaking.",), ("Yeah?",), ("Hi.",)])
def test_people_answering_are_people(lines):
    fixture = af.human(lines)
    _, out = run(fixture, words=True)
    (verdict,) = verdicts(out)
    assert verdict.answered_by == HUMAN and verdict.decided_by == "greeting_shape"
    # Decided after the greeting's last word, once the silence after it is long enough.
    last_word = fixture.speech[-1][1]
    assert verdict.at >= last_word + 1.0 * RATE
    assert verdict.at <= last_word + 1.0 * RATE + 0.05 * RATE


def test_pink_noise_in_the_silence_does_not_restart_the_wait():
    """Pink noise's 10 ms level jumps threefold; a single loud hop after "hello?" must not
    count as more speech and push the verdict back."""
    for seed in range(8):
        fixture = af.human(
            "Hello, who is this?", voice="en-gb-x-rp+f4", noise=af.Noise("pink", 15), seed=seed
        )
        _, out = run(fixture)
        (verdict,) = verdicts(out)
        last_word = fixture.speech[-1][1]
        assert verdict.answered_by == HUMAN
        assert verdict.at <= last_word + 1.05 * RATE, (seed, str(verdict))


@pytest.mark.parametrize("menu", af.MENUS, ids=lambda m: m[:30])
@pytest.mark.parametrize("voice", ["en-us", "en-gb+m3"])
def test_ivr_menus_are_ivr(menu, voice):
    fixture = af.ivr(menu, voice=voice)
    _, out = run(fixture, words=True)
    (verdict,) = verdicts(out)
    assert verdict.answered_by == IVR, str(verdict)
    assert not [x for x in out if isinstance(x, Beep)]


def test_without_words_a_long_greeting_is_a_recording_by_its_shape():
    fixture = af.voicemail(af.GREETINGS[4], beep_hz=None)
    _, out = run(fixture)
    (verdict,) = verdicts(out)
    assert verdict.answered_by == VOICEMAIL and verdict.decided_by == "greeting_shape"
    onset = fixture.speech[0][0]
    # Three seconds of speech from its first sound (plus the first hop's quantum).
    assert abs(verdict.at - (onset + 3.0 * RATE)) <= 0.03 * RATE


def test_words_decide_before_the_shape_can():
    """A short greeting with no beep: 'leave a message' decides when the words arrive."""
    fixture = af.voicemail("Sam. Leave a message.", beep_hz=None, tail_s=3.0)
    _, out = run(fixture, words=True)
    (verdict,) = verdicts(out)
    assert verdict.decided_by == "words" and verdict.answered_by == VOICEMAIL
    assert "leave a message" in verdict.cues
    final = next(w for w in fixture.words if w.final)
    assert verdict.at <= final.at + 160


def test_the_shape_thresholds_come_from_the_config():
    """`machine_speech_s` is the line between a person's greeting and a recording."""
    fixture = af.human("Hello, this is Sam speaking.")
    _, out = run(fixture)
    assert verdicts(out)[0].answered_by == HUMAN
    strict = DetectorSettings.from_config(VoicemailSettings(machine_speech_s=1.0))
    _, out = run(fixture, settings=strict)
    assert verdicts(out)[0].answered_by == VOICEMAIL
    patient = DetectorSettings.from_config(VoicemailSettings(human_silence_s=2.5))
    _, out = run(af.human(("Hello?", "Hello?"), between_s=2.0), settings=patient)
    (verdict,) = verdicts(out)
    assert verdict.answered_by == HUMAN and "2.5 s of silence" in verdict.reason


@pytest.mark.parametrize("block", [160, 320, 441, 1024])
def test_any_block_size_gives_the_same_answer_to_the_sample(block):
    fixture = af.voicemail(af.GREETINGS[1], beep_hz=1000.0)
    _, reference = run(fixture, block=160)
    _, out = run(fixture, block=block)
    assert out == reference


def test_words_posted_from_another_thread_are_taken_at_the_next_block():
    fixture = af.voicemail("Sam. Leave a message.", beep_hz=None, tail_s=1.0)
    detector = AnsweredByDetector()
    blocks = fixture.blocks()
    for b in blocks[:100]:
        assert detector.feed(b) == []
    poster = threading.Thread(target=detector.post_words, args=("leave a message", True))
    poster.start()
    poster.join()
    (verdict,) = detector.feed(blocks[100])
    assert verdict.decided_by == "words" and verdict.at == 101 * 160


def test_nobody_speaking_is_uncertain():
    silence = af.noise_only(7.0, af.Noise("white", 40), seed=1)
    detector = AnsweredByDetector()
    out = detector.feed(silence)
    (verdict,) = verdicts(out)
    assert verdict.answered_by == UNCERTAIN and verdict.decided_by == "initial_silence"
    assert verdict.at == 5 * RATE and verdict.confidence == 0.0


def test_a_call_that_ends_first_is_uncertain_and_there_is_one_verdict():
    fixture = af.voicemail(af.GREETINGS[4])
    detector = AnsweredByDetector()
    detector.feed(fixture.samples[:RATE])
    (verdict,) = detector.finish()
    assert verdict.answered_by == UNCERTAIN and verdict.decided_by == "ended"
    assert detector.finish() == []
    rest = detector.feed(fixture.samples[RATE:])
    assert verdicts(rest) == []  # still one verdict...
    assert [x for x in rest if isinstance(x, Beep)]  # ...but the beep is still reported


def test_a_hole_in_the_sample_positions_counts_as_silence():
    """Blocks lost to an input overflow: the clock still moves on by their length."""
    fixture = af.human("Hello?", lead_s=0.5, tail_s=0.2)
    detector = AnsweredByDetector()
    detector.feed(fixture.samples, start=0)
    (verdict,) = detector.feed(np.zeros(160, np.float32), start=len(fixture.samples) + RATE)
    assert verdict.answered_by == HUMAN
    assert verdict.at <= len(fixture.samples) + RATE + 160
    # A block that overlaps what was fed is trimmed, not counted twice.
    assert detector.feed(np.zeros(320, np.float32), start=detector.fed - 160) == []
    assert detector.fed == len(fixture.samples) + RATE + 320


def test_a_telephone_rate_works_too():
    """8 kHz (a SIP line's rate): the same beep, found at the same time."""
    fixture = af.voicemail(af.GREETINGS[0], beep_hz=440.0, rate=8000)
    _, out = run(fixture, block=80, settings=DetectorSettings(rate=8000))
    (beep,) = [x for x in out if isinstance(x, Beep)]
    assert abs(beep.start - fixture.beep_start) <= 0.01 * 8000
    assert fixture.beep_end <= beep.at <= fixture.beep_end + WITHIN_S * 8000


def test_broken_samples_are_heard_as_silence():
    detector = AnsweredByDetector()
    assert detector.feed(np.full(RATE, np.nan, np.float32)) == []
    assert detector.feed(np.full((160, 2), np.inf)) == []
    (verdict,) = detector.feed(np.zeros(5 * RATE, np.float32))
    assert verdict.answered_by == UNCERTAIN and verdict.decided_by == "initial_silence"


def test_quiet_counts_from_the_last_sound():
    fixture = af.voicemail(af.GREETINGS[0], beep_hz=None, tail_s=2.0)
    detector = AnsweredByDetector()
    end = fixture.speech[-1][1]
    detector.feed(fixture.samples[:end])
    assert detector.quiet_s < 0.05
    detector.feed(fixture.samples[end : end + RATE])
    assert detector.quiet_s == pytest.approx(1.0, abs=0.05)
