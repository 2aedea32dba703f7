"""The proposed timeline events carry the detector's results in session seconds."""

from __future__ import annotations

import dataclasses

from console.audio.amd import AnsweredBy, Beep
from console.audio.amd.timeline import (
    AnsweredByEvent,
    BeepEvent,
    beep_event,
    verdict_event,
)


def test_a_verdict_becomes_an_answered_by_event():
    verdict = AnsweredBy(
        "voicemail",
        0.95,
        "beep",
        "a steady tone",
        48_000,
        16000,
        beep_start=44_800,
        cues=("leave a message",),
        greeting_s=2.1,
    )
    event = verdict_event(verdict, config_version=3)
    assert isinstance(event, AnsweredByEvent) and event.kind == "answered_by"
    assert (event.t, event.beep_start, event.config_version) == (3.0, 2.8, 3)
    data = event.to_dict()
    assert data["answered_by"] == "voicemail" and data["cues"] == ["leave a message"]
    names = {f.name for f in dataclasses.fields(AnsweredByEvent)}
    assert AnsweredByEvent(**{k: v for k, v in data.items() if k in names}) == event


def test_a_beep_becomes_a_span_known_at_its_heard_time():
    event = beep_event(Beep(40_000, 48_000, 1000.04, -12.3, 48_320, 16000), config_version=1)
    assert isinstance(event, BeepEvent) and event.kind == "beep"
    assert (event.t, event.start, event.end, event.heard_at) == (2.5, 2.5, 3.0, 3.02)
    assert (event.hz, event.dbfs) == (1000.0, -12.3)
