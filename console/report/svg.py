"""The timeline as an SVG picture, in the app's colours, for reports (no Qt needed).

It draws the same items as the window (console/report/timeline_model.py): speech and the
goodbye as bars, a skipped goodbye as a hollow marker, the named latencies, caller words
after the action as hollow bars, the goodbye's audibility on its bar, and, when the call
was recorded, both channels' waveforms inside their lanes. Labels near the right edge are
drawn to the left of their marker, so none is cut.
"""

from __future__ import annotations

from console.audio.envelope import Envelope
from console.core import events as ev
from console.report.colors import COLORS, LANE_TITLES, LANES
from console.report.escape import html_text as escape
from console.report.timeline_model import Item, TimelineModel

LANE_H, GAP, TOP, LEFT, WIDTH = 36, 6, 24, 80, 1000
CHAR_W = 6.3  # an 11 px sans-serif character, near enough to place labels


def text_width(label: str) -> float:
    return len(label) * CHAR_W


def timeline_svg(
    events: list[ev.Event],
    t0: float = 0.0,
    t1: float | None = None,
    waveforms: dict[str, Envelope] | None = None,
) -> str:
    model = TimelineModel()
    for e in sorted(events, key=lambda e: e.seq):
        model.add_event(e)
    end = t1 if t1 is not None else max(model.end, 1.0)
    span = max(end - t0, 0.5)
    scale = (WIDTH - LEFT - 12) / span

    def x(t: float) -> float:
        return LEFT + (t - t0) * scale

    def y(lane: str) -> int:
        return TOP + LANES.index(lane) * (LANE_H + GAP)

    height = TOP + len(LANES) * (LANE_H + GAP) + 6
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    _ruler(out, t0, end, span, x, height)
    for lane in LANES:
        out.append(
            f'<rect x="0" y="{y(lane)}" width="{WIDTH}" height="{LANE_H}" '
            'fill="#000" fill-opacity="0.04"/>'
        )
        out.append(f'<text x="6" y="{y(lane) + 22}" fill="#222">{LANE_TITLES[lane]}</text>')
    out.append(f'<clipPath id="lanes"><rect x="{LEFT}" y="0" width="{WIDTH}" height="{height}"/>')
    out.append('</clipPath><g clip-path="url(#lanes)">')
    goodbyes = [(i.start, i.end) for i in model.items if isinstance(i.event, ev.Goodbye) and i.lane]
    for lane, envelope in (waveforms or {}).items():
        _waveform(out, lane, envelope, t0, end, x, y, goodbyes)
    if model.connected is not None:
        line_y = y("line") + LANE_H / 2
        stop = model.dropped if model.dropped is not None else end
        out.append(
            f'<line x1="{x(model.connected):.1f}" y1="{line_y}" x2="{x(stop):.1f}" '
            f'y2="{line_y}" stroke="{COLORS["line"][1]}" stroke-width="4"/>'
        )
    shown = bool(waveforms)
    for item in model.items:
        if item.end < t0 or item.start > end:
            continue
        if item.end > item.start:
            _bar(out, item, x, y, scale, see_through=shown and item.lane in ("caller", "agent"))
        else:
            _mark(out, item, x, y)
    for lat in model.latencies:
        if lat.end >= t0 and lat.start <= end:
            _latency(out, lat.start, lat.end, lat.label, lat.tooltip, y(lat.lane), x)
    out.append("</g></svg>")
    return "\n".join(out)


def _ruler(out: list[str], t0: float, end: float, span: float, x, height: int) -> None:
    step = next(
        s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1e9) if span / s <= 12
    )
    t = (int(t0 / step)) * step
    while t <= end:
        if t >= t0:
            out.append(
                f'<line x1="{x(t):.1f}" y1="{TOP - 6}" x2="{x(t):.1f}" y2="{height}" '
                'stroke="#e4e4e4"/>'
            )
            out.append(f'<text x="{x(t) + 2:.1f}" y="{TOP - 9}" fill="#444">{t:g} s</text>')
        t += step


