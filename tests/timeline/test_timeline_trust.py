"""A timeline a tester trusts at a glance (issue 16): each item, with real widgets."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage

from console.audio.envelope import recording_envelopes
from console.core import events as ev
from console.report.colors import COLORS
from console.ui.timeline import TimelineView
from tests.ui.conftest import screenshot
from tests.ui.test_main_window import events_of


def E(cls, **kw):
    return cls(**{"config_version": 1, "seq": kw.pop("seq", 0), **kw})


@pytest.fixture
def view(qtbot):
    v = TimelineView()
    qtbot.addWidget(v)
    v.resize(1000, 420)
    v.show()
    return v


def place_call(qtbot, window) -> None:
    qtbot.mouseClick(window.call_button, Qt.MouseButton.LeftButton)


def say(qtbot, window, line: str) -> None:
    qtbot.keyClicks(window.typed, line)
    qtbot.keyClick(window.typed, Qt.Key.Key_Return)


# 1. An agent line is on the timeline and in the transcript from its first sample.
def test_an_agent_line_shows_while_it_plays(qtbot, window, store):
    store.edit({"agent.greeting": "Hello there, this is a rather long greeting. " * 4})
    place_call(qtbot, window)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.SpeechStarted)), timeout=10_000)
    assert events_of(window, ev.AgentSpeech) == []  # still playing
    live = [i for i in window.timeline.model.items if i.live and i.lane == "agent"]
    assert live, "no growing bar while the line plays"
    first = window.timeline.item_rect(live[0]).width()
    qtbot.wait(400)
    assert window.timeline.item_rect(live[0]).width() > first  # it grows as it plays
    assert any("rather long greeting" in line for line in window.transcript.lines())
    window.hang_up()
    qtbot.waitUntil(lambda: window.call is None, timeout=10_000)
    finished = events_of(window, ev.AgentSpeech)
    assert finished and not any(i.live for i in window.timeline.model.items)
    rows = [line for line in window.transcript.lines() if "rather long greeting" in line]
    assert len(rows) == 1 and "[cut short]" in rows[0]  # the same row, now final


# 2. Caller words during the goodbye are recorded and drawn, marked after the action.
def test_caller_speech_during_the_goodbye_is_kept(qtbot, window, store, tmp_path):
    store.edit({"end_call.goodbye_prompt": '"Thank you so much for your time today, and goodbye."'})
    place_call(qtbot, window)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=10_000)
    say(qtbot, window, "no thanks")
    qtbot.waitUntil(
        lambda: any(e.speech == "goodbye" for e in events_of(window, ev.SpeechStarted)),
        timeout=10_000,
    )
    # The goodbye is on its lane from its first sample, and grows while it plays.
    assert events_of(window, ev.Goodbye) == []  # still playing
    live = [i for i in window.timeline.model.items if i.live and i.lane == "goodbye"]
    assert live, "no growing goodbye bar while the goodbye plays"
    first = window.timeline.item_rect(live[0]).width()
    qtbot.waitUntil(lambda: window.timeline.item_rect(live[0]).width() > first + 5, timeout=3000)
    assert live[0].live and events_of(window, ev.Goodbye) == []
    say(qtbot, window, "wait, actually one more question")
    qtbot.waitUntil(lambda: window.call is None, timeout=15_000)
    late = [e for e in events_of(window, ev.CallerSpeech) if e.after_action]
    assert [e.text for e in late] == ["wait, actually one more question"]
    items = [i for i in window.timeline.model.items if i.style == "after_action"]
    assert items and items[0].label.startswith("after the action:")
    log = (window.last_call.session_dir / "events.jsonl").read_text().splitlines()
    kept = [json.loads(x) for x in log if '"caller_speech"' in x]
    assert any(e["after_action"] and "one more question" in e["text"] for e in kept)
    assert any("(after the action)" in line for line in window.transcript.lines())


def test_speech_final_after_the_drop_is_kept_if_it_began_before():
    from tests.conftest import Call, make_config

    call = Call(make_config(**{"end_call.skip_goodbye": True})).start()
    call.finish_speech(1.0)
    call.caller("yes", 1.5, 2.0)
    call.finish_speech(3.0)
    call.caller("yes", 3.5, 4.0)
    call.finish_speech(5.0)
    call.caller("no", 5.5, 6.0)  # the line drops at the action
    drop = call.one(ev.LineDropped).t
    call.at(7.0)
    call.engine.caller_utterance("hey wait", drop - 0.3, drop + 0.4)  # final after the drop
    call.engine.caller_utterance("hello?", drop + 1.0, drop + 1.5)  # began after: not heard
    late = [e for e in call.of(ev.CallerSpeech) if e.after_action]
    assert [(e.text, e.end) for e in late] == [("hey wait", drop)]


# 3. Labels near the right edge are drawn inside the view.
def test_the_drop_label_stays_inside_after_fit_call(view):
    for e in (
        E(ev.CallStarted, t=0.0, agent_backend="offline"),
        E(ev.ActionInvoked, t=5.0, action_name="end_call", why="x", latency_s=0.3),
        E(ev.LineDropped, t=5.0, reason="end_call_action", since_action_s=0.0),
    ):
        view.add_event(e)
    view.fit()
    drop = next(i for i in view.model.items if i.label.startswith("dropped"))
    box = view.point_label_rect(drop)
    assert box.left() >= view.left and box.right() <= view.width()
    for lat in view.model.latencies:
        lbox = view.latency_label_rect(lat)
        assert lbox.left() >= view.left and lbox.right() <= view.width()


def test_labels_in_a_short_lane_never_overprint_each_other(view):
    """At 1280x720 the Line lane is 30 px: the drop's label and "goodbye end → drop" used
    to share a line and print over each other; they now sit side by side."""
    for e in (
        E(ev.CallStarted, t=0.0, agent_backend="offline"),
        E(ev.ActionInvoked, t=5.0, action_name="end_call", why="x", latency_s=0.3),
        E(
            ev.Goodbye,
            t=5.0,
            text="Thanks for your time.",
            source="main_prompt",
            start=5.0,
            end=7.0,
            since_action_s=0.04,
        ),
        E(
            ev.LineDropped,
            t=7.1,
            reason="end_call_action",
            since_action_s=2.1,
            since_goodbye_end_s=0.1,
        ),
    ):
        view.add_event(e)
    view.resize(900, 300)
    view.fit()
    assert view.lane_h == view.min_lane_h  # as short as a lane gets
    view.grab()  # paint: the labels are placed
    drop = next(i for i in view.model.items if i.label.startswith("dropped"))
    boxes = view.labels_drawn
    assert view.point_label_rect(drop) in boxes  # the drop's label is drawn...
    assert len(boxes) >= len(view.model.latencies) + 1  # ...and every latency's
    for n, box in enumerate(boxes):
        assert view.left <= box.left() and box.right() <= view.width(), box
        for other in boxes[n + 1 :]:
            assert not box.intersects(other), (box, other)


def test_a_label_is_never_drawn_over_another_item_of_its_lane(view):
    """An audio gap just after a notice: the notice's label goes to the other side of
    its marker, or, with no room either side, stays in the hover text; a bar drawn
    later never cuts through it (the browser's screenshot read "audio‖warning")."""
    for e in (
        E(ev.CallStarted, t=0.0, agent_backend="offline"),
        E(ev.Notice, t=3.0, level="warning", source="audio", message="output underflow"),
        E(ev.AudioGap, t=3.3, stream="output", length_s=0.08),  # right of it
        E(ev.AudioGap, t=6.8, stream="input", length_s=0.1),  # left and right of the next
        E(ev.Notice, t=7.0, level="warning", source="agent", message="said goodbye"),
        E(ev.AudioGap, t=7.2, stream="input", length_s=0.1),
        E(ev.LineDropped, t=10.0, reason="caller_hung_up"),
    ):
        view.add_event(e)
    view.fit()
    view.grab()
    notes = [i for i in view.model.items if i.lane == "notes"]
    lane_top, lane_bottom = view.lane_y("notes"), view.lane_y("notes") + view.lane_h
    drawn = [b for b in view.labels_drawn if lane_top <= b.top() < lane_bottom]
    for box in drawn:
        assert not any(box.intersects(view.item_rect(i)) for i in notes), box
    audio = view.item_rect(next(i for i in notes if i.label == "audio warning"))
    (box,) = drawn  # the agent's notice has no room either side: its label is on hover
    assert box.right() <= audio.left()  # the audio notice's label went left of its marker


def test_a_notice_says_where_it_came_from(view):
    view.add_event(E(ev.Notice, t=1.5, level="warning", source="audio", message="output underflow"))
    (item,) = view.model.items
    assert item.label == "audio warning" and "output underflow" in item.tooltip


def test_a_narrow_goodbye_bar_keeps_its_verdict(view):
    view.add_event(
        E(
            ev.Goodbye,
            t=2.0,
            text="Thanks for your time, Alex. Have a great day!",
            source="main_prompt",
            start=2.0,
            end=3.7,
        )
    )
    view.add_event(
        E(
            ev.GoodbyeAudibility,
            t=3.8,
            audible_to_end=True,
            sound_end=3.6,
            drop=3.8,
            margin_s=0.2,
            verdict="goodbye audible to its end, 200 ms before the drop",
        )
    )
    (item,) = [i for i in view.model.items if i.lane == "goodbye"]
    metrics = view.fontMetrics()
    shown = view.bar_text(
        item, metrics.horizontalAdvance("Thanks for your — heard to its end"), metrics
    )
    assert shown.startswith("Thanks") and "…" in shown and shown.endswith(" — heard to its end")
    assert view.bar_text(item, 60, metrics).startswith("heard")  # only the verdict fits
    view.add_event(E(ev.AgentSpeech, t=0.0, text="Hello there, Alex.", start=0.0, end=1.5))
    said = next(i for i in view.model.items if i.lane == "agent")
    assert view.bar_text(said, 60, metrics) == metrics.elidedText(
        said.label, Qt.TextElideMode.ElideRight, 60
    )  # a bar with no verdict is cut at the right, as before


# 4. Skip goodbye is visible: a marker in the goodbye lane and the action-to-drop figure.
def test_a_skipped_goodbye_is_drawn_and_measured(view):
    view.add_event(E(ev.CallStarted, t=0.0, agent_backend="offline"))
    view.add_event(
        E(
            ev.ActionInvoked,
            t=3.0,
            config_version=2,
            action_name="end_call",
            why="x",
            skip_goodbye=True,
        )
    )
    view.add_event(E(ev.LineDropped, t=3.0, reason="end_call_action", since_action_s=0.0))
    skipped = [i for i in view.model.items if i.style == "skipped"]
    assert [i.label for i in skipped] == ["goodbye skipped (config v2)"] and skipped[0].lane == (
        "goodbye"
    )
    assert [lat.label for lat in view.model.latencies] == ["action → drop 0 ms"]


# 5. Latencies say what they measure, on the label and in the hover text.
def test_latency_labels_name_what_they_measure(qtbot, view):
    view.add_event(E(ev.CallStarted, t=0.0, agent_backend="offline"))
    view.add_event(E(ev.CallerSpeech, t=1.0, text="no", start=1.0, end=1.5, turn=1))
    view.add_event(E(ev.ActionInvoked, t=1.654, action_name="end_call", why="x", latency_s=0.154))
    view.px_per_s, view.t0 = 400.0, 0.5
    (lat,) = view.model.latencies
    assert lat.label == "caller end → action 154 ms"
    assert "caller's last word" in lat.tooltip
    box = view.latency_label_rect(lat)
    assert view.latency_at(QPointF(view.x_of(1.6), box.bottom())) is lat


# 6. Transcript rows in time order; the details pane starts empty for a new call.
def test_transcript_rows_are_in_time_order(qtbot, window):
    window.transcript.add_event(
        E(ev.AgentSpeech, t=6.0, seq=5, text="agent later", start=6.0, end=7.0)
    )
    window.transcript.add_event(
        E(ev.CallerSpeech, t=5.0, seq=6, text="caller earlier", start=5.0, end=5.5, turn=1)
    )
    lines = window.transcript.lines()
    assert "caller earlier" in lines[0] and "agent later" in lines[1]


def test_the_details_pane_is_cleared_for_a_new_call(qtbot, window):
    place_call(qtbot, window)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=10_000)
    item = next(i for i in window.timeline.model.items if i.lane == "agent")
    window.timeline.select(item)
    assert window.timeline_panel.details.text().startswith("agent")
    window.hang_up()
    qtbot.waitUntil(lambda: window.call is None, timeout=10_000)
    place_call(qtbot, window)
    qtbot.waitUntil(lambda: window.call is not None, timeout=5_000)
    assert not window.timeline_panel.details.text().startswith("agent")
    window.hang_up()
    qtbot.waitUntil(lambda: window.call is None, timeout=10_000)


