"""The call timeline: lanes of speech, goodbye, action, config and the line, on one clock.

The items come from console/report/timeline_model.py; the view paints only what is
visible (items are kept sorted by start, and the longest span bounds the search), so it
stays smooth with thousands of events. The lanes share the widget's height (taller
lanes show the waveforms better), and a text scale (Ctrl + / Ctrl - in the window)
enlarges everything for a projector. Labels near an edge are drawn inside the view.

Mouse: wheel zooms around the pointer, drag pans, hover shows the full text, click
selects an event (and asks to play the recording from there).
Keys: + / - zoom, Left / Right pan, F fits the call, End follows the live edge,
Up / Down select the previous / next event (its text is shown and read out to
assistive tools), Return or Space plays the recording from the selected event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from console.audio.envelope import Envelope
from console.core import events as ev
from console.report.colors import COLORS, LANE_TITLES, LANES
from console.report.timeline_model import Item, Latency, TimelineModel

__all__ = ["Item", "Latency", "TimelineModel", "TimelineView"]

LANE_H = 30  # at text scale 1, the least a lane gets
MAX_LANE_H = 150
LANE_GAP = 6
TOP = 26  # the time ruler
LEFT = 78  # lane titles
MIN_PX_PER_S = 0.02  # a 12-hour call still fits on a laptop screen
MAX_PX_PER_S = 4000.0
LABEL_GAP = 8  # between two labels set side by side
DENSE_ITEMS_PER_PX = 1.0  # more visible items than pixels: draw merged runs
WAVE_LANES = ("caller", "agent")


class TimelineView(QWidget):
    itemClicked = Signal(object)  # Item, by the mouse
    itemSelected = Signal(object)  # Item, by the mouse or the keyboard
    itemActivated = Signal(object)  # Item: Return/Space on the selection (play from it)
    timeClicked = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TimelineModel()
        self.px_per_s = 60.0
        self.t0 = -0.5  # time at the left edge of the lanes
        self.now: float | None = None  # live edge during a call
        self.follow = True
        self.selected: Item | None = None
        self.text_scale = 1.0
        self.waveforms: dict[str, Envelope] = {}
        self.labels_drawn: list[QRectF] = []  # where the last paint put its labels
        self._drag: tuple[float, float] | None = None
        self._moved = False
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(self.top + len(LANES) * (LANE_H + LANE_GAP) + 8)
        self.setAccessibleName("Call timeline")

    # -- data -----------------------------------------------------------------------------
    def clear(self) -> None:
        self.model.clear()
        self.waveforms = {}
        self.selected, self.now, self.follow, self.t0 = None, None, True, -0.5
        self.update()

    def add_event(self, e: ev.Event) -> None:
        self.model.add_event(e)
        if self.selected is not None and self.selected not in self.model.items:
            self.selected = None  # a live item was replaced by its final event
        if self.follow:
            self._scroll_to_live()
        self.update()

    def set_now(self, t: float | None) -> None:
        self.now = t
        if self.follow and t is not None:
            self._scroll_to_live()
        self.update()

    def set_waveform(self, lane: str, envelope: Envelope) -> None:
        """Draw this audio inside a lane (the caller's or the agent's)."""
        self.waveforms[lane] = envelope
        self.update()

    def set_text_scale(self, scale: float) -> None:
        """Presentation zoom: text, rulers and the least lane height grow together."""
        self.text_scale = min(3.0, max(0.8, scale))
        self.setMinimumHeight(int(self.top + len(LANES) * (self.min_lane_h + LANE_GAP) + 8))
        self.update()

    # -- geometry -------------------------------------------------------------------------
    @property
    def top(self) -> float:
        return TOP * self.text_scale

    @property
    def left(self) -> float:
        return LEFT * self.text_scale

    @property
    def min_lane_h(self) -> float:
        return LANE_H * self.text_scale

    @property
    def lane_h(self) -> float:
        """Lanes share the height the widget has (the window may be 1080 px tall)."""
        share = (self.height() - self.top - 8) / len(LANES) - LANE_GAP
        return max(self.min_lane_h, min(MAX_LANE_H * self.text_scale, share))

    def x_of(self, t: float) -> float:
        return self.left + (t - self.t0) * self.px_per_s

    def t_of(self, x: float) -> float:
        return self.t0 + (x - self.left) / self.px_per_s

    def lane_y(self, lane: str) -> float:
        return self.top + LANES.index(lane) * (self.lane_h + LANE_GAP)

    def item_end(self, item: Item) -> float:
        return self.model.live_end(item, self.now)

    def item_rect(self, item: Item) -> QRectF:
        x0, x1 = self.x_of(item.start), self.x_of(self.item_end(item))
        if x1 - x0 < 4:  # points and very short spans stay clickable
            mid = (x0 + x1) / 2
            x0, x1 = mid - 3, mid + 3
        h = self.lane_h
        bar = min(h - 6, max(self.min_lane_h - 6, h * 0.45))
        return QRectF(x0, self.lane_y(item.lane) + (h - bar) / 2, x1 - x0, bar)

    def item_at(self, pos: QPointF) -> Item | None:
        t = self.t_of(pos.x())
        slack = 4 / self.px_per_s
        for item in reversed(self.model.visible(t - slack, t + slack, self.now)):
            if self.item_rect(item).adjusted(-2, -2, 2, 2).contains(pos):
                return item
        return None

    def latency_at(self, pos: QPointF) -> Latency | None:
        for lat in self.model.latencies:
            y = self.lane_y(lat.lane) + self.lane_h - 2
            x0, x1 = sorted((self.x_of(lat.start), self.x_of(lat.end)))
            if x0 - 3 <= pos.x() <= x1 + 3 and y - 12 <= pos.y() <= y + 2:
                return lat
        return None

    # -- view changes ---------------------------------------------------------------------
    def zoom(self, factor: float, around_x: float | None = None) -> None:
        x = self.width() / 2 if around_x is None else around_x
        t = self.t_of(x)
        self.px_per_s = min(MAX_PX_PER_S, max(MIN_PX_PER_S, self.px_per_s * factor))
        self.t0 = t - (x - self.left) / self.px_per_s
        self.follow = False
        self.update()

    def pan(self, seconds: float) -> None:
        self.t0 += seconds
        self.follow = False
        self.update()

    def fit(self) -> None:
        end = max(self.model.end, self.now or 0.0, 1.0)
        span = end + 0.5
        self.px_per_s = min(MAX_PX_PER_S, max(MIN_PX_PER_S, (self.width() - self.left - 12) / span))
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

    # -- selection ------------------------------------------------------------------------
    def select(self, item: Item | None) -> None:
        self.selected = item
        if item is not None:
            # Bring it into view, and tell assistive tools what it is.
            if not (self.t_of(self.left) <= item.start <= self.t_of(self.width() - 12)):
                self.t0 = item.start - (self.width() - self.left) / self.px_per_s / 3
                self.follow = False
            self.setAccessibleDescription(item.tooltip)
            self.itemSelected.emit(item)
        self.update()

    def select_step(self, step: int) -> None:
        """The previous (-1) or next (+1) event in time order."""
        items = self.model.items
        if not items:
            return
        if self.selected is None or self.selected not in items:
            index = 0 if step > 0 else len(items) - 1
        else:
            index = max(0, min(len(items) - 1, items.index(self.selected) + step))
        self.select(items[index])
        rect = self.item_rect(items[index])
        QToolTip.showText(self.mapToGlobal(rect.center().toPoint()), items[index].tooltip, self)

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
        lat = None if item is not None else self.latency_at(pos)
        if item is not None:
            QToolTip.showText(event.globalPosition().toPoint(), item.tooltip, self)
        elif lat is not None:
            QToolTip.showText(event.globalPosition().toPoint(), f"{lat.label}\n{lat.tooltip}", self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None and not self._moved:
            item = self.item_at(event.position())
            if item is not None:
                self.select(item)
                self.itemClicked.emit(item)
            elif event.position().x() > self.left:
                self.selected = None
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
        elif key == Qt.Key.Key_Up:
            self.select_step(-1)
        elif key == Qt.Key.Key_Down:
            self.select_step(1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self.selected is not None:
                self.itemActivated.emit(self.selected)
        else:
            super().keyPressEvent(event)

    # -- painting -------------------------------------------------------------------------
    def _font(self, delta: float = 0.0) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, (font.pointSizeF() + delta) * self.text_scale))
        return font

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pal = self.palette()
        text_color = pal.windowText().color()
        p.fillRect(self.rect(), pal.base())
        t_left, t_right = self.t_of(self.left), self.t_of(self.width())
        p.setFont(self._font(-1))
        self._paint_ruler(p, t_left, t_right, text_color)
        for lane in LANES:
            y = self.lane_y(lane)
            band = QColor(text_color)
            band.setAlpha(14)
            p.fillRect(QRectF(0, y, self.width(), self.lane_h), band)
            p.setPen(text_color)
            p.drawText(
                QRectF(6, y, self.left - 10, self.lane_h),
                Qt.AlignmentFlag.AlignVCenter,
                LANE_TITLES[lane],
            )
        p.setClipRect(QRectF(self.left, 0, self.width() - self.left, self.height()))
        for lane, envelope in self.waveforms.items():
            self._paint_waveform(p, lane, envelope, t_left, t_right)
        self._paint_line(p)
        for lat in self.model.latencies:
            self._paint_latency(p, lat)
        visible = self.model.visible(t_left, t_right, self.now)
        self.labels_drawn = []  # no label overprints another (points first, then latencies)
        p.setFont(self._font(-1))
        if len(visible) > DENSE_ITEMS_PER_PX * max(1, self.width() - self.left):
            self._paint_dense(p, visible)
        else:
            points = [item for item in visible if self._paint_item(p, item, text_color)]
            self._paint_point_labels(p, points, visible, text_color)
        p.setPen(text_color)
        for lat in self.model.latencies:
            box = self.latency_label_rect(lat, self.labels_drawn)
            self.labels_drawn.append(box)
            p.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, lat.label)
        if self.now is not None and self.model.dropped is None:
            x = self.x_of(self.now)
            p.setPen(QPen(QColor(COLORS["action"][1]), 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, self.top - 4), QPointF(x, self.height()))
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
            if x >= self.left:
                p.drawLine(QPointF(x, self.top - 6), QPointF(x, self.top - 2))
                p.drawText(QPointF(x + 2, self.top - 9), f"{t:g} s")
            t += step

    def _paint_waveform(
        self, p: QPainter, lane: str, envelope: Envelope, t_left: float, t_right: float
    ) -> None:
        """The channel's audio inside its lane. The agent's channel carries its goodbye
        too: the Goodbye lane shows it within the goodbye's span, the Agent lane the rest."""
        x0 = int(self.left)
        columns = max(1, self.width() - x0)
        lo, hi = envelope.columns(t_left, t_right, columns)
        sound = np.flatnonzero((hi != 0.0) | (lo != 0.0))
        if lane != "agent":
            self._paint_columns(p, lane, lo, hi, sound)
            return
        in_goodbye = np.zeros(columns, dtype=bool)
        for item in self.model.visible(t_left, t_right, self.now):
            if item.lane == "goodbye" and (item.live or isinstance(item.event, ev.Goodbye)):
                a = max(0, int(self.x_of(item.start)) - x0)
                b = min(columns, int(self.x_of(self.item_end(item))) - x0 + 1)
                in_goodbye[a:b] = True
        self._paint_columns(p, "agent", lo, hi, sound[~in_goodbye[sound]])
        self._paint_columns(p, "goodbye", lo, hi, sound[in_goodbye[sound]])

    def _paint_columns(
        self, p: QPainter, lane: str, lo: np.ndarray, hi: np.ndarray, columns: np.ndarray
    ) -> None:
        x0 = int(self.left)
        mid = self.lane_y(lane) + self.lane_h / 2
        half = self.lane_h / 2 - 2
        color = QColor(COLORS[lane][1])
        color.setAlpha(190)
        p.setPen(QPen(color, 1))
        for i in columns.tolist():
            top = mid - min(1.0, float(hi[i])) * half
            bottom = mid - max(-1.0, float(lo[i])) * half
            p.drawLine(QPointF(x0 + i, top), QPointF(x0 + i, max(bottom, top + 1)))

    def _has_wave(self, lane: str) -> bool:
        source = "agent" if lane == "goodbye" else lane
        return source in self.waveforms

    def _paint_line(self, p: QPainter) -> None:
        if self.model.connected is None:
            return
        end = self.model.dropped if self.model.dropped is not None else (self.now or self.model.end)
        y = self.lane_y("line") + self.lane_h / 2
        _fill, edge = COLORS["line"]
        p.setPen(QPen(QColor(edge), 4))
        p.drawLine(QPointF(self.x_of(self.model.connected), y), QPointF(self.x_of(end), y))

    def _paint_dense(self, p: QPainter, items: list[Item]) -> None:
        """Zoomed far out: items smaller than a pixel merge into runs, one rectangle each,
        so a frame costs one rectangle per pixel column at most, whatever the count."""
        runs: dict[str, list[list[int]]] = {lane: [] for lane in LANES}
        scale, origin = self.px_per_s, self.left - self.t0 * self.px_per_s
        for item in items:
            x0 = int(origin + item.start * scale)
            x1 = max(x0 + 2, int(origin + self.item_end(item) * scale) + 1)
            lane_runs = runs[item.lane]
            if lane_runs and x0 <= lane_runs[-1][1]:
                lane_runs[-1][1] = max(lane_runs[-1][1], x1)
            else:
                lane_runs.append([x0, x1])
        p.setPen(Qt.PenStyle.NoPen)
        bar = self.item_rect(items[0]) if items else None
        for lane, lane_runs in runs.items():
            if not lane_runs or bar is None:
                continue
            p.setBrush(QColor(COLORS[lane][0]))
            y = self.lane_y(lane) + (self.lane_h - bar.height()) / 2
            for x0, x1 in lane_runs:
                p.drawRect(QRectF(x0, y, x1 - x0, bar.height()))

    def _paint_item(self, p: QPainter, item: Item, text_color: QColor) -> bool:
        """Draw one item; True when it is a point whose label is still to be drawn."""
        fill, edge = COLORS[item.lane]
        rect = self.item_rect(item)
        selected = item is self.selected
        point = self.item_end(item) - item.start <= 0 and not item.live
        brush = QColor(fill)
        see_through = self._has_wave(item.lane) and not point
        if item.style in ("skipped", "after_action") or see_through:
            # hollow: no goodbye was played / evidence, not a turn / the audio shows through
            brush.setAlpha(60)
        p.setPen(QPen(QColor(text_color if selected else edge), 2 if selected else 1))
        p.setBrush(brush)
        if item.style == "clipped":  # the goodbye was cut: a heavy red outline
            p.setPen(QPen(QColor(COLORS["action"][1]), 3))
        if point:
            p.drawRect(rect)
        else:
            p.drawRoundedRect(rect, 3, 3)
            if item.cut:  # a cut-short span ends in a hard black bar
                p.fillRect(
                    QRectF(rect.right() - 3, rect.top(), 3, rect.height()), QColor(COLORS["cut"][0])
                )
            if item.live:  # still playing: an open right edge
                p.setPen(QPen(QColor(edge), 1, Qt.PenStyle.DotLine))
                p.drawLine(rect.topRight(), rect.bottomRight())
        if rect.width() > 30 and not point:
            light = item.style != "after_action" and not see_through
            shown = self.bar_text(item, rect.width() - 8, p.fontMetrics())
            inner = rect.adjusted(4, 0, -4, 0)
            if see_through:  # the waveform runs under the words: a veil keeps them legible
                veil = QColor(self.palette().base().color())
                veil.setAlpha(170)
                width = p.fontMetrics().horizontalAdvance(shown) + 4
                high = p.fontMetrics().height()
                p.fillRect(
                    QRectF(inner.left() - 2, inner.center().y() - high / 2, width, high), veil
                )
            p.setPen(QColor("#ffffff") if light else text_color)
            p.drawText(inner, Qt.AlignmentFlag.AlignVCenter, shown)
        return point and bool(item.label)

    def _paint_point_labels(
        self, p: QPainter, points: list[Item], visible: list[Item], text_color: QColor
    ) -> None:
        """Points' labels, once every bar is drawn: beside their marker, over no other
        label and no other item of their lane (a short audio gap drawn after a notice
        cut through its label); with no room either side, the label is in the hover
        text. Each lane's items are two arrays of x, so a check is one numpy test."""
        spans: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        where: dict[int, int] = {}  # an item's place in its lane's arrays
        for lane in {item.lane for item in points}:
            items = [i for i in visible if i.lane == lane]
            where.update((id(i), n) for n, i in enumerate(items))
            rects = [self.item_rect(i) for i in items]
            spans[lane] = (
                np.array([r.left() for r in rects]),
                np.array([r.right() for r in rects]),
            )
        p.setPen(text_color)
        for item in points:
            x0, x1 = spans[item.lane]
            mine = where[id(item)]

            def taken(box: QRectF, x0=x0, x1=x1, mine=mine) -> bool:
                over = (x0 < box.right()) & (x1 > box.left())
                over[mine] = False
                return bool(over.any()) or any(box.intersects(o) for o in self.labels_drawn)

            box = self.point_label_rect(item, taken)
            if taken(box):
                continue
            self.labels_drawn.append(box)
            p.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, item.label)

    def point_label_rect(
        self, item: Item, taken: Callable[[QRectF], bool] = lambda _box: False
    ) -> QRectF:
        """Where a point's label goes: right of the marker, or left of it when the view's
        edge is near ("dropped: end_call_action" at the end) or when the right side is
        `taken` (by a label or another item) and the left is not."""
        metrics = QFontMetricsF(self._font(-1))
        rect = self.item_rect(item)
        width = metrics.horizontalAdvance(item.label) + 2
        right = QRectF(rect.right() + 3, rect.top(), width, metrics.height())
        left = QRectF(
            max(self.left + 2, rect.left() - 3 - width), rect.top(), width, right.height()
        )
        if right.right() > self.width() - 4:
            return left
        room_left = rect.left() - 3 - width >= self.left + 2
        return left if taken(right) and room_left and not taken(left) else right

    def _paint_latency(self, p: QPainter, lat: Latency) -> None:
        """The bracket; its label is drawn once the points' labels are placed."""
        y = self.lane_y(lat.lane) + self.lane_h - 2
        x0, x1 = self.x_of(lat.start), self.x_of(lat.end)
        p.setPen(QPen(QColor(COLORS["latency"][1]), 1))
        p.drawLine(QPointF(x0, y), QPointF(x1, y))
        p.drawLine(QPointF(x0, y - 4), QPointF(x0, y))
        p.drawLine(QPointF(x1, y - 4), QPointF(x1, y))

    def latency_label_rect(self, lat: Latency, avoid: Sequence[QRectF] = ()) -> QRectF:
        """Under its bracket when wide enough, else left of its start; always inside, and
        beside (not over) the labels in `avoid`: in a short lane the drop's label and
        "goodbye end → drop" would share a line."""
        metrics = QFontMetricsF(self._font(-1))
        y = self.lane_y(lat.lane) + self.lane_h - 2
        x0, x1 = self.x_of(lat.start), self.x_of(lat.end)
        width = metrics.horizontalAdvance(lat.label) + 2
        x = (x0 + x1 - width) / 2 if x1 - x0 > width + 4 else x0 - width - 3
        box = self._inside(QRectF(x, y - 4 - metrics.height(), width, metrics.height()))
        for _ in range(len(avoid)):
            hit = [other for other in avoid if box.intersects(other)]
            if not hit:
                break
            left = min(other.left() for other in hit) - width - LABEL_GAP
            if left >= self.left + 2:
                box.moveLeft(left)
            else:
                box.moveLeft(max(other.right() for other in hit) + LABEL_GAP)
            box = self._inside(box)
        return box

    def _inside(self, box: QRectF) -> QRectF:
        box.moveLeft(min(max(box.left(), self.left + 2), self.width() - box.width() - 4))
        return box

    def bar_text(self, item: Item, width: float, metrics) -> str:
        """What fits inside a bar of this width: its label, cut at the right; a goodbye's
        measured verdict ("— heard to its end", "— CLIPPED") is kept whole and the words
        before it are cut instead, since the verdict is what the tester looks for."""
        label = f"{item.label} …" if item.live else item.label
        right = Qt.TextElideMode.ElideRight
        if item.style in ("audible", "clipped") and " — " in label:
            words, verdict = label.rsplit(" — ", 1)
            tail = f" — {verdict}"
            room = int(width - metrics.horizontalAdvance(tail))
            if room >= metrics.horizontalAdvance("Thank…"):
                return metrics.elidedText(words, right, room) + tail
            return metrics.elidedText(verdict, right, int(width))
        return metrics.elidedText(label, right, int(width))
