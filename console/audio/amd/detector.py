"""Who answered the call: a person, a voicemail, an IVR menu, or not yet known.

One object per call, fed in order with what the line carries. It owns no thread, timer,
Qt object or audio device, and never reads a clock: its clock is the sample position of
what it has been fed, so the audio pump calls it with each captured block and the
scenario runner calls it with text and declared spans on a virtual clock, and both get
the same verdicts at the same sample positions.

Three kinds of evidence, whichever decides first:

- **the beep** (tone.py): a confirmed steady tone means a recorder is about to listen:
  voicemail, at once. The beep is also reported whole (start and end) as its own event,
  which is when a message may start.
- **the words** (cues.py): "leave a message after the tone" is a voicemail, "press 1 for"
  an IVR, as soon as a recogniser's partial or final text holds them.
- **the greeting's shape** (activity.py): speech that goes on for `machine_speech_s`
  without a pause of `human_silence_s` is a recorded greeting or a menu; a greeting that
  stops before that and is followed by `human_silence_s` of quiet is a person who said
  "hello?" and is waiting. The two thresholds are the trade the platforms tune: a longer
  `machine_speech_s` calls fewer people machines and decides machines later; a longer
  `human_silence_s` survives greetings with pauses and keeps a person waiting longer.

Nobody speaking for `initial_silence_s`, or no decision within `max_wait_s`, is
"uncertain". There is one verdict per call; beeps are reported whenever they end.

Once a machine is decided, the detector also says when its side goes quiet (nothing
heard for `human_silence_s`) and when it makes a sound again (`Quiet`): a message that
gave up waiting for the beep waits for that quiet, so it never starts over the greeting
or an IVR menu.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass, field

import numpy as np

from console.audio.amd.activity import VoiceActivity
from console.audio.amd.cues import IVR, VOICEMAIL, CueMatch, find_cues
from console.audio.amd.tone import END_MISSES, ToneSettings, ToneSpan, ToneStarted, ToneTracker

HUMAN, UNCERTAIN = "human", "uncertain"
ANSWERS = (HUMAN, VOICEMAIL, IVR, UNCERTAIN)
BY_BEEP, BY_WORDS, BY_SHAPE, BY_SILENCE, BY_TIMEOUT, BY_END = (
    "beep",
    "words",
    "greeting_shape",
    "initial_silence",
    "timeout",
    "ended",
)
MAX_GAP_S = 2.0  # a hole in the sample positions up to this long is filled with silence


@dataclass(frozen=True)
class DetectorSettings:
    """The detector's thresholds (see the module docstring for the trade each makes)."""

    rate: int = 16000
    machine_speech_s: float = 3.0
    human_silence_s: float = 1.0
    initial_silence_s: float = 5.0
    max_wait_s: float = 15.0
    tone: ToneSettings = field(default_factory=ToneSettings)

    @property
    def hop(self) -> int:
        return self.rate // 100  # 10 ms: the console's block

    @classmethod
    def from_config(cls, voicemail: object, rate: int = 16000) -> DetectorSettings:
        """From a config's `voicemail` section (console.core.config.VoicemailSettings)."""
        return cls(
            rate=rate,
            machine_speech_s=float(getattr(voicemail, "machine_speech_s", 3.0)),
            human_silence_s=float(getattr(voicemail, "human_silence_s", 1.0)),
        )


@dataclass(frozen=True)
class Beep:
    """A beep heard whole. Samples on the detector's clock (session samples in a call):
    `start` is its first sample, `end` the first sample after it, `at` when it was known
    (a few hops after `end`: the tone has to be missed twice to have ended)."""

    start: int
    end: int
    hz: float
    dbfs: float
    at: int
    rate: int = 16000

    @property
    def start_s(self) -> float:
        return self.start / self.rate

    @property
    def end_s(self) -> float:
        return self.end / self.rate

    @property
    def at_s(self) -> float:
        return self.at / self.rate

    def __str__(self) -> str:
        return (
            f"beep {self.hz:.0f} Hz {self.start_s:.3f}-{self.end_s:.3f} s "
            f"({self.end_s - self.start_s:.2f} s, {self.dbfs:.0f} dBFS)"
        )


