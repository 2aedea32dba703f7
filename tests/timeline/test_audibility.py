"""The goodbye measured on the recording: audible to its end, or clipped (and by how much).

The goodbye is real synthesised speech (espeak-ng through the console's synthesiser),
placed on an agent channel the way the recorder writes it."""

from __future__ import annotations

import numpy as np
import pytest

from console.audio.audibility import goodbye_audibility
from tests.parts import require

RATE = 16000


@pytest.fixture(scope="module")
def goodbye_audio() -> np.ndarray:
    from console.speech.synth import SpeechUnavailable, Synthesizer

    try:
        synth = Synthesizer(RATE)
    except SpeechUnavailable as exc:
        require(f"SPEECH SYNTHESIS MISSING: apt-get install espeak-ng ({exc})")
    try:
        return synth.render_now("Thanks for your time, have a great day. Goodbye.")
    finally:
        synth.close()


def channel(audio: np.ndarray, start: float, played: int, total_s: float) -> np.ndarray:
    out = np.zeros(int(total_s * RATE), dtype=np.float32)
    first = int(start * RATE)
    out[first : first + played] = audio[:played]
    return out


def test_a_goodbye_played_whole_is_audible_to_its_end(goodbye_audio):
    start, length = 1.0, len(goodbye_audio) / RATE
    end = start + length
    drop = end + 0.2
    verdict = goodbye_audibility(
        channel(goodbye_audio, start, len(goodbye_audio), drop), RATE, start, end, drop, length
    )
    assert verdict.audible_to_end and verdict.missing_s == 0.0
    assert start < verdict.sound_end <= end + 0.011
    assert verdict.margin_s is not None and verdict.margin_s >= 0.2 - 0.011
    assert verdict.verdict.startswith("goodbye audible to its end,")
    assert "ms before the drop" in verdict.verdict


def test_a_goodbye_cut_by_the_drop_is_clipped_and_says_how_much(goodbye_audio):
    start, length = 1.0, len(goodbye_audio) / RATE
    played = int(len(goodbye_audio) * 0.6)
    while abs(goodbye_audio[played - 160 : played]).max() < 0.05:  # stop mid-word
        played += 160
    cut_at = start + played / RATE
    verdict = goodbye_audibility(
        channel(goodbye_audio, start, played, cut_at + 0.2),
        RATE,
        start,
        cut_at,
        cut_at,  # the line dropped the moment the audio stopped
        length,
        cut_short=True,
    )
    assert not verdict.audible_to_end
    assert verdict.missing_s == pytest.approx(length - played / RATE, abs=0.02)
    assert (
        verdict.verdict
        == f"goodbye clipped: the last {verdict.missing_s:.2f} s were not played at the drop"
    )


def test_sound_still_going_at_the_drop_is_clipped_even_without_a_known_length(goodbye_audio):
    start = 1.0
    played = int(len(goodbye_audio) * 0.5)
    while abs(goodbye_audio[played - 160 : played]).max() < 0.05:
        played += 160
    drop = start + played / RATE
    verdict = goodbye_audibility(
        channel(goodbye_audio, start, len(goodbye_audio), drop + 2), RATE, start, drop, drop
    )
    assert not verdict.audible_to_end and "sound was still going" in verdict.verdict


def test_a_silent_goodbye_is_not_called_audible():
    silence = np.zeros(RATE * 3, dtype=np.float32)
    verdict = goodbye_audibility(silence, RATE, 1.0, 2.0, 2.2, 1.0)
    assert not verdict.audible_to_end and verdict.sound_end is None
