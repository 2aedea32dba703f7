"""The report's timeline picture draws what the window draws: labels inside at the edge,
a skipped goodbye, named latencies, waveforms from the recording."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from console.audio.envelope import Envelope
from console.core import events as ev
from console.report.svg import WIDTH, text_width, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"


def E(cls, **kw):
    return cls(**{"config_version": 1, "seq": kw.pop("seq", 0), **kw})


def skipped_call() -> list[ev.Event]:
    return [
        E(ev.CallStarted, t=0.0, seq=1, agent_backend="offline"),
        E(ev.CallerSpeech, t=1.0, seq=2, text="no", start=1.0, end=1.5, turn=1),
        E(
            ev.ActionInvoked,
            t=1.7,
            seq=3,
            config_version=2,
            action_name="end_call",
            why="x",
            latency_s=0.2,
            skip_goodbye=True,
        ),
        E(ev.LineDropped, t=1.7, seq=4, reason="end_call_action", since_action_s=0.0),
    ]


def texts(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(f"{SVG}text"))


def test_labels_near_the_right_edge_stay_inside():
    for label in texts(timeline_svg(skipped_call())):
        x, width = float(label.get("x")), text_width(label.text or "")
        if label.get("text-anchor") == "end":
            assert x - width >= 0, label.text
        else:
            assert x + width <= WIDTH, label.text


def test_a_skipped_goodbye_and_the_named_latencies_are_drawn():
    shown = [t.text for t in texts(timeline_svg(skipped_call()))]
    assert "goodbye skipped (config v2)" in shown
    assert "caller end → action 200 ms" in shown and "action → drop 0 ms" in shown


def test_waveforms_are_drawn_when_the_call_was_recorded():
    rate = 16000
    agent = np.zeros(rate * 2, np.float32)
    agent[rate // 2 : rate] = 0.5 * np.sin(np.arange(rate // 2) / 4)
    waves = {"agent": Envelope.of(agent, rate), "caller": Envelope.of(np.zeros(rate * 2), rate)}
    with_waves = timeline_svg(skipped_call(), waveforms=waves)
    paths = [p for p in ET.fromstring(with_waves).iter(f"{SVG}path") if "V" in p.get("d", "")]
    assert any(p.get("stroke") == "#6a4294" for p in paths)  # the agent's edge colour
    assert len(timeline_svg(skipped_call())) < len(with_waves)
