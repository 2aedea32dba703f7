"""The detector on a virtual clock with declared speech and beeps (scenario text mode)."""

from __future__ import annotations

import pytest

from console.audio.amd import HUMAN, IVR, VOICEMAIL, AnsweredBy, Beep
from console.audio.amd.text import TextAnswer, plan_answer, run_text_answer, text_detector

RATE = 16000


def test_a_declared_voicemail_gives_the_verdict_and_the_beep_where_audio_would():
    answer = TextAnswer(
        VOICEMAIL,
        ("Sam. Leave a message.",),
        beep_after_s=0.3,
        beep_s=0.5,
        beep_hz=850.0,
    )
    out, plan = run_text_answer(answer, wpm=160)
    assert plan.beep is not None
    beep_start, beep_end = plan.beep
    (beep,) = [x for x in out if isinstance(x, Beep)]
    assert (beep.start_s, beep.end_s, beep.hz) == pytest.approx((beep_start, beep_end, 850.0))
    # Known two hops after the end, as the audio tracker would know it.
    assert beep.at_s == pytest.approx(beep_end + 0.02, abs=0.011)
    (verdict,) = [x for x in out if isinstance(x, AnsweredBy)]
    assert verdict.answered_by == VOICEMAIL and verdict.at_s <= beep.at_s


def test_a_beep_alone_decides_as_soon_as_it_is_confirmed():
    answer = TextAnswer(VOICEMAIL, ("Hi.",), beep_after_s=0.5)
    out, plan = run_text_answer(answer)
    (verdict,) = [x for x in out if isinstance(x, AnsweredBy)]
    assert verdict.decided_by == "beep"
    assert verdict.at_s == pytest.approx(plan.beep[0] + 0.2, abs=0.011)


def test_hello_then_silence_is_a_person_after_the_silence():
    out, plan = run_text_answer(TextAnswer(HUMAN, ("Hello?", "Hello?")))
    (verdict,) = [x for x in out if isinstance(x, AnsweredBy)]
    first_end = plan.speech[0][1]
    assert verdict.answered_by == HUMAN
    assert verdict.at_s == pytest.approx(first_end + 1.0, abs=0.011)


def test_a_menu_is_ivr_from_its_words():
    out, _ = run_text_answer(TextAnswer(IVR, ("For sales, press 1. For support, press 2.",)))
    (verdict,) = [x for x in out if isinstance(x, AnsweredBy)]
    assert verdict.answered_by == IVR and verdict.decided_by == "words"


def test_the_runner_advances_the_detector_with_its_clock():
    detector, plan = text_detector(TextAnswer(HUMAN, ("Hello?",)))
    assert detector.advance(round(plan.speech[0][1] * RATE)) == []  # still speaking
    out = detector.advance(round((plan.speech[0][1] + 1.1) * RATE))
    assert [x.answered_by for x in out] == [HUMAN]


def test_the_plan_follows_the_lines():
    plan = plan_answer(TextAnswer(HUMAN, ("Hello?", "Hello?"), start_s=1.0, between_s=2.0))
    (s1, e1, _), (s2, _, _) = plan.speech
    assert s1 == 1.0 and s2 == pytest.approx(e1 + 2.0) and plan.beep is None


def test_a_machine_going_quiet_and_talking_again_is_reported_after_the_verdict():
    from console.audio.amd import Quiet

    # Words decide early; a 1.5 s pause (longer than human_silence_s) then more greeting.
    lines = ("Please leave a message for Jordan.", "Or press 1 for sales.")
    answer = TextAnswer(VOICEMAIL, lines, between_s=1.5)
    out, plan = run_text_answer(answer, until_s=12.0)
    (_, first_end, _), (second_start, second_end, _) = plan.speech
    verdict = next(x for x in out if isinstance(x, AnsweredBy))
    assert verdict.decided_by == "words" and verdict.at_s < first_end
    quiet = [(q.quiet, q.since_s, q.at_s) for q in out if isinstance(q, Quiet)]
    assert quiet == [
        (True, pytest.approx(first_end, abs=0.011), pytest.approx(first_end + 1.0, abs=0.011)),
        (False, pytest.approx(second_start, abs=0.011), pytest.approx(second_start, abs=0.011)),
        (True, pytest.approx(second_end, abs=0.011), pytest.approx(second_end + 1.0, abs=0.011)),
    ]


def test_a_person_is_never_reported_quiet():
    from console.audio.amd import Quiet

    out, _ = run_text_answer(TextAnswer(HUMAN, ("Hello?", "Hello?")), until_s=12.0)
    assert [x for x in out if isinstance(x, Quiet)] == []
