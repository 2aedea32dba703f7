"""Answers to an outbound call, made at test time, each carrying its truth.

The answered-by detector (console/audio/amd) is judged on audio whose truth is known to
the sample: a voicemail greeting with a beep that starts and ends at known samples, an
IVR menu, a person saying "hello?" and then waiting. No recordings are shipped: espeak-ng
speaks the words and numpy lays out the silences, the beep and the line noise, so a
test or the benchmark (bench/voicemail.py) can make as many answers as it needs, the
same ones on every machine for a given seed.

Each fixture also says what a streaming recogniser would have delivered, and when
(`words`): partial text growing word by word a little behind the audio, and the final
text after an end-of-utterance silence. That lets the detector be fed words without a
recogniser (the machines here have only a Korean vosk model, which turns English speech
into Korean words).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

RATE = 16000
HUMAN, VOICEMAIL, IVR = "human", "voicemail", "ivr"
SPEECH_RMS = 0.1  # about -20 dBFS: speech on a phone line
QUIET_FLOOR_RMS = 0.0005  # about -66 dBFS of line hiss, so silence is never digital zero
SENTENCE_PAUSE_S = (0.12, 0.35)  # between sentences of a recorded greeting
ENDPOINT_S = 0.5  # a recogniser's end-of-utterance silence, for the `words` schedule
PARTIAL_LAG_S = 0.3  # a partial result trails the audio by about this much

VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+f2", "en-029", "en-gb-x-rp+f4")
BEEP_HZ = (440.0, 850.0, 950.0, 1000.0, 1400.0, 2000.0)


class FixtureUnavailable(RuntimeError):
    """espeak-ng is missing: the fixtures cannot be spoken."""


@dataclass(frozen=True)
class Noise:
    """Line noise mixed in at `snr_db` below the speech level (white, pink or mains hum)."""

    kind: Literal["white", "pink", "hum"]
    snr_db: float

    def __str__(self) -> str:
        return f"{self.kind} {self.snr_db:g} dB"


@dataclass(frozen=True)
class WordsAt:
    """Text a recogniser would deliver at sample `at` (partial or final)."""

    at: int
    text: str
    final: bool


@dataclass(frozen=True, eq=False)
class AnswerFixture:
    """One answer: its audio (float32 mono) and its truth, in samples of `rate`."""

    name: str
    kind: str  # human / voicemail / ivr
    rate: int
    samples: np.ndarray
    text: str
    speech: tuple[tuple[int, int], ...]  # first and last sample (exclusive) of each sentence
    beep_start: int | None = None
    beep_end: int | None = None  # exclusive: the first sample after the tone
    beep_hz: float | None = None
    words: tuple[WordsAt, ...] = ()
    noise: str = "none"
    voice: str = "en-us"

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate

    @property
    def machine(self) -> bool:
        return self.kind != HUMAN

    def blocks(self, size: int = 160) -> list[np.ndarray]:
        """The audio cut into the console's blocks (10 ms at 16 kHz), the last one padded."""
        pad = (-len(self.samples)) % size
        data = np.concatenate([self.samples, np.zeros(pad, dtype=np.float32)])
        return list(data.reshape(-1, size))


# -- speech --------------------------------------------------------------------------------


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


