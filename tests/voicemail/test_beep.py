"""The beep detector on generated audio: beeps at known samples, noise, hum, speech."""

from __future__ import annotations

import numpy as np
import pytest

from console.audio import answer_fixtures as af
from console.audio.amd import AnsweredByDetector, Beep
from console.audio.amd.tone import ToneSettings, ToneSpan, ToneTracker

RATE = 16000
MS = RATE // 1000


def beeps_in(samples: np.ndarray) -> list[Beep]:
    detector = AnsweredByDetector()
    for i in range(0, len(samples), 160):
        detector.feed(samples[i : i + 160])
    return detector.beeps


def with_tone(
    hz: float, start_s: float, seconds: float, dbfs: float, bed: np.ndarray
) -> tuple[np.ndarray, int, int]:
    """`bed` with a tone added at start_s; returns the audio and the tone's span."""
    tone = af.tone(hz, seconds, dbfs)
    start = round(start_s * RATE)
    out = bed.copy()
    out[start : start + len(tone)] += tone
    return out, start, start + len(tone)


@pytest.mark.parametrize("hz", [440.0, 850.0, 1000.0, 1400.0, 2000.0])
@pytest.mark.parametrize(
    "bed",
    [None, af.Noise("white", 10), af.Noise("pink", 10), af.Noise("hum", 10)],
    ids=["quiet", "white10dB", "pink10dB", "hum10dB"],
)
def test_a_beep_is_found_with_its_first_and_last_sample(hz, bed):
    rng = np.random.default_rng(int(hz))
    floor = af.noise("white", 4 * RATE, af.QUIET_FLOOR_RMS, rng)
    if bed is not None:
        floor = floor + af.noise_only(4.0, bed, seed=int(hz))
    audio, start, end = with_tone(hz, 1.5, 0.4, -20.0, floor)
    (beep,) = beeps_in(audio)
    assert beep.hz == pytest.approx(hz, abs=5)
    # Placed within a few milliseconds of the truth (10 ms hops, refined on the envelope).
    assert abs(beep.start - start) <= 10 * MS and abs(beep.end - end) <= 10 * MS
    # Known soon after it ended: two hops without it, and never before its end.
    assert end <= beep.at <= end + 60 * MS


@pytest.mark.parametrize(
    "spec",
    [af.Noise(k, snr) for k in ("white", "pink", "hum") for snr in (0, 10, 25)],
    ids=str,
)
@pytest.mark.parametrize("band", [False, True], ids=["full", "phone"])
def test_noise_does_not_make_a_beep(spec, band):
    assert beeps_in(af.noise_only(8.0, spec, seed=3, band=band)) == []


def test_a_tone_already_there_is_not_a_beep():
    """A line tone present when the call is answered has no onset: not a beep, even
    though it stops within a beep's length."""
    rng = np.random.default_rng(0)
    audio = af.noise("white", 3 * RATE, af.QUIET_FLOOR_RMS, rng)
    audio[:RATE] += af.tone(1000.0, 1.0, -20.0)
    assert beeps_in(audio) == []


def test_two_steady_lines_like_a_voices_harmonics_are_not_a_beep():
    """One line holding most of the power is not enough: nearly all of the power near
    it must be in it (a voice's next harmonic, 200 Hz away, is not)."""
    rng = np.random.default_rng(7)
    bed = af.noise("white", 3 * RATE, af.QUIET_FLOOR_RMS, rng)
    audio, *_ = with_tone(600.0, 1.0, 0.6, -12.0, bed)
    audio, *_ = with_tone(800.0, 1.0, 0.6, -20.0, audio)
    assert beeps_in(audio) == []


def test_a_tone_whose_level_wavers_like_a_voice_is_not_a_beep():
    """A steady pitch whose loudness moves by a dB or two (a sung or synthetic vowel)."""
    rng = np.random.default_rng(8)
    bed = af.noise("white", 3 * RATE, af.QUIET_FLOOR_RMS, rng)
    tone = af.tone(700.0, 0.6, -12.0)
    t = np.arange(len(tone)) / RATE
    wavering = tone * 10 ** (1.5 * np.sin(2 * np.pi * 6 * t) / 20)
    audio = bed.copy()
    audio[RATE : RATE + len(tone)] += wavering.astype(np.float32)
    assert beeps_in(audio) == []
    steady = bed.copy()
    steady[RATE : RATE + len(tone)] += tone
    assert len(beeps_in(steady)) == 1


def test_a_blip_shorter_than_a_beep_is_not_one():
    rng = np.random.default_rng(1)
    bed = af.noise("white", 3 * RATE, af.QUIET_FLOOR_RMS, rng)
    audio, *_ = with_tone(1000.0, 1.0, 0.1, -12.0, bed)
    assert beeps_in(audio) == []


def test_a_tone_that_goes_on_too_long_is_not_reported_as_a_beep():
    rng = np.random.default_rng(2)
    bed = af.noise("white", 6 * RATE, af.QUIET_FLOOR_RMS, rng)
    audio, *_ = with_tone(1000.0, 1.0, 3.5, -12.0, bed)  # max_s is 2.5 s
    assert beeps_in(audio) == []


def test_quieter_than_the_floor_is_ignored():
    rng = np.random.default_rng(3)
    bed = af.noise("white", 3 * RATE, af.QUIET_FLOOR_RMS, rng)
    audio, *_ = with_tone(1000.0, 1.0, 0.5, -55.0, bed)  # min_dbfs is -45
    assert beeps_in(audio) == []


def test_two_beeps_are_two_events():
    rng = np.random.default_rng(4)
    bed = af.noise("white", 4 * RATE, af.QUIET_FLOOR_RMS, rng)
    audio, s1, _ = with_tone(1000.0, 0.8, 0.3, -12.0, bed)
    audio, s2, _ = with_tone(1400.0, 2.0, 0.3, -12.0, audio)
    found = beeps_in(audio)
    assert [round(b.hz, -1) for b in found] == [1000.0, 1400.0]
    assert abs(found[0].start - s1) <= 10 * MS and abs(found[1].start - s2) <= 10 * MS


def test_the_tracker_takes_its_settings():
    """A tighter band: a 2000 Hz beep is outside max_hz and no longer counts."""
    rng = np.random.default_rng(5)
    bed = af.noise("white", 3 * RATE, af.QUIET_FLOOR_RMS, rng)
    audio, *_ = with_tone(2000.0, 1.0, 0.5, -12.0, bed)
    tracker = ToneTracker(RATE, 160, ToneSettings(max_hz=1500.0))
    found = []
    for i in range(0, len(audio) - 159, 160):
        found += [x for x in tracker.step(audio[i : i + 160], i) if isinstance(x, ToneSpan)]
    assert found == []
    assert len(beeps_in(audio)) == 1  # with the defaults it does


def test_speech_makes_no_beep(espeak):
    """espeak-ng holds a harmonic steady through nasals and long vowels: the voices and
    phrases that came closest to a beep while the detector was tuned, none a beep."""
    rng = np.random.default_rng(6)
    texts = (af.GREETINGS[6], af.GREETINGS[7], af.MENUS[3], "Hello, this is Sam speaking.")
    for voice in ("en-gb-x-rp+f4", "en-us+f3", "en-us+f2", "en-gb+m3"):
        for text in texts:
            speech = af.speak(text, voice)
            pad = np.zeros(RATE // 2, np.float32)
            line = np.concatenate([pad, speech, pad])
            line = line + af.noise("white", len(line), af.QUIET_FLOOR_RMS, rng)
            assert beeps_in(af.phone_band(line)) == [], (voice, text)
