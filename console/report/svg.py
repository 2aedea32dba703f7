"""The timeline as an SVG picture, in the app's colours, for reports (no Qt needed)."""

from __future__ import annotations

from console.core import events as ev
from console.report.colors import COLORS, LANE_TITLES, LANES
from console.report.escape import html_text as escape

LANE_H, GAP, TOP, LEFT, WIDTH = 26, 6, 24, 80, 1000


def timeline_svg(events: list[ev.Event], t0: float = 0.0, t1: float | None = None) -> str:
    end = t1 if t1 is not None else max((getattr(e, "end", e.t) for e in events), default=1.0)
    span = max(end - t0, 0.5)
    scale = (WIDTH - LEFT - 110) / span  # room on the right for the last marker's label

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
    for lane in LANES:
        out.append(
            f'<rect x="0" y="{y(lane)}" width="{WIDTH}" height="{LANE_H}" '
            'fill="#000" fill-opacity="0.04"/>'
        )
        out.append(f'<text x="6" y="{y(lane) + 17}" fill="#222">{LANE_TITLES[lane]}</text>')

    def box(lane: str, a: float, b: float, label: str, title: str, cut: bool = False) -> None:
        fill, edge = COLORS[lane]
        x0, w = x(a), max(3.0, (b - a) * scale)
        out.append(
            f'<g><title>{escape(title)}</title><rect x="{x0:.1f}" y="{y(lane) + 3}" '
            f'width="{w:.1f}" height="{LANE_H - 6}" rx="3" fill="{fill}" '
            f'stroke="{edge}"/>'
        )
        if cut:
            out.append(
                f'<rect x="{x0 + w - 3:.1f}" y="{y(lane) + 3}" width="3" '
                f'height="{LANE_H - 6}" fill="#000"/>'
            )
        if w > 40:
            clip = label if len(label) * 6 < w - 8 else label[: max(1, int((w - 8) / 6) - 1)] + "…"
            out.append(
                f'<text x="{x0 + 4:.1f}" y="{y(lane) + 17}" fill="#fff">{escape(clip)}</text>'
            )
        out.append("</g>")

    def mark(lane: str, t: float, label: str, title: str) -> None:
        fill, edge = COLORS[lane]
        out.append(
            f'<g><title>{escape(title)}</title><rect x="{x(t) - 2:.1f}" '
            f'y="{y(lane) + 3}" width="4" height="{LANE_H - 6}" fill="{fill}" '
            f'stroke="{edge}"/><text x="{x(t) + 5:.1f}" y="{y(lane) + 17}" '
            f'fill="#222">{escape(label)}</text></g>'
        )

    start = next((e.t for e in events if isinstance(e, ev.CallStarted)), 0.0)
    drop = next((e for e in events if isinstance(e, ev.LineDropped)), None)
    line_y = y("line") + LANE_H / 2
    out.append(
        f'<line x1="{x(start):.1f}" y1="{line_y}" x2="{x(drop.t if drop else end):.1f}" '
        f'y2="{line_y}" stroke="{COLORS["line"][1]}" stroke-width="4"/>'
    )
    for e in events:
        if isinstance(e, ev.CallerSpeech):
            box("caller", e.start, e.end, e.text, f"caller: {e.text}")
        elif isinstance(e, ev.AgentSpeech):
            box("agent", e.start, e.end, e.text, f"agent: {e.text}", e.cut_short)
        elif isinstance(e, ev.Goodbye):
            box("goodbye", e.start, e.end, e.text, f"goodbye: {e.text}", e.cut_short)
        elif isinstance(e, ev.ActionInvoked):
            mark("action", e.t, e.action_name, f"{e.action_name}: {e.why}")
        elif isinstance(e, ev.LineDropped):
            mark("line", e.t, f"dropped: {e.reason}", e.detail or e.reason)
        elif isinstance(e, ev.ConfigChanged):
            mark("config", e.t, f"v{e.version}", f"{e.field}: {e.old!r} -> {e.new!r}")
        elif isinstance(e, ev.ModelCall):
            box(
                "model",
                e.t,
                e.t + e.total_s,
                f"{e.purpose} {e.total_s:.2f} s",
                f"{e.purpose}: {e.text} {e.tool_calls} {e.error}",
                bool(e.error),
            )
        elif isinstance(e, ev.Notice):
            mark("notes", e.t, e.level, e.message)
    out.append("</svg>")
    return "\n".join(out)
