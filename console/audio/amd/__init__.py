"""Answered-by detection: person, voicemail, IVR or uncertain, from the caller's audio.

`AnsweredByDetector` (detector.py) is the one object a call needs; `tone.py` finds the
beep, `activity.py` the greeting's shape, `cues.py` the words, and `timeline.py` holds
the timeline events proposed for the engine.
"""

from console.audio.amd.cues import IVR, VOICEMAIL
from console.audio.amd.detector import (
    ANSWERS,
    HUMAN,
    UNCERTAIN,
    AnsweredBy,
    AnsweredByDetector,
    Beep,
    DetectorSettings,
    Quiet,
)
from console.audio.amd.tone import ToneSettings

__all__ = [
    "ANSWERS",
    "HUMAN",
    "IVR",
    "UNCERTAIN",
    "VOICEMAIL",
    "AnsweredBy",
    "AnsweredByDetector",
    "Beep",
    "DetectorSettings",
    "Quiet",
    "ToneSettings",
]
