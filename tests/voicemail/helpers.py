"""Running the detector over a whole fixture, block by block, as the audio pump would."""

from __future__ import annotations

from console.audio.amd import AnsweredBy, AnsweredByDetector, Beep, DetectorSettings
from console.audio.answer_fixtures import AnswerFixture


def run(
    fixture: AnswerFixture,
    words: bool = False,
    block: int = 160,
    settings: DetectorSettings | None = None,
) -> tuple[AnsweredByDetector, list[AnsweredBy | Beep]]:
    """Feed the fixture in blocks of `block` samples (words at their times if asked)."""
    detector = AnsweredByDetector(settings or DetectorSettings(rate=fixture.rate))
    if words:
        for w in fixture.words:
            detector.words(w.text, at=w.at, final=w.final)
    out: list[AnsweredBy | Beep] = []
    for i in range(0, len(fixture.samples), block):
        out += detector.feed(fixture.samples[i : i + block], start=i)
    out += detector.finish()
    return detector, out
