"""The timeline, the report's picture and the terminal table show voicemail screening:
the verdict, the beep and the opening held for the verdict, from a real text-mode call."""

from __future__ import annotations

import pytest

from console.core import events as ev
from console.report.svg import timeline_svg
from console.report.table import describe, format_timeline
from console.report.timeline_model import TimelineModel
from console.scenario.model import load_scenario
from console.scenario.runner import run_scenario
from tests.conftest import ASSETS


@pytest.fixture(scope="module")
def events() -> list[ev.Event]:
    scenario, config = load_scenario(ASSETS / "scenarios" / "14-voicemail-leave-message.yaml")
    result = run_scenario(scenario, config)
    assert result.passed, result.failures
    return result.events


def one(events: list[ev.Event], cls):
    (found,) = [e for e in events if isinstance(e, cls)]
    return found


def items(events: list[ev.Event]) -> dict[type, list]:
    model = TimelineModel()
    for e in events:
        model.add_event(e)
    out: dict[type, list] = {}
    for item in model.items:
        out.setdefault(type(item.event), []).append(item)
    return out


def test_the_timeline_draws_the_verdict_the_beep_and_the_hold(events):
    verdict, beep = one(events, ev.AnsweredByVerdict), one(events, ev.BeepHeard)
    held = one(events, ev.OpeningHeld)
    drawn = items(events)
    (v,) = drawn[ev.AnsweredByVerdict]
    assert (v.lane, v.start, v.end, v.label) == (
        "line",
        verdict.t,
        verdict.t,
        "answered by voicemail",
    )
    assert verdict.decided_by in v.tooltip and verdict.reason in v.tooltip
    (b,) = drawn[ev.BeepHeard]
    assert (b.lane, b.start, b.end, b.label) == ("caller", beep.start, beep.end, "beep 1000 Hz")
    assert f"known at {beep.heard_at:.2f} s" in b.tooltip
    (h,) = drawn[ev.OpeningHeld]
    assert (h.lane, h.start, h.end, h.label) == ("agent", 0.0, verdict.t, "opening held")
    assert held.released_by == "voicemail" and "(voicemail)" in h.tooltip


def test_the_report_picture_labels_them(events):
    svg = timeline_svg(events)
    for label in ("answered by voicemail", "beep 1000 Hz", "opening held"):
        assert label in svg


def test_the_table_has_a_row_for_each(events):
    verdict, beep = one(events, ev.AnsweredByVerdict), one(events, ev.BeepHeard)
    held = one(events, ev.OpeningHeld)
    when, lane, text = describe(verdict)
    assert (when.strip(), lane) == (f"{verdict.t:.2f}", "answered")
    assert text.startswith("by voicemail (0.80, decided by greeting_shape)")
    when, lane, text = describe(beep)
    assert (when, lane) == (f"{beep.start:6.2f}-{beep.end:6.2f}", "beep")
    assert f"known to have ended at {beep.heard_at:.2f} s" in text
    when, lane, text = describe(held)
    assert (when, lane) == (f"{held.start:6.2f}-{held.end:6.2f}", "held")
    assert text == "the opening waited for the verdict (voicemail)"
    table = format_timeline(events, width=200)
    lines = table.splitlines()
    row = {
        lane: next(i for i, line in enumerate(lines) if f" {lane} " in line)
        for lane in ("held", "answered", "beep")
    }
    assert row["held"] < row["answered"] < row["beep"]  # in time order
