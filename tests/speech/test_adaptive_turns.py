"""The end-of-turn rule inside the real recogniser: real vosk (the Korean model) on English
speech made with espeak-ng, a caller who pauses mid-sentence.

The Korean model cannot read English words, so the rule reads the script's words aligned
to vosk's word times (bench/turns.py's aligner: what an English model would have written
by then). Everything else is the real pipeline: the energy voice activity, the decoder's
flush at the pause, and the rule deciding when the pause has lasted long enough."""

from __future__ import annotations

import numpy as np
import pytest

from bench.turns import ScriptAligner, word_times
from console.speech.end_of_turn import AdaptiveRule, SilenceRule
from console.speech.recognizer import Recognised, StreamingRecognizer
from console.speech.synth import Synthesizer
from tests.parts import korean_model_path

RATE = 16000
LEAD_S, PAUSE_S = 0.5, 0.5


@pytest.fixture(scope="module")
def model():
    import vosk

    vosk.SetLogLevel(-1)
    return vosk.Model(str(korean_model_path()))


@pytest.fixture(scope="module")
def paused():
    """'Yes, I am... ready to move forward.' with half a second of silence at the dots;
    returns the audio, the script's words with their times, and where the pause is."""
    synth = Synthesizer(RATE)
    try:
        before = synth.render_now("Yes, I am")
        after = synth.render_now("ready to move forward.")
    finally:
        synth.close()
    lead, gap = np.zeros(int(LEAD_S * RATE), np.float32), np.zeros(int(PAUSE_S * RATE), np.float32)
    audio = np.concatenate([lead, before, gap, after, np.zeros(2 * RATE, np.float32)])
    pause_start = LEAD_S + len(before) / RATE
    pause_end = pause_start + PAUSE_S
    words = [(w, s + LEAD_S, e + LEAD_S) for w, s, e in word_times("Yes, I am", before)]
    words += [
        (w, s + pause_end, e + pause_end) for w, s, e in word_times("ready to move forward.", after)
    ]
    return audio, words, (pause_start, pause_end)


def recognise(model, audio, words, rule) -> list[Recognised]:
    finals: list[Recognised] = []
    rec = StreamingRecognizer(
        model, RATE, 0.2, finals.append, end_of_turn=lambda: rule, hear=ScriptAligner(words)
    )
    for i in range(0, len(audio), 160):  # the console's 10 ms blocks
        rec.feed(audio[i : i + 160])
    rec.close()
    return finals


def test_a_paused_utterance_is_one_turn_under_adaptive(model, paused):
    audio, words, (pause_start, pause_end) = paused
    finals = recognise(model, audio, words, AdaptiveRule(0.2, 1.2))
    assert len(finals) == 1, [(f.start, f.end) for f in finals]
    (turn,) = finals
    assert turn.start < pause_start and turn.end > pause_end  # both halves, one turn
    assert turn.ended is not None and turn.ended.rule == "adaptive"
    # The sentence was complete at its end: the short wait ended it, not the maximum.
    assert turn.ended.why == "complete: ends with 'forward'"
    assert 0.2 - 1e-9 <= turn.ended.silence_s < 0.3


def test_the_same_utterance_is_cut_in_two_by_200_ms_of_silence(model, paused):
    audio, words, (pause_start, pause_end) = paused
    finals = recognise(model, audio, words, SilenceRule(0.2))
    assert len(finals) == 2, [(f.start, f.end) for f in finals]
    first, second = finals
    assert first.end < pause_start + 0.1 and second.start > pause_end - 0.1
    assert first.ended is not None and first.ended.rule == "silence"
    assert 0.2 - 1e-9 <= first.ended.silence_s < 0.3  # cut 200 ms into a 500 ms pause
