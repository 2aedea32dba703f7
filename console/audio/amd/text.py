"""Answered-by detection without audio: the scenario runner's `answer:` steps.

In text mode there are no samples, but the detector's evidence can still be declared:
when the answering party speaks (each line lasts as long as its text takes to say, as
for any caller line), what a recogniser would deliver and when (partial text word by
word, the final text after the end-of-utterance silence), and where the beep is. The
same `AnsweredByDetector` then decides on the virtual clock exactly as it would on
audio with that shape, so a scenario can test the timing of a verdict: a long greeting,
a short "hello?", a greeting that pauses, a beep that comes late.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.audio.amd.detector import AnsweredByDetector, DetectorSettings, Output
from console.core.speech_time import estimate_speech_seconds

PARTIAL_LAG_S = 0.3  # a partial result trails the audio by about this much


@dataclass(frozen=True)
class TextAnswer:
    """Who answers in a scenario and how: the truth, the lines, and the beep."""

    answered_by: str  # human / voicemail / ivr: what the scenario says it is
    lines: tuple[str, ...]
    start_s: float = 0.5  # from the answer to the first word
    between_s: float = 2.0  # silence between lines (a person saying "hello?" twice)
    beep_after_s: float | None = None  # from the end of the last line; None: no beep
    beep_s: float = 0.5
    beep_hz: float = 1000.0


@dataclass(frozen=True)
class PlannedAnswer:
    """Where a TextAnswer's lines and beep fall, in session seconds."""

    speech: tuple[tuple[float, float, str], ...]  # (start, end, text) per line
    beep: tuple[float, float] | None

    @property
    def end_s(self) -> float:
        ends = [end for _, end, _ in self.speech]
        if self.beep is not None:
            ends.append(self.beep[1])
        return max(ends, default=0.0)


def plan_answer(answer: TextAnswer, wpm: int = 160, origin_s: float = 0.0) -> PlannedAnswer:
    t = origin_s + answer.start_s
    speech = []
    for i, line in enumerate(answer.lines):
        if i:
            t += answer.between_s
        end = t + estimate_speech_seconds(line, wpm)
        speech.append((round(t, 6), round(end, 6), line))
        t = end
    beep = None
    if answer.beep_after_s is not None:
        start = t + answer.beep_after_s
        beep = (round(start, 6), round(start + answer.beep_s, 6))
    return PlannedAnswer(tuple(speech), beep)


def text_detector(
    answer: TextAnswer,
    wpm: int = 160,
    settings: DetectorSettings | None = None,
    endpoint_s: float = 0.5,
    origin_s: float = 0.0,
) -> tuple[AnsweredByDetector, PlannedAnswer]:
    """A detector with the answer declared on it; call its `advance(sample)` as the
    virtual clock moves and it returns the verdict and the beep when they are due."""
    settings = settings or DetectorSettings()
    rate = settings.rate
    plan = plan_answer(answer, wpm, origin_s)
    detector = AnsweredByDetector(settings, origin=round(origin_s * rate))
    for start, end, text in plan.speech:
        detector.speech(round(start * rate), round(end * rate))
        tokens = text.split()
        total = sum(len(w) for w in tokens) or 1
        done = 0
        for k, token in enumerate(tokens[:-1]):
            done += len(token)
            at = start + (end - start) * done / total + PARTIAL_LAG_S
            detector.words(" ".join(tokens[: k + 1]), at=round(at * rate), final=False)
        detector.words(text, at=round((end + endpoint_s) * rate), final=True)
    if plan.beep is not None:
        detector.beep(round(plan.beep[0] * rate), round(plan.beep[1] * rate), answer.beep_hz)
    return detector, plan


def run_text_answer(
    answer: TextAnswer,
    wpm: int = 160,
    settings: DetectorSettings | None = None,
    until_s: float | None = None,
) -> tuple[list[Output], PlannedAnswer]:
    """Everything the detector reports for a declared answer, up to `until_s` (default:
    two seconds past the answer's end, or the detector's own deadline)."""
    detector, plan = text_detector(answer, wpm, settings)
    rate = detector.rate
    stop = until_s if until_s is not None else max(plan.end_s + 2.0, detector.s.max_wait_s)
    out = detector.advance(round(stop * rate))
    return out, plan