@dataclass(frozen=True)
class AnsweredBy:
    """The verdict: who answered, how sure, what decided it and at which sample.

    `beep_start` is set when a beep decided it (its end is not known yet then: the Beep
    event that follows carries it). `greeting_s` is how long the answering party had
    been speaking, from its first sound to its last, when the verdict came.
    """

    answered_by: str  # human / voicemail / ivr / uncertain
    confidence: float  # 0..1
    decided_by: str  # beep / words / greeting_shape / initial_silence / timeout / ended
    reason: str
    at: int
    rate: int = 16000
    beep_start: int | None = None
    beep_end: int | None = None
    cues: tuple[str, ...] = ()
    greeting_s: float | None = None

    @property
    def at_s(self) -> float:
        return self.at / self.rate

    @property
    def machine(self) -> bool:
        return self.answered_by in (VOICEMAIL, IVR)

    def __str__(self) -> str:
        return (
            f"answered by {self.answered_by} ({self.confidence:.2f}) at {self.at_s:.3f} s, "
            f"{self.decided_by}: {self.reason}"
        )


@dataclass(frozen=True)
class Quiet:
    """A machine's side went quiet or made a sound again (reported only after a machine
    verdict). Quiet: nothing heard from sample `since` on, for `human_silence_s` already
    when it is reported at `at`. Not quiet: a sound started at `since`. A beep is not a
    sound here (it is what a message waits for)."""

    quiet: bool
    since: int
    at: int
    rate: int = 16000

    @property
    def since_s(self) -> float:
        return self.since / self.rate

    @property
    def at_s(self) -> float:
        return self.at / self.rate


Output = AnsweredBy | Beep | Quiet


