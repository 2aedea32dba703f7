"""The timeline widget: items where their times say, zoom, pan, hover, click."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QToolTip

from console.core import events as ev
from console.ui.timeline import LANE_H, TimelineView


def call_events() -> list[ev.Event]:
    return [
        ev.CallStarted(t=0.0, config_version=1, seq=1, agent_backend="offline"),
        ev.AgentSpeech(t=0.2, config_version=1, seq=2, text="Ready?", start=0.2, end=1.0),
        ev.CallerSpeech(
            t=1.5, config_version=1, seq=3, text="no thanks", start=1.5, end=2.0, turn=1
        ),
        ev.ActionInvoked(
            t=2.2,
            config_version=1,
            seq=4,
            action_name="end_call",
            why="step 1",
            trigger_words="no thanks",
            latency_s=0.2,
        ),
        ev.Goodbye(
            t=2.25,
            config_version=1,
            seq=5,
            text="Thanks for your time.",
            source="main_prompt",
            start=2.25,
            end=3.75,
            since_action_s=0.05,
        ),
        ev.LineDropped(
            t=3.95,
            config_version=1,
            seq=6,
            reason="end_call_action",
            since_action_s=1.75,
            since_goodbye_end_s=0.2,
        ),
    ]


@pytest.fixture
def view(qtbot):
    v = TimelineView()
    qtbot.addWidget(v)
    v.resize(1000, 320)
    v.show()
    for e in call_events():
        v.add_event(e)
    v.px_per_s, v.t0 = 100.0, 0.0
    return v


def item(view, lane):
    return next(i for i in view.model.items if i.lane == lane)


def test_items_are_placed_where_their_times_say(view):
    goodbye = item(view, "goodbye")
    rect = view.item_rect(goodbye)
    assert rect.left() == pytest.approx(view.x_of(2.25))
    assert rect.width() == pytest.approx(150.0)  # 1.5 s at 100 px/s
    assert rect.top() == pytest.approx(view.lane_y("goodbye") + 3)
    caller = view.item_rect(item(view, "caller"))
    assert caller.top() < rect.top() and caller.height() == pytest.approx(LANE_H - 6)
    action = view.item_rect(item(view, "action"))
    assert action.center().x() == pytest.approx(view.x_of(2.2))
    labels = sorted(lat.label for lat in view.model.latencies)
    assert labels == [
        "action → goodbye 50 ms",
        "caller end → action 200 ms",
        "goodbye end → drop 200 ms",
    ]


def test_zoom_keeps_the_point_under_the_mouse(view):
    t = view.t_of(500)
    view.zoom(2.0, 500)
    assert view.px_per_s == 200.0 and view.t_of(500) == pytest.approx(t)


def test_wheel_and_keys_zoom_and_pan(qtbot, view):
    before = view.px_per_s
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.px_per_s > before
    t0 = view.t0
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.t0 > t0
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert view.x_of(3.95) < view.width()  # the whole call fits
    assert view.t0 < 0


def test_drag_pans(qtbot, view):
    t0 = view.t0
    start = QPoint(600, 60)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view, QPoint(400, 60))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(400, 60))
    assert view.t0 == pytest.approx(t0 + 2.0)  # 200 px at 100 px/s


def test_click_selects_an_event(qtbot, view):
    goodbye = item(view, "goodbye")
    center = view.item_rect(goodbye).center().toPoint()
    with qtbot.waitSignal(view.itemClicked) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=center)
    assert blocker.args[0] is goodbye and view.selected is goodbye
    assert "Thanks for your time." in goodbye.tooltip
    empty = QPoint(int(view.x_of(10.0)), int(view.lane_y("caller") + 10))
    with qtbot.waitSignal(view.timeClicked) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=empty)
    assert blocker.args[0] == pytest.approx(10.0, abs=0.02)


def test_cut_short_and_hover_text(view):
    view.add_event(
        ev.AgentSpeech(
            t=5.0, config_version=1, seq=7, text="Long line", start=5.0, end=6.0, cut_short=True
        )
    )
    cut = [i for i in view.model.items if i.cut]
    assert cut and "cut short" in cut[0].tooltip
    view.add_event(
        ev.CallerSpeech(
            t=7.0, config_version=1, seq=8, text="ok", start=7.0, end=7.5, turn=3, heard_at=7.83
        )
    )
    said = [i for i in view.model.items if i.lane == "caller" and i.start == 7.0]
    assert "final 330 ms after the last word" in said[0].tooltip
    assert view.item_at(view.item_rect(cut[0]).center()) is cut[0]


def test_thousands_of_events_only_visible_ones_drawn(qtbot, view):
    for k in range(10_000):
        t = 10.0 + k * 0.5
        view.model.add_event(
            ev.CallerSpeech(
                t=t, config_version=1, seq=10 + k, text=f"w{k}", start=t, end=t + 0.3, turn=k + 1
            )
        )
    view.px_per_s, view.t0 = 100.0, 1000.0
    visible = view.model.visible(view.t_of(0), view.t_of(view.width()))
    assert 15 <= len(visible) <= 25  # about 10 s on screen, two lines a second
    view.repaint()


def test_zoomed_far_out_many_events_still_drawn(qtbot, view):
    for k in range(5_000):
        t = 10.0 + k * 2.0
        view.model.add_event(
            ev.CallerSpeech(
                t=t, config_version=1, seq=10 + k, text=f"w{k}", start=t, end=t + 1.5, turn=k + 1
            )
        )
    view.fit()
    image = view.grab().toImage()
    x = int(view.x_of(5000.0))
    y = int(view.lane_y("caller") + LANE_H / 2)
    from console.report.colors import COLORS

    assert image.pixelColor(x, y).name() == COLORS["caller"][0]


def test_readable_in_a_dark_theme(qtbot, view):
    from PySide6.QtGui import QColor, QPalette

    from tests.ui.conftest import screenshot

    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e0e0e0"))
    view.setPalette(dark)
    view.fit()
    image = view.grab().toImage()
    assert image.pixelColor(2, view.height() - 2).name() == "#1e1e1e"  # dark background
    # lane titles are drawn in the theme's text colour, so they stay readable
    title = view.lane_y("caller") + 15
    row = [image.pixelColor(x, int(title)).lightness() for x in range(6, 60)]
    assert max(row) > 150
    screenshot(view, "timeline-dark")


def test_a_caller_rows_hover_text_says_which_rule_ended_the_turn(qtbot, view):
    view.add_event(
        ev.CallerSpeech(
            t=5.0,
            config_version=1,
            seq=7,
            text="yes i am ready",
            start=5.0,
            end=6.0,
            turn=2,
            end_rule="adaptive",
            end_silence_s=0.412,
            end_why="'am' does not end a sentence: waits up to 1200 ms",
        )
    )
    said = next(i for i in view.model.items if i.lane == "caller" and i.start == 5.0)
    qtbot.mouseMove(view, view.item_rect(said).center().toPoint())
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    assert QToolTip.text() == said.tooltip
    assert said.tooltip.endswith(
        "\nturn ended by the adaptive rule after 412 ms of silence: "
        "'am' does not end a sentence: waits up to 1200 ms"
    )
    typed = item(view, "caller")  # a typed line: no rule ended it, nothing said
    assert "turn ended" not in typed.tooltip
