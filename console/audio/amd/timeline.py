"""The detector's results as the timeline's events (defined in console/core/events.py).

Times are session seconds, like every other event: the detector's sample positions are
session samples in a live call, so `sample / rate` is the time.

- `AnsweredByEvent` ("answered_by"), at the moment of the verdict: who answered, how
  sure, what decided it, and the beep's span when a beep decided it.
- `BeepEvent` ("beep"), a span like speech: `t` is the beep's first sample, `end` the
  first sample after it, `heard_at` when the detector knew it had ended (the earliest a
  message may start).
- `OpeningHeldEvent` ("opening_held"), a span: the agent's opening held while the
  verdict was pending, from the answer to its release, and what released it.

A line dropped because a machine answered has the reason `VOICEMAIL_DROP` ("voicemail",
one of the semantics doc's drop reasons).

`engine_input` turns any detector output into the engine call it means, for the audio
pump and the scenario runner alike (a `Quiet` is no event of its own: the engine uses
it to start a message that gave up on the beep, and says so in the message's detail).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.audio.amd.detector import AnsweredBy, Beep, Output
from console.core.events import VOICEMAIL as VOICEMAIL_DROP
from console.core.events import AnsweredByVerdict as AnsweredByEvent
from console.core.events import BeepHeard as BeepEvent
from console.core.events import OpeningHeld as OpeningHeldEvent

__all__ = [
    "VOICEMAIL_DROP",
    "AnsweredByEvent",
    "BeepEvent",
    "OpeningHeldEvent",
    "beep_event",
    "engine_input",
    "verdict_event",
]


def verdict_event(verdict: AnsweredBy, config_version: int) -> AnsweredByEvent:
    rate = verdict.rate
    return AnsweredByEvent(
        t=verdict.at / rate,
        config_version=config_version,
        answered_by=verdict.answered_by,
        confidence=verdict.confidence,
        decided_by=verdict.decided_by,
        reason=verdict.reason,
        greeting_s=verdict.greeting_s,
        beep_start=None if verdict.beep_start is None else verdict.beep_start / rate,
        cues=list(verdict.cues),
        audio_t=verdict.at / rate,
    )


def beep_event(beep: Beep, config_version: int) -> BeepEvent:
    return BeepEvent(
        t=beep.start_s,
        config_version=config_version,
        start=beep.start_s,
        end=beep.end_s,
        hz=round(beep.hz, 1),
        dbfs=round(beep.dbfs, 1),
        heard_at=beep.at_s,
    )


def engine_input(result: Output) -> Callable[[Any], None]:
    """What the engine (console/core/engine.py) is told of one detector output; call
    the returned function with the engine, on the engine's thread."""
    if isinstance(result, AnsweredBy):
        return lambda e: e.answered_by(verdict_event(result, e.store.version))
    if isinstance(result, Beep):
        return lambda e: e.beep_heard(beep_event(result, e.store.version))
    return lambda e: e.line_quiet(result.quiet, result.since_s)