# 8. Lanes fill the window; a presentation zoom scales the text.
def test_lanes_fill_a_tall_window_and_text_scales(qtbot, window):
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: window.timeline.height() > 500, timeout=3_000)
    view = window.timeline
    bottom = view.lane_y("notes") + view.lane_h
    assert view.lane_h > 40 and bottom > view.height() * 0.9
    before = view._font(-1).pointSizeF()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3_000)  # shortcuts need an active window
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.text_scale == pytest.approx(1.25)
    assert view._font(-1).pointSizeF() > before
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert view.text_scale == 1.0


# 9. Keyboard: select previous/next, read it, play the recording from it.
def test_keyboard_selects_reads_and_plays(qtbot, window, monkeypatch):
    place_call(qtbot, window)
    qtbot.waitUntil(lambda: bool(events_of(window, ev.AgentSpeech)), timeout=10_000)
    window.hang_up()
    qtbot.waitUntil(lambda: window.call is None, timeout=10_000)
    played: list[float] = []
    monkeypatch.setattr(window.sessions, "play", lambda folder, t: played.append(t))
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_Down)
    qtbot.keyClick(window.timeline, Qt.Key.Key_Down)
    chosen = window.timeline.selected
    assert chosen is window.timeline.model.items[1]
    assert window.timeline.accessibleDescription() == chosen.tooltip
    assert window.timeline_panel.details.text() == chosen.tooltip.replace("\n", " — ")
    qtbot.keyClick(window.timeline, Qt.Key.Key_Up)
    assert window.timeline.selected is window.timeline.model.items[0]
    qtbot.keyClick(window.timeline, Qt.Key.Key_Return)
    assert played == [window.timeline.model.items[0].start]


