"""The benchmark's processed answers (bench/voicemail.py) are what a live call's detector
hears: the same length, lined up with the raw answer, so the fixture's truth holds."""

from __future__ import annotations

import numpy as np

from bench.voicemail import processed
from console.audio import answer_fixtures as af
from tests.voicemail.helpers import run


def test_a_processed_answer_keeps_its_beep_where_the_truth_says(espeak):
    fixture = af.voicemail(af.GREETINGS[1], beep_hz=1000.0, tail_s=1.0)
    heard, cpu_s = processed(fixture)
    assert len(heard.samples) == len(fixture.samples) and cpu_s > 0
    assert not np.array_equal(heard.samples, fixture.samples)  # it was processed
    detector, _ = run(heard)
    (beep,) = detector.beeps
    assert abs(beep.start - fixture.beep_start) <= 0.005 * fixture.rate
    assert abs(beep.end - fixture.beep_end) <= 0.005 * fixture.rate
    assert detector.verdict is not None and detector.verdict.answered_by == "voicemail"
