"""The call timeline: lanes of speech, goodbye, action, config and the line, on one clock.

A model turns events into drawable items; the view paints only what is visible (items
are kept sorted by start, and the longest span bounds the search), so it stays smooth
with thousands of events. Mouse: wheel zooms around the pointer, drag pans, hover shows
the full text, click selects an event (and asks to play the recording from there).
Keys: + / - zoom, Left / Right pan, F fits the call, End follows the live edge.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QToolTip, QWidget

from console.core import events as ev
from console.report.colors import COLORS, LANE_TITLES, LANES

LANE_H = 30
LANE_GAP = 6
TOP = 26  # the time ruler
LEFT = 78  # lane titles
MIN_PX_PER_S = 0.02  # a 12-hour call still fits on a laptop screen
MAX_PX_PER_S = 4000.0
DENSE_ITEMS_PER_PX = 1.0  # more visible items than pixels: draw merged runs


@dataclass
class Item:
    lane: str
    start: float
    end: float  # == start for points
    label: str
    tooltip: str
    event: ev.Event | None = None
    cut: bool = False


@dataclass
class Latency:
    start: float
    end: float
    label: str
    lane: str  # drawn in this lane


class TimelineModel:
    """Events in, items out: what the view draws and what reports describe."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self._starts: list[float] = []
        self.latencies: list[Latency] = []
        self.max_span = 0.0
        self.connected: float | None = None
        self.dropped: float | None = None
        self.drop_reason = ""
        self._last_caller_end: float | None = None
        self._action: ev.ActionInvoked | None = None
        self._goodbye: ev.Goodbye | None = None

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    @property
    def end(self) -> float:
        ends = [i.end for i in self.items[-200:]] + [self.dropped or 0.0, self.connected or 0.0]
        return max(ends) if ends else 0.0

    def add(self, item: Item) -> None:
        i = bisect.bisect_right(self._starts, item.start)
        self._starts.insert(i, item.start)
        self.items.insert(i, item)
        self.max_span = max(self.max_span, item.end - item.start)

    def visible(self, t0: float, t1: float) -> list[Item]:
        lo = bisect.bisect_left(self._starts, t0 - self.max_span)
        hi = bisect.bisect_right(self._starts, t1)
        return [it for it in self.items[lo:hi] if it.end >= t0]

    def add_event(self, e: ev.Event) -> None:
        if isinstance(e, ev.CallStarted):
            self.connected = e.t
            self.add(
                Item(
                    "line",
                    e.t,
                    e.t,
                    "connected",
                    f"connected at {e.t:.2f} s: {e.agent_backend} agent, {e.mode}",
                    e,
                )
            )
        elif isinstance(e, ev.CallerSpeech):
            self._last_caller_end = e.end
            self.add(
                Item(
                    "caller",
                    e.start,
                    e.end,
                    e.text,
                    f"caller #{e.turn}, {e.start:.2f}-{e.end:.2f} s{_heard(e)}:\n{e.text}",
                    e,
                )
            )
        elif isinstance(e, ev.AgentSpeech):
            cut = " (cut short)" if e.cut_short else ""
            self.add(
                Item(
                    "agent",
                    e.start,
                    e.end,
                    e.text,
                    f"agent, {e.start:.2f}-{e.end:.2f} s{cut}:\n{e.text}\nwhy: {e.why}",
                    e,
                    e.cut_short,
                )
            )
        elif isinstance(e, ev.ActionInvoked):
            self._action = e
            skip = " (skip goodbye)" if e.skip_goodbye else ""
            self.add(
                Item(
                    "action",
                    e.t,
                    e.t,
                    f"{e.action_name}{skip}",
                    f"{e.action_name} invoked at {e.t:.2f} s, config v{e.config_version}"
                    f"{skip}\nwhy: {e.why}\nwords: {e.trigger_words or '-'}",
                    e,
                )
            )
            if e.latency_s is not None:
                self.latencies.append(
                    Latency(e.t - e.latency_s, e.t, f"{e.latency_s * 1000:.0f} ms", "action")
                )
        elif isinstance(e, ev.Goodbye):
            self._goodbye = e
            cut = " (CUT SHORT)" if e.cut_short else ""
            self.add(
                Item(
                    "goodbye",
                    e.start,
                    e.end,
                    e.text,
                    f"goodbye, {e.start:.2f}-{e.end:.2f} s{cut}\nfrom the "
                    f"{e.source.replace('_', ' ')}: {e.detail}\n{e.text}",
                    e,
                    e.cut_short,
                )
            )
            if self._action is not None:
                self.latencies.append(
                    Latency(self._action.t, e.start, f"{e.since_action_s * 1000:.0f} ms", "goodbye")
                )
        elif isinstance(e, ev.LineDropped):
            self.dropped, self.drop_reason = e.t, e.reason
            self.add(
                Item(
                    "line",
                    e.t,
                    e.t,
                    f"dropped: {e.reason}",
                    f"line dropped at {e.t:.2f} s: {e.reason}\n{e.detail}",
                    e,
                )
            )
            if e.since_goodbye_end_s is not None and self._goodbye is not None:
                self.latencies.append(
                    Latency(
                        self._goodbye.end, e.t, f"{e.since_goodbye_end_s * 1000:.0f} ms", "line"
                    )
                )
        elif isinstance(e, ev.ConfigChanged):
            self.add(
                Item(
                    "config",
                    e.t,
                    e.t,
                    f"v{e.version}",
                    f"config v{e.version} at {e.t:.2f} s:\n{e.field}: {e.old!r} -> {e.new!r}",
                    e,
                )
            )
        elif isinstance(e, ev.ModelCall):
            from console.report.table import model_call_text

            label = f"{e.purpose}: {e.total_s:.2f} s" + (" ERROR" if e.error else "")
            tip = f"model call at {e.t:.2f} s:\n{model_call_text(e)}"
            self.add(Item("model", e.t, e.t + e.total_s, label, tip, e))
            if e.ttft_s is not None:
                ttft = Latency(e.t, e.t + e.ttft_s, f"TTFT {e.ttft_s * 1000:.0f} ms", "model")
                self.latencies.append(ttft)
        elif isinstance(e, ev.Notice):
            self.add(
                Item(
                    "notes",
                    e.t,
                    e.t,
                    e.level,
                    f"{e.level} ({e.source}) at {e.t:.2f} s:\n{e.message}",
                    e,
                )
            )