class AnsweredByDetector:
    """Feed blocks (`feed`), words (`words`, or `post_words` from another thread), or, in
    text mode, declared speech and beeps (`speech`, `beep`) and the passing of time
    (`advance`). Each call returns what it decided: an AnsweredBy (once per call) and
    any Beep that ended; after a machine verdict, Quiet when its side goes quiet or
    makes a sound again."""

    def __init__(self, settings: DetectorSettings | None = None, origin: int = 0) -> None:
        self.s = settings or DetectorSettings()
        self.rate = self.s.rate
        self.hop = self.s.hop
        self.origin = origin  # the sample where the call was answered
        self.position = origin  # every sample before this has been considered
        self.verdict: AnsweredBy | None = None
        self.beeps: list[Beep] = []
        self._pending = np.zeros(0, dtype=np.float32)
        self._activity = VoiceActivity(hops_per_s=self.rate // self.hop)
        self._tones = ToneTracker(self.rate, self.hop, self.s.tone)
        self._onset: int | None = None  # first sample of the greeting's speech
        self._last_voice: int | None = None  # first sample after its latest speech
        self._finals: list[str] = []
        self._partial = ""
        self._cues = find_cues("")
        self._inbox: queue.SimpleQueue[tuple[str, bool]] = queue.SimpleQueue()
        self._due_words: list[tuple[int, str, bool]] = []  # text mode: words in the future
        self._spans: list[tuple[int, int]] = []  # text mode: declared speech
        self._declared_beeps: list[tuple[int, int, float]] = []  # text mode: declared beeps
        self._told_quiet: bool | None = None  # the quiet state last reported (None: none)

    @property
    def quiet_s(self) -> float:
        """Seconds since the answering party last made a sound (since the answer, if it
        never has): the measure a `Quiet` report is made from."""
        since = self._last_voice if self._last_voice is not None else self.origin
        return max(0, self.position - since) / self.rate

    @property
    def fed(self) -> int:
        """The sample a block fed next without a `start` is taken to begin at."""
        return self.position + len(self._pending)

    # -- audio --------------------------------------------------------------------------------
    def feed(self, samples: np.ndarray, start: int | None = None) -> list[Output]:
        """Consider a block of float32 mono samples whose first sample is `start` (default:
        right after the last one). A small hole is filled with silence; a block that
        overlaps what was fed is trimmed."""
        out: list[Output] = []
        expected = self.fed
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if not np.isfinite(samples).all():  # a broken device or file: never a tone or a voice
            samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
        if start is not None and start != expected:
            if start > expected:
                gap = start - expected
                if gap <= MAX_GAP_S * self.rate:
                    samples = np.concatenate([np.zeros(gap, dtype=np.float32), samples])
                else:  # a long hole: time passed with nothing heard
                    self._pending = np.zeros(0, dtype=np.float32)
                    out += self._step_silence(start)
            else:
                samples = samples[expected - start :]
        data = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        n = len(data) // self.hop * self.hop
        for i in range(0, n, self.hop):
            out += self._audio_hop(data[i : i + self.hop])
        self._pending = data[n:].copy()
        return out

    def _audio_hop(self, hop: np.ndarray) -> list[Output]:
        start = self.position
        news = self._tones.step(hop, start)
        loud = self._activity.step(hop)
        voiced = loud and not self._tones.active and not news
        return self._hop(start, voiced, news)

    def _step_silence(self, to: int) -> list[Output]:
        out: list[Output] = []
        while self.position + self.hop <= to:
            out += self._hop(self.position, False, [])
        self.position = max(self.position, to)
        return out

    # -- words ---------------------------------------------------------------------------------
    def words(self, text: str, at: int | None = None, final: bool = True) -> list[Output]:
        """A recogniser's text for the current utterance (partial: replaced by the next;
        final: kept). `at` is the sample when it became known; later than the detector's
        position (text mode), it waits until the position gets there."""
        if at is not None and at > self.position:
            self._due_words.append((at, text, final))
            self._due_words.sort(key=lambda w: w[0])
            return []
        return self._take_words(text, final)

    def post_words(self, text: str, final: bool = True) -> None:
        """`words` for another thread (the recogniser's): taken at the next feed."""
        self._inbox.put((text, final))

    def _take_words(self, text: str, final: bool) -> list[Output]:
        if final:
            self._finals.append(text)
            self._partial = ""
        else:
            self._partial = text
        self._cues = find_cues(" ".join([*self._finals, self._partial]))
        decided = self._cues.decided
        if self.verdict is None and decided is not None:
            return [
                self._decide(
                    decided,
                    _word_confidence(self._cues, decided),
                    BY_WORDS,
                    "the words say so: " + _quote(self._cues.said(decided)),
                )
            ]
        return []

    @property
    def cues(self) -> CueMatch:
        return self._cues

    # -- text mode -----------------------------------------------------------------------------
    def speech(self, start: int, end: int) -> None:
        """Text mode: the answering party speaks from sample `start` to `end`."""
        self._spans.append((start, end))

    def beep(self, start: int, end: int, hz: float = 1000.0) -> None:
        """Text mode: a beep plays from `start` to `end`. It is confirmed `min_s` after it
        starts and known to have ended two hops after it ends, as in audio."""
        self._declared_beeps.append((start, end, hz))

    def advance(self, to: int) -> list[Output]:
        """Text mode: time passes up to sample `to`, with only what was declared heard."""
        out: list[Output] = []
        confirm = round(self.s.tone.min_s * self.rate)
        while self.position + self.hop <= to:
            start = self.position
            end = start + self.hop
            news: list[ToneStarted | ToneSpan] = []
            in_beep = False
            for b_start, b_end, hz in self._declared_beeps:
                if b_start + confirm > start and b_start + confirm <= end:
                    news.append(ToneStarted(b_start, hz, -12.0, end))
                done = b_end + END_MISSES * self.hop
                if done > start and done <= end:
                    news.append(ToneSpan(b_start, b_end, hz, -12.0, end))
                in_beep = in_beep or (b_start < end and b_end > start)
            voiced = not in_beep and any(a < end and b > start for a, b in self._spans)
            out += self._hop(start, voiced, news)
        return out

    # -- the end -------------------------------------------------------------------------------
    def finish(self, at: int | None = None) -> list[Output]:
        """The call ended (or the caller stopped listening) before a verdict: uncertain."""
        if self.verdict is not None:
            return []
        at = self.position if at is None else max(at, self.position)
        return [self._decide(UNCERTAIN, 0.0, BY_END, "the call ended before a verdict", at)]

    # -- one 10 ms hop ---------------------------------------------------------------------------
    def _hop(self, start: int, voiced: bool, news: list) -> list[Output]:
        end = start + self.hop
        self.position = end
        out: list[Output] = []
        while not self._inbox.empty():
            text, final = self._inbox.get()
            out += self._take_words(text, final)
        while self._due_words and self._due_words[0][0] <= end:
            _, text, final = self._due_words.pop(0)
            out += self._take_words(text, final)
        if voiced:
            if self._onset is None:
                self._onset = start
            self._last_voice = end
        for item in news:
            if isinstance(item, ToneStarted) and self.verdict is None:
                out.append(
                    self._decide(
                        VOICEMAIL,
                        0.95,
                        BY_BEEP,
                        f"a steady {item.hz:.0f} Hz tone (a beep) started at "
                        f"{item.start / self.rate:.3f} s",
                        beep_start=item.start,
                    )
                )
            elif isinstance(item, ToneSpan):
                beep = Beep(item.start, item.end, item.hz, item.dbfs, end, self.rate)
                self.beeps.append(beep)
                out.append(beep)
        if self.verdict is None:
            verdict = self._shape(end)
            if verdict is not None:
                out.append(verdict)
        quiet = self._quiet_news(end)
        if quiet is not None:
            out.append(quiet)
        return out

    def _quiet_news(self, now: int) -> Quiet | None:
        """After a machine verdict: its side went quiet, or made a sound again (the
        first report is made only once it is quiet: until then it is taken as talking)."""
        if self.verdict is None or not self.verdict.machine:
            return None
        last = self._last_voice if self._last_voice is not None else self.origin
        quiet = now - last >= round(self.s.human_silence_s * self.rate)
        if quiet == bool(self._told_quiet):
            return None
        self._told_quiet = quiet
        return Quiet(quiet, last if quiet else last - self.hop, now, self.rate)

    def _shape(self, now: int) -> AnsweredBy | None:
        rate = self.rate
        if self._onset is None or self._last_voice is None:
            if now - self.origin >= self.s.initial_silence_s * rate:
                return self._decide(
                    UNCERTAIN,
                    0.0,
                    BY_SILENCE,
                    f"nobody spoke within {self.s.initial_silence_s:g} s of the answer",
                )
            return None
        greeting = (self._last_voice - self._onset) / rate
        quiet = (now - self._last_voice) / rate
        if greeting >= self.s.machine_speech_s:
            kind = IVR if self._cues.scores[IVR] > self._cues.scores[VOICEMAIL] else VOICEMAIL
            weak = self._cues.said(kind)
            return self._decide(
                kind,
                0.8 if weak else 0.7,
                BY_SHAPE,
                f"{greeting:.1f} s of speech without a {self.s.human_silence_s:g} s pause: a "
                "recording" + (f"; the words lean {kind}: {_quote(weak)}" if weak else ""),
            )
        if quiet >= self.s.human_silence_s:
            span = max(self.s.machine_speech_s - 1.0, 0.1)
            confidence = 0.9 - 0.3 * min(1.0, max(0.0, greeting - 1.0) / span)
            machine_words = self._cues.said(VOICEMAIL) + self._cues.said(IVR)
            if machine_words:
                confidence -= 0.2
            return self._decide(
                HUMAN,
                round(confidence, 2),
                BY_SHAPE,
                f"a {greeting:.1f} s greeting, then {quiet:.1f} s of silence: a person waiting"
                + (f" (though the words say {_quote(machine_words)})" if machine_words else ""),
            )
        if now - self.origin >= self.s.max_wait_s * rate:
            return self._decide(
                UNCERTAIN, 0.0, BY_TIMEOUT, f"no decision within {self.s.max_wait_s:g} s"
            )
        return None

    def _decide(
        self,
        answered_by: str,
        confidence: float,
        decided_by: str,
        reason: str,
        at: int | None = None,
        beep_start: int | None = None,
    ) -> AnsweredBy:
        greeting = None
        if self._onset is not None and self._last_voice is not None:
            greeting = round((self._last_voice - self._onset) / self.rate, 3)
        self.verdict = AnsweredBy(
            answered_by,
            confidence,
            decided_by,
            reason,
            self.position if at is None else at,
            self.rate,
            beep_start=beep_start,
            cues=tuple(words for _, words in self._cues.phrases),
            greeting_s=greeting,
        )
        return self.verdict


def _word_confidence(cues: CueMatch, kind: str) -> float:
    return min(0.95, 0.75 + 0.1 * cues.scores[kind])


def _quote(phrases: list[str]) -> str:
    return ", ".join(f"'{p}'" for p in phrases)
