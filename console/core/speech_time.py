"""How long a line takes to say, estimated from its text (text mode and scenarios)."""

from __future__ import annotations

import re

_PAUSE = re.compile(r"[,;:]")
_STOP = re.compile(r"[.!?]+")


def estimate_speech_seconds(text: str, words_per_minute: int) -> float:
    """Words at the given rate plus short pauses at punctuation; at least 0.3 s.

    espeak-ng at 170 wpm says "Thanks for your time." in about 1.4 s; this gives 1.56 s,
    close enough for turn-taking in text mode and deterministic for scenarios.
    """
    words = len(text.split())
    seconds = words * 60.0 / words_per_minute
    seconds += 0.12 * len(_PAUSE.findall(text)) + 0.25 * len(_STOP.findall(text.rstrip(".!? ")))
    return max(0.3, round(seconds + 0.15, 3))