class TimelineView(QWidget):
    itemClicked = Signal(object)  # Item
    timeClicked = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TimelineModel()
        self.px_per_s = 60.0
        self.t0 = -0.5  # time at the left edge of the lanes
        self.now: float | None = None  # live edge during a call
        self.follow = True
        self.selected: Item | None = None
        self._drag: tuple[float, float] | None = None
        self._moved = False
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(TOP + len(LANES) * (LANE_H + LANE_GAP) + 8)
        self.setAccessibleName("Call timeline")

    # -- data -----------------------------------------------------------------------------
    def clear(self) -> None:
        self.model.clear()
        self.selected, self.now, self.follow, self.t0 = None, None, True, -0.5
        self.update()

    def add_event(self, e: ev.Event) -> None:
        self.model.add_event(e)
        if self.follow:
            self._scroll_to_live()
        self.update()

    def set_now(self, t: float | None) -> None:
        self.now = t
        if self.follow and t is not None:
            self._scroll_to_live()
        self.update()

    # -- geometry -------------------------------------------------------------------------
    def x_of(self, t: float) -> float:
        return LEFT + (t - self.t0) * self.px_per_s

    def t_of(self, x: float) -> float:
        return self.t0 + (x - LEFT) / self.px_per_s

    @staticmethod
    def lane_y(lane: str) -> float:
        return TOP + LANES.index(lane) * (LANE_H + LANE_GAP)

    def item_rect(self, item: Item) -> QRectF:
        x0, x1 = self.x_of(item.start), self.x_of(item.end)
        if x1 - x0 < 4:  # points and very short spans stay clickable
            mid = (x0 + x1) / 2
            x0, x1 = mid - 3, mid + 3
        return QRectF(x0, self.lane_y(item.lane) + 3, x1 - x0, LANE_H - 6)

    def item_at(self, pos: QPointF) -> Item | None:
        t = self.t_of(pos.x())
        slack = 4 / self.px_per_s
        for item in reversed(self.model.visible(t - slack, t + slack)):
            if self.item_rect(item).adjusted(-2, -2, 2, 2).contains(pos):
                return item
        return None

    # -- view changes ---------------------------------------------------------------------
    def zoom(self, factor: float, around_x: float | None = None) -> None:
        x = self.width() / 2 if around_x is None else around_x
        t = self.t_of(x)
        self.px_per_s = min(MAX_PX_PER_S, max(MIN_PX_PER_S, self.px_per_s * factor))
        self.t0 = t - (x - LEFT) / self.px_per_s
        self.follow = False
        self.update()

    def pan(self, seconds: float) -> None:
        self.t0 += seconds
        self.follow = False
        self.update()

    def fit(self) -> None:
        end = max(self.model.end, self.now or 0.0, 1.0)
        span = end + 0.5
        self.px_per_s = min(MAX_PX_PER_S, max(MIN_PX_PER_S, (self.width() - LEFT - 12) / span))
        self.t0 = -0.25
        self.update()

    def follow_live(self) -> None:
        self.follow = True
        self._scroll_to_live()
        self.update()

    def _scroll_to_live(self) -> None:
        edge = max(self.now or 0.0, self.model.end)
        right = self.t_of(self.width() - 12)
        if edge > right:
            self.t0 += edge - right
        elif edge < self.t0:
            self.t0 = max(-0.5, edge - 1.0)

    # -- input ----------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        self.zoom(1.25**steps, event.position().x())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = (event.position().x(), self.t0)
            self._moved = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag is not None:
            dx = pos.x() - self._drag[0]
            if abs(dx) > 3:
                self._moved = True
                self.t0 = self._drag[1] - dx / self.px_per_s
                self.follow = False
                self.update()
            return
        item = self.item_at(pos)
        if item is not None:
            QToolTip.showText(event.globalPosition().toPoint(), item.tooltip, self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None and not self._moved:
            item = self.item_at(event.position())
            self.selected = item
            if item is not None:
                self.itemClicked.emit(item)
            elif event.position().x() > LEFT:
                self.timeClicked.emit(self.t_of(event.position().x()))
            self.update()
        self._drag = None

    def keyPressEvent(self, event) -> None:
        key = event.key()
        step = self.width() / self.px_per_s / 8
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1.5)
        elif key == Qt.Key.Key_Minus:
            self.zoom(1 / 1.5)
        elif key == Qt.Key.Key_Left:
            self.pan(-step)
        elif key == Qt.Key.Key_Right:
            self.pan(step)
        elif key == Qt.Key.Key_F:
            self.fit()
        elif key == Qt.Key.Key_End:
            self.follow_live()
        else:
            super().keyPressEvent(event)

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pal = self.palette()
        text_color = pal.windowText().color()
        p.fillRect(self.rect(), pal.base())
        t_left, t_right = self.t_of(LEFT), self.t_of(self.width())
        self._paint_ruler(p, t_left, t_right, text_color)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        p.setFont(small)
        for lane in LANES:
            y = self.lane_y(lane)
            band = QColor(text_color)
            band.setAlpha(14)
            p.fillRect(QRectF(0, y, self.width(), LANE_H), band)
            p.setPen(text_color)
            p.drawText(
                QRectF(6, y, LEFT - 10, LANE_H), Qt.AlignmentFlag.AlignVCenter, LANE_TITLES[lane]
            )
        p.setClipRect(QRectF(LEFT, 0, self.width() - LEFT, self.height()))
        self._paint_line(p)
        for lat in self.model.latencies:
            self._paint_latency(p, lat, text_color)
        visible = self.model.visible(t_left, t_right)
        if len(visible) > DENSE_ITEMS_PER_PX * max(1, self.width() - LEFT):
            self._paint_dense(p, visible)
        else:
            for item in visible:
                self._paint_item(p, item, text_color)
        if self.now is not None and self.model.dropped is None:
            x = self.x_of(self.now)
            p.setPen(QPen(QColor(COLORS["action"][1]), 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, TOP - 4), QPointF(x, self.height()))
        p.end()

    def _paint_ruler(self, p: QPainter, t_left: float, t_right: float, color: QColor) -> None:
        span = max(t_right - t_left, 1e-6)
        step = 10 ** int(f"{span / 8:e}".split("e")[1])
        for mult in (1, 2, 5, 10):
            if span / (step * mult) <= 10:
                step *= mult
                break
        p.setPen(color)
        t = (int(t_left / step)) * step
        while t <= t_right:
            x = self.x_of(t)
            if x >= LEFT:
                p.drawLine(QPointF(x, TOP - 6), QPointF(x, TOP - 2))
                p.drawText(QPointF(x + 2, TOP - 9), f"{t:g} s")
            t += step

    def _paint_line(self, p: QPainter) -> None:
        if self.model.connected is None:
            return
        end = self.model.dropped if self.model.dropped is not None else (self.now or self.model.end)
        y = self.lane_y("line") + LANE_H / 2
        _fill, edge = COLORS["line"]
        p.setPen(QPen(QColor(edge), 4))
        p.drawLine(QPointF(self.x_of(self.model.connected), y), QPointF(self.x_of(end), y))

    def _paint_dense(self, p: QPainter, items: list[Item]) -> None:
        """Zoomed far out: items smaller than a pixel merge into runs, one rectangle each,
        so a frame costs one rectangle per pixel column at most, whatever the count."""
        runs: dict[str, list[list[int]]] = {lane: [] for lane in LANES}
        scale, origin = self.px_per_s, LEFT - self.t0 * self.px_per_s
        for item in items:
            x0 = int(origin + item.start * scale)
            x1 = max(x0 + 2, int(origin + item.end * scale) + 1)
            lane_runs = runs[item.lane]
            if lane_runs and x0 <= lane_runs[-1][1]:
                lane_runs[-1][1] = max(lane_runs[-1][1], x1)
            else:
                lane_runs.append([x0, x1])
        p.setPen(Qt.PenStyle.NoPen)
        for lane, lane_runs in runs.items():
            if not lane_runs:
                continue
            p.setBrush(QColor(COLORS[lane][0]))
            y = self.lane_y(lane) + 3
            for x0, x1 in lane_runs:
                p.drawRect(QRectF(x0, y, x1 - x0, LANE_H - 6))

    def _paint_item(self, p: QPainter, item: Item, text_color: QColor) -> None:
        fill, edge = COLORS[item.lane]
        rect = self.item_rect(item)
        selected = item is self.selected
        p.setPen(QPen(QColor(text_color if selected else edge), 2 if selected else 1))
        p.setBrush(QColor(fill))
        if item.end - item.start <= 0:
            p.drawRect(rect)
        else:
            p.drawRoundedRect(rect, 3, 3)
            if item.cut:  # a cut-short span ends in a hard black bar
                p.fillRect(
                    QRectF(rect.right() - 3, rect.top(), 3, rect.height()), QColor(COLORS["cut"][0])
                )
        if rect.width() > 30:
            p.setPen(QColor("#ffffff"))
            label = p.fontMetrics().elidedText(
                item.label, Qt.TextElideMode.ElideRight, int(rect.width() - 8)
            )
            p.drawText(rect.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, label)
        elif item.end - item.start <= 0 and item.lane in ("action", "line", "config"):
            p.setPen(text_color)
            p.drawText(QPointF(rect.right() + 3, rect.top() + 10), item.label)

    def _paint_latency(self, p: QPainter, lat: Latency, text_color: QColor) -> None:
        y = self.lane_y(lat.lane) + LANE_H - 2
        x0, x1 = self.x_of(lat.start), self.x_of(lat.end)
        p.setPen(QPen(QColor(COLORS["latency"][1]), 1))
        p.drawLine(QPointF(x0, y), QPointF(x1, y))
        p.drawLine(QPointF(x0, y - 4), QPointF(x0, y))
        p.drawLine(QPointF(x1, y - 4), QPointF(x1, y))
        p.setPen(text_color)
        width = p.fontMetrics().horizontalAdvance(lat.label)
        # Under the bracket when it is wide enough, else just left of its start.
        x = (x0 + x1 - width) / 2 if x1 - x0 > width + 4 else x0 - width - 3
        p.drawText(QPointF(x, y - 5), lat.label)


def _heard(e: ev.CallerSpeech) -> str:
    """How long after the caller's last word the utterance was final (endpoint+decoding)."""
    if e.heard_at is None or e.heard_at < e.end:
        return ""
    return f", final {1000 * (e.heard_at - e.end):.0f} ms after the last word"