# 10. Waveforms drawn from a recording.
def test_waveforms_are_drawn_from_a_recording(qtbot, view, tmp_path):
    rate = 16000
    data = np.zeros((rate * 4, 2), np.float32)
    data[rate : 2 * rate, 0] = 0.8 * np.sin(np.arange(rate) / 3)  # the caller speaks 1-2 s
    data[3 * rate : int(3.5 * rate), 1] = 0.6 * np.sin(np.arange(rate // 2) / 5)  # the agent
    path = tmp_path / "recording.wav"
    sf.write(path, data, rate, subtype="PCM_16")
    for lane, envelope in recording_envelopes(path).items():
        view.set_waveform(lane, envelope)
    view.px_per_s, view.t0 = 200.0, 0.0
    image: QImage = view.grab().toImage()
    wave = QColor(COLORS["caller"][1])

    def inked(t: float, lane: str) -> int:
        x = int(view.x_of(t))
        y0, h = int(view.lane_y(lane)), int(view.lane_h)
        return sum(
            1
            for y in range(y0, y0 + h)
            if abs(image.pixelColor(x, y).blue() - wave.blue()) < 60
            and image.pixelColor(x, y) != view.palette().base().color()
        )

    assert inked(1.5, "caller") > inked(0.5, "caller") + 5  # sound vs silence
    assert inked(3.2, "agent") > inked(2.5, "agent") + 5
    screenshot(view, "timeline-waveforms")


# 11. The audible-goodbye verdict on the timeline.
def test_the_audible_verdict_marks_the_goodbye_bar(view):
    view.add_event(
        E(
            ev.Goodbye,
            t=2.0,
            text="Thanks, bye.",
            source="main_prompt",
            start=2.0,
            end=3.7,
            cut_short=True,
        )
    )
    view.add_event(
        E(
            ev.GoodbyeAudibility,
            t=3.7,
            audible_to_end=False,
            sound_end=3.7,
            drop=3.7,
            margin_s=0.0,
            missing_s=0.62,
            verdict="goodbye clipped: the last 0.62 s were not played at the drop",
        )
    )
    (item,) = [i for i in view.model.items if i.lane == "goodbye"]
    assert item.style == "clipped" and item.label.endswith("— CLIPPED")
    assert "the last 0.62 s were not played" in item.tooltip