@lru_cache(maxsize=512)
def _speak_cached(text: str, voice: str, wpm: int, rate: int) -> np.ndarray:
    import soundfile as sf

    if not espeak_available():
        raise FixtureUnavailable(
            "espeak-ng is not installed (Debian/Ubuntu: sudo apt-get install espeak-ng)"
        )
    out = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", text],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if out.returncode != 0 or not out.stdout:
        raise FixtureUnavailable(
            f"espeak-ng could not speak {text!r} with voice {voice!r}: "
            f"{out.stderr.decode(errors='replace').strip() or 'no audio'}"
        )
    data, src = sf.read(io.BytesIO(out.stdout), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    voiced = np.flatnonzero(np.abs(mono) > 1e-3)
    if not len(voiced):
        raise FixtureUnavailable(f"espeak-ng wrote silence for {text!r}")
    mono = mono[voiced[0] : voiced[-1] + 1]
    if src != rate:
        import soxr

        mono = soxr.resample(mono, src, rate).astype(np.float32)
    rms = float(np.sqrt(np.mean(mono.astype(np.float64) ** 2)))
    mono = mono * (SPEECH_RMS / max(rms, 1e-9))
    mono.setflags(write=False)
    return mono


def speak(text: str, voice: str = "en-us", wpm: int = 165, rate: int = RATE) -> np.ndarray:
    """`text` spoken by espeak-ng, trimmed to its first and last audible sample, at `rate`,
    scaled to a phone line's speech level."""
    return _speak_cached(text, voice, int(wpm), int(rate)).copy()


def sentences(text: str) -> list[str]:
    import re

    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


# -- tones and noise -----------------------------------------------------------------------


def tone(hz: float, seconds: float, dbfs: float = -12.0, rate: int = RATE) -> np.ndarray:
    """A steady sine with 5 ms raised-cosine edges (what answering machines play)."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    out = (10 ** (dbfs / 20)) * np.sin(2 * np.pi * hz * t)
    ramp = min(n // 2, round(0.005 * rate))
    if ramp:
        edge = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        out[:ramp] *= edge
        out[-ramp:] *= edge[::-1]
    return out.astype(np.float32)


def noise(kind: str, n: int, rms: float, rng: np.random.Generator, rate: int = RATE) -> np.ndarray:
    """`n` samples of line noise at `rms`: white, pink (1/f) or mains hum with hiss."""
    if kind == "white":
        out = rng.standard_normal(n)
    elif kind == "pink":
        spectrum = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / rate)
        spectrum[1:] /= np.sqrt(f[1:])
        spectrum[0] = 0
        out = np.fft.irfft(spectrum, n)
    elif kind == "hum":
        t = np.arange(n) / rate
        mains = rng.choice([50.0, 60.0])
        out = sum(np.sin(2 * np.pi * mains * k * t + k) / k for k in range(1, 8))
        out = out + 0.3 * rng.standard_normal(n)
    else:
        raise ValueError(f"unknown noise {kind!r}: white, pink or hum")
    out = np.asarray(out, dtype=np.float64)
    level = float(np.sqrt(np.mean(out**2))) or 1.0
    return (out * (rms / level)).astype(np.float32)


def phone_band(samples: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Band-limit to 300-3400 Hz, as a telephone line does."""
    spectrum = np.fft.rfft(samples)
    f = np.fft.rfftfreq(len(samples), 1 / rate)
    spectrum[(f < 300) | (f > 3400)] = 0
    return np.fft.irfft(spectrum, len(samples)).astype(np.float32)


# -- assembling an answer ------------------------------------------------------------------


class _Tape:
    """Audio laid end to end, remembering where each piece went."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.pieces: list[np.ndarray] = []
        self.n = 0

    def silence(self, seconds: float) -> None:
        self.add(np.zeros(round(seconds * self.rate), dtype=np.float32))

    def add(self, samples: np.ndarray) -> tuple[int, int]:
        start = self.n
        self.pieces.append(samples.astype(np.float32, copy=False))
        self.n += len(samples)
        return start, self.n

    def audio(self) -> np.ndarray:
        return np.concatenate(self.pieces) if self.pieces else np.zeros(0, dtype=np.float32)


def _finish(
    tape: _Tape,
    rng: np.random.Generator,
    noise_spec: Noise | None,
    band: bool,
) -> tuple[np.ndarray, str]:
    audio = tape.audio()
    floor = noise("white", len(audio), QUIET_FLOOR_RMS, rng, tape.rate)
    audio = audio + floor
    label = "none"
    if noise_spec is not None:
        rms = SPEECH_RMS / (10 ** (noise_spec.snr_db / 20))
        audio = audio + noise(noise_spec.kind, len(audio), rms, rng, tape.rate)
        label = str(noise_spec)
    if band:
        audio = phone_band(audio, tape.rate)
        label += ", phone band"
    return np.clip(audio, -1.0, 1.0).astype(np.float32), label


def _say_lines(
    tape: _Tape,
    lines: Sequence[str],
    rng: np.random.Generator,
    voice: str,
    wpm: int,
    between_s: float | None,
) -> tuple[list[tuple[int, int]], list[WordsAt]]:
    """Speak lines; sentences of one line are joined by short pauses. `between_s` is the
    silence between lines (None: lines are sentences of one recorded greeting)."""
    spans: list[tuple[int, int]] = []
    words: list[WordsAt] = []
    lag = round(PARTIAL_LAG_S * tape.rate)
    endpoint = round(ENDPOINT_S * tape.rate)
    for i, line in enumerate(lines):
        if i and between_s is not None:
            tape.silence(between_s)
        heard: list[str] = []
        parts = sentences(line)
        for j, sentence in enumerate(parts):
            if j:
                tape.silence(float(rng.uniform(*SENTENCE_PAUSE_S)))
            span = tape.add(speak(sentence, voice, wpm, tape.rate))
            spans.append(span)
            # Partial results grow word by word, each word placed in proportion to its
            # share of the sentence's letters, and trail the audio by PARTIAL_LAG_S.
            tokens = sentence.split()
            total = sum(len(t) for t in tokens)
            done = 0
            for k, token in enumerate(tokens):
                done += len(token)
                at = span[0] + round((span[1] - span[0]) * done / total) + lag
                heard.append(token)
                if j < len(parts) - 1 or k < len(tokens) - 1:
                    words.append(WordsAt(at, " ".join(heard), final=False))
        words.append(WordsAt(spans[-1][1] + endpoint, " ".join(heard), final=True))
    return spans, words


@dataclass(frozen=True)
class _Take:
    """How an answer is recorded: the quiet before and after it, the voice, the line."""

    lead_s: float
    tail_s: float
    voice: str
    wpm: int
    noise: Noise | None
    band: bool
    seed: int
    rate: int


def _record(
    kind: str,
    name: str,
    lines: list[str],
    between_s: float | None,
    take: _Take,
    then: Callable[[_Tape], tuple[int, int] | None] | None = None,
    beep_hz: float | None = None,
) -> AnswerFixture:
    """Lay an answer on tape: quiet, the lines spoken, what `then` adds (a beep: its
    span), quiet, then the line's noise; with the truth of where everything went."""
    rng = np.random.default_rng(take.seed)
    tape = _Tape(take.rate)
    tape.silence(take.lead_s)
    spans, words = _say_lines(tape, lines, rng, take.voice, take.wpm, between_s)
    beep = then(tape) if then is not None else None
    tape.silence(take.tail_s)
    audio, label = _finish(tape, rng, take.noise, take.band)
    return AnswerFixture(
        name,
        kind,
        take.rate,
        audio,
        " ".join(lines),
        tuple(spans),
        beep[0] if beep else None,
        beep[1] if beep else None,
        beep_hz if beep else None,
        tuple(words),
        label,
        take.voice,
    )


def voicemail(
    greeting: str = "Hi, you have reached Sam. Please leave a message after the tone.",
    *,
    lead_s: float = 0.4,
    gap_s: float = 0.4,
    beep_hz: float | None = 1000.0,
    beep_s: float = 0.5,
    beep_dbfs: float = -12.0,
    tail_s: float = 2.5,
    voice: str = "en-us",
    wpm: int = 165,
    noise: Noise | None = None,
    band: bool = False,
    seed: int = 0,
    name: str = "",
    rate: int = RATE,
) -> AnswerFixture:
    """A recorded greeting, `gap_s` of quiet, a beep (none when beep_hz is None), then the
    silence of a machine recording."""

    def beep(tape: _Tape) -> tuple[int, int] | None:
        tape.silence(gap_s)
        return None if beep_hz is None else tape.add(tone(beep_hz, beep_s, beep_dbfs, rate))

    take = _Take(lead_s, tail_s, voice, wpm, noise, band, seed, rate)
    name = name or f"voicemail {len(greeting)} chars, beep {beep_hz or 'none'}"
    return _record(VOICEMAIL, name, [greeting], None, take, then=beep, beep_hz=beep_hz)


def ivr(
    menu: str = (
        "Thank you for calling Acme Bank. For account balances, press 1. "
        "For card services, press 2. To speak with a representative, press 0."
    ),
    *,
    lead_s: float = 0.4,
    tail_s: float = 3.0,
    voice: str = "en-us",
    wpm: int = 165,
    noise: Noise | None = None,
    band: bool = False,
    seed: int = 0,
    name: str = "",
    rate: int = RATE,
) -> AnswerFixture:
    """An automated menu, then the quiet of a system waiting for a key press."""
    take = _Take(lead_s, tail_s, voice, wpm, noise, band, seed, rate)
    return _record(IVR, name or f"ivr {len(menu)} chars", [menu], None, take)


def human(
    lines: str | Sequence[str] = "Hello?",
    *,
    lead_s: float = 0.6,
    between_s: float = 2.0,
    tail_s: float = 3.0,
    voice: str = "en-us",
    wpm: int = 165,
    noise: Noise | None = None,
    band: bool = False,
    seed: int = 0,
    name: str = "",
    rate: int = RATE,
) -> AnswerFixture:
    """A person picking up: one line or several ("Hello?" ... "Hello?") with `between_s` of
    waiting between them, then the silence of someone waiting for the caller to speak."""
    lines = [lines] if isinstance(lines, str) else list(lines)
    take = _Take(lead_s, tail_s, voice, wpm, noise, band, seed, rate)
    return _record(HUMAN, name or "human " + " / ".join(lines), lines, between_s, take)


def noise_only(
    seconds: float, spec: Noise, *, seed: int = 0, rate: int = RATE, band: bool = False
) -> np.ndarray:
    """Nothing but line noise at `spec.snr_db` below speech level: there is no beep in it."""
    rng = np.random.default_rng(seed)
    rms = SPEECH_RMS / (10 ** (spec.snr_db / 20))
    out = noise(spec.kind, round(seconds * rate), rms, rng, rate)
    return phone_band(out, rate) if band else out


# -- a varied set ---------------------------------------------------------------------------

GREETINGS = (
    "Sam. Leave a message.",
    "Hi, you have reached Sam. Please leave a message after the tone.",
    "Hey, it's Alex. I can't get to the phone right now. Leave your name and number and "
    "I'll call you back.",
    "The person you are calling is not available. At the tone, please record your message. "
    "When you have finished recording, you may hang up.",
    "Hello, you have reached the voicemail of Jordan Lee at Acme Solar. I am away from my "
    "desk or on another call. Please leave a message and I will return your call as soon "
    "as I can.",
    "Your call has been forwarded to an automatic voice message system. 5 5 5, 0 1 4 2 is "
    "not available. At the tone, please record your message.",
    "Hi, this is Priya. Sorry I missed you. Leave a message.",
    "You've reached the Garcia family. We can't come to the phone right now, so please "
    "leave us a message after the beep. Thanks, and have a great day.",
    "Hello. I'm not available right now. Please leave a message.",
    "This is Dr. Chen's office. Our office is currently closed. Please leave your name, "
    "number and a brief message, and we will call you back on the next business day.",
)
MENUS = (
    "Thank you for calling Acme Bank. For account balances, press 1. For card services, "
    "press 2. To speak with a representative, press 0.",
    "Welcome to City Dental. If you know your party's extension, you may dial it at any "
    "time. For appointments, press 1. For billing, press 2.",
    "Your call is important to us. Please listen carefully, as our menu options have "
    "changed. For sales, press 1. For support, press 2.",
    "Thank you for calling Northwind Energy. Please say or enter your account number, "
    "followed by the pound key.",
    "You have reached the main menu. For store hours and directions, press 1. For the "
    "pharmacy, press 2. For all other questions, please stay on the line.",
)
HUMAN_LINES: tuple[tuple[str, ...], ...] = (
    ("Hello?",),
    ("Hello, this is Sam speaking.",),
    ("Yeah?",),
    ("Hi.",),
    ("Sam speaking.",),
    ("Hello, who is this?",),
    ("Yes?",),
    ("Good morning, Sam speaking.",),
    ("Hello?", "Hello?"),
    ("Hello?", "Hello, anyone there?"),
    # Business-style answers, near the 3 s a greeting may last before it counts as a
    # recording: the people most at risk of being called machines.
    ("Good afternoon, Acme Solar, Sam speaking.",),
    ("Hi, this is Sam, who is calling?",),
)


def answer_set(count: int = 120, seed: int = 7, rate: int = RATE) -> list[AnswerFixture]:
    """`count` varied answers (about 45% voicemail, 20% IVR, 35% human): voices, speaking
    rates, beep frequencies and lengths, gaps before the beep, noise and phone banding all
    vary, deterministically for a seed."""
    rng = np.random.default_rng(seed)
    out: list[AnswerFixture] = []
    for i in range(count):
        pick = rng.random()
        voice = str(rng.choice(VOICES))
        wpm = int(rng.integers(150, 186))
        noisy = rng.random() < 0.35
        spec = (
            Noise(str(rng.choice(["white", "pink", "hum"])), float(rng.uniform(12, 25)))  # type: ignore[arg-type]
            if noisy
            else None
        )
        band = bool(rng.random() < 0.5)
        sub = int(rng.integers(1 << 30))
        if pick < 0.45:
            beep_hz = None if rng.random() < 0.08 else float(rng.choice(BEEP_HZ))
            out.append(
                voicemail(
                    GREETINGS[i % len(GREETINGS)],
                    lead_s=float(rng.uniform(0.2, 0.9)),
                    gap_s=float(rng.uniform(0.2, 0.8)),
                    beep_hz=beep_hz,
                    beep_s=float(rng.uniform(0.2, 1.0)),
                    beep_dbfs=float(rng.uniform(-24, -6)),
                    tail_s=2.0,
                    voice=voice,
                    wpm=wpm,
                    noise=spec,
                    band=band,
                    seed=sub,
                    rate=rate,
                    name=f"#{i} voicemail {i % len(GREETINGS)} ({voice}, beep {beep_hz or 'none'})",
                )
            )
        elif pick < 0.65:
            out.append(
                ivr(
                    MENUS[i % len(MENUS)],
                    lead_s=float(rng.uniform(0.2, 0.9)),
                    tail_s=3.0,
                    voice=voice,
                    wpm=wpm,
                    noise=spec,
                    band=band,
                    seed=sub,
                    rate=rate,
                    name=f"#{i} ivr {i % len(MENUS)} ({voice})",
                )
            )
        else:
            lines = HUMAN_LINES[i % len(HUMAN_LINES)]
            out.append(
                human(
                    lines,
                    lead_s=float(rng.uniform(0.3, 1.2)),
                    between_s=float(rng.uniform(1.6, 2.6)),
                    tail_s=float(rng.uniform(2.0, 3.5)),
                    voice=voice,
                    wpm=wpm,
                    noise=spec,
                    band=band,
                    seed=sub,
                    rate=rate,
                    name=f"#{i} human {' / '.join(lines)} ({voice})",
                )
            )
    return out
