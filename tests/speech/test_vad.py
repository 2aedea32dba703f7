"""Speech vs noise for the silence that ends a turn: the energy rule, Silero VAD (its real
ONNX model, from the package), and the two together as the recogniser uses them."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from console.speech.end_of_turn import SilenceRule
from console.speech.recognizer import Recognised, StreamingRecognizer
from console.speech.synth import Synthesizer
from console.speech.vad import (
    QUIET,
    SILERO_SHA256,
    UNSURE,
    VOICE,
    CallerVAD,
    SileroVAD,
    silero_model_path,
)
from tests.parts import korean_model_path

RATE = 16000


@pytest.fixture(scope="module")
def speech():
    synth = Synthesizer(RATE)
    try:
        return synth.render_now("Yes, I would like to hear more about the offer.")
    finally:
        synth.close()


def knocks(seconds: float, every_s: float = 0.15, level: float = 0.3) -> np.ndarray:
    """40 ms bursts of noise as loud as speech, every `every_s`: a door, a keyboard."""
    rng = np.random.default_rng(7)
    out = np.zeros(int(seconds * RATE), np.float32)
    for start in range(0, len(out), int(every_s * RATE)):
        n = min(int(0.04 * RATE), len(out) - start)
        out[start : start + n] = level * rng.standard_normal(n) * np.exp(-np.arange(n) / 160)
    return out


def verdicts(vad: CallerVAD, audio: np.ndarray) -> list[str]:
    return [vad.judge(audio[i : i + 160]) for i in range(0, len(audio) - 159, 160)]


def test_the_silero_model_is_the_one_checked_by_hash():
    path = silero_model_path()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SILERO_SHA256


def test_silero_hears_speech_and_not_knocks(speech):
    vad = CallerVAD(SileroVAD(RATE))
    said = verdicts(vad, np.concatenate([np.zeros(RATE // 2, np.float32), speech]))
    assert said.count(VOICE) > 0.5 * len(speech) / 160  # most of the speech is speech
    noise = verdicts(CallerVAD(SileroVAD(RATE)), knocks(2.0))
    assert VOICE not in noise and UNSURE in noise  # loud, but not speech
    energy_only = verdicts(CallerVAD(), knocks(2.0))
    assert VOICE in energy_only and UNSURE not in energy_only  # to energy, a knock speaks
    assert set(verdicts(CallerVAD(), np.zeros(RATE, np.float32))) == {QUIET}


@pytest.fixture(scope="module")
def model():
    import vosk

    vosk.SetLogLevel(-1)
    return vosk.Model(str(korean_model_path()))


def turn_end(model, audio: np.ndarray, vad: CallerVAD) -> float | None:
    """Where in the audio the recogniser ended the caller's turn (500 ms of silence)."""
    ends: list[float] = []

    def final(r: Recognised) -> None:
        ends.append(rec.position)

    rec = StreamingRecognizer(
        model, RATE, 0.5, final, end_of_turn=lambda: SilenceRule(0.5), vad=vad
    )
    for i in range(0, len(audio), 160):
        rec.feed(audio[i : i + 160])
    rec.close()
    return ends[0] if ends else None


def test_knocks_after_the_caller_stops_do_not_keep_the_turn_open(model, speech):
    # The knocks start 150 ms after the last word (Silero's hold on speech has let go)
    # and come every 150 ms for 2 s: never 500 ms of quiet between them.
    lead, gap = np.zeros(RATE // 2, np.float32), np.zeros(int(0.15 * RATE), np.float32)
    speech_end = (len(lead) + len(speech)) / RATE
    noise_to = speech_end + 0.15 + 2.0
    audio = np.concatenate([lead, speech, gap, knocks(2.0), np.zeros(RATE, np.float32)])
    with_silero = turn_end(model, audio, CallerVAD(SileroVAD(RATE)))
    energy_only = turn_end(model, audio, CallerVAD())
    assert with_silero is not None and with_silero < speech_end + 1.0  # during the knocks
    assert energy_only is not None and energy_only >= noise_to  # only after them
