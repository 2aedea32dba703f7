"""Timeline paint time with 10,000 events: whole call fitted, and zoomed in.

    python -m bench.timeline_paint [--json] [--frames N]

Target: a frame in 16 ms or less. Frames are rendered offscreen into an image the size
of a laptop's timeline panel.
"""

from __future__ import annotations

import argparse
import os
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from bench.common import report, summary
    from console.core import events as ev
    from console.ui.timeline import TimelineView

    app = QApplication.instance() or QApplication([])
    view = TimelineView()
    view.resize(1200, 320)
    kinds = [
        lambda t, k: ev.CallerSpeech(
            t=t, config_version=1, seq=k, text=f"caller line {k}", start=t, end=t + 1.2, turn=k
        ),
        lambda t, k: ev.AgentSpeech(
            t=t, config_version=1, seq=k, text=f"agent line {k}", start=t, end=t + 1.5
        ),
        lambda t, k: ev.ConfigChanged(
            t=t, config_version=k, seq=k, field="end_call.name", old="a", new="b", version=k
        ),
        lambda t, k: ev.Notice(
            t=t, config_version=1, seq=k, level="warning", source="audio", message="input overflow"
        ),
    ]
    view.add_event(ev.CallStarted(t=0.0, config_version=1, agent_backend="offline"))
    for k in range(args.events):
        view.model.add_event(kinds[k % len(kinds)](k * 0.9, k))
    image = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)

    def frame_ms() -> float:
        t0 = time.perf_counter()
        view.render(image)
        return (time.perf_counter() - t0) * 1000

    rows = []
    for label, setup in (
        ("whole call fitted", view.fit),
        ("zoomed to 20 s", lambda: (setattr(view, "px_per_s", 56.0), setattr(view, "t0", 4000.0))),
    ):
        setup()
        frame_ms()  # warm-up
        times = [frame_ms() for _ in range(args.frames)]
        s = summary(times)
        rows.append(
            {
                "view": label,
                "events": args.events,
                "median_ms": s["median"],
                "p95_ms": s["p95"],
                "budget_ms": 16.0,
                "median/budget": s["median"] / 16.0,
            }
        )
    report("Timeline paint (offscreen, 1200x320)", rows, args.json)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