def _bar(out: list[str], item: Item, x, y, scale: float, see_through: bool) -> None:
    fill, edge = COLORS[item.lane]
    x0, w = x(item.start), max(3.0, (item.end - item.start) * scale)
    hollow = see_through or item.style in ("after_action", "skipped")
    stroke, width = (COLORS["action"][1], 3) if item.style == "clipped" else (edge, 1)
    opacity = ' fill-opacity="0.25"' if hollow else ""
    out.append(
        f'<g><title>{escape(item.tooltip)}</title><rect x="{x0:.1f}" y="{y(item.lane) + 4}" '
        f'width="{w:.1f}" height="{LANE_H - 8}" rx="3" fill="{fill}"{opacity} '
        f'stroke="{stroke}" stroke-width="{width}"/>'
    )
    if item.cut:
        out.append(
            f'<rect x="{x0 + w - 3:.1f}" y="{y(item.lane) + 4}" width="3" '
            f'height="{LANE_H - 8}" fill="#000"/>'
        )
    if w > 40:
        label = item.label
        if text_width(label) > w - 8:
            label = label[: max(1, int((w - 8) / CHAR_W) - 1)] + "…"
        color = "#222" if hollow else "#fff"
        out.append(
            f'<text x="{x0 + 4:.1f}" y="{y(item.lane) + 22}" fill="{color}">{escape(label)}</text>'
        )
    out.append("</g>")


def _mark(out: list[str], item: Item, x, y) -> None:
    fill, edge = COLORS[item.lane]
    at = x(item.start)
    width = text_width(item.label)
    # Beside the marker, on whichever side has room: never cut at the picture's edge.
    top = y(item.lane) + 14  # the upper half: latency labels take the lower one
    if at + 5 + width <= WIDTH - 4:
        text = f'<text x="{at + 5:.1f}" y="{top}" fill="#222">'
    else:
        text = f'<text x="{at - 5:.1f}" y="{top}" fill="#222" text-anchor="end">'
    opacity = ' fill-opacity="0.3"' if item.style == "skipped" else ""
    out.append(
        f'<g><title>{escape(item.tooltip)}</title><rect x="{at - 2:.1f}" '
        f'y="{y(item.lane) + 4}" width="4" height="{LANE_H - 8}" fill="{fill}"{opacity} '
        f'stroke="{edge}"/>{text}{escape(item.label)}</text></g>'
    )


def _latency(out: list[str], a: float, b: float, label: str, tip: str, lane_y: int, x) -> None:
    y = lane_y + LANE_H - 1
    x0, x1 = x(a), x(b)
    width = text_width(label)
    tx = (x0 + x1 - width) / 2 if x1 - x0 > width + 4 else x0 - width - 3
    tx = min(max(tx, LEFT + 2), WIDTH - width - 4)
    edge = COLORS["latency"][1]
    out.append(
        f'<g><title>{escape(tip)}</title><path d="M{x0:.1f},{y - 4} V{y} H{x1:.1f} V{y - 4}" '
        f'fill="none" stroke="{edge}"/><text x="{tx:.1f}" y="{y - 3}" fill="#444" '
        f'font-size="10">{escape(label)}</text></g>'
    )


def _waveform(
    out: list[str],
    lane: str,
    envelope: Envelope,
    t0: float,
    t1: float,
    x,
    y,
    goodbyes: list[tuple[float, float]],
) -> None:
    """One vertical stroke per pixel column; the agent's goodbye goes in the Goodbye lane."""
    columns = WIDTH - LEFT
    lo, hi = envelope.columns(t0, t0 + (t1 - t0) * columns / (WIDTH - LEFT - 12), columns)
    paths: dict[str, list[str]] = {}
    for i in range(columns):
        if hi[i] == 0.0 and lo[i] == 0.0:
            continue
        t = t0 + (t1 - t0) * i / (WIDTH - LEFT - 12)
        row = lane
        if lane == "agent" and any(a <= t <= b for a, b in goodbyes):
            row = "goodbye"
        mid, half = y(row) + LANE_H / 2, LANE_H / 2 - 2
        top = mid - min(1.0, float(hi[i])) * half
        bottom = max(top + 1, mid - max(-1.0, float(lo[i])) * half)
        paths.setdefault(row, []).append(f"M{LEFT + i},{top:.1f}V{bottom:.1f}")
    for row, segments in paths.items():
        out.append(
            f'<path d="{"".join(segments)}" stroke="{COLORS[row][1]}" stroke-opacity="0.7" '
            'fill="none"/>'
        )
