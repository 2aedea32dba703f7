"""App start to the window's first paint, no speech model loading (offscreen Qt).

python -m bench.startup [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from console.ui.main_window import MainWindow
w = MainWindow(load_model=False)
painted = []
orig = w.timeline.paintEvent
def paint(e):
    orig(e)
    if not painted:
        painted.append(time.time() - t0)
        print(f"{painted[0]:.4f}", flush=True)
        QTimer.singleShot(0, app.quit)
w.timeline.paintEvent = paint
w.show()
app.exec()
"""


def main(argv: list[str] | None = None) -> int:
    from bench.common import report, summary

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    times = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, f"{time.time():.6f}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    s = summary(times)
    report(
        "App start -> window shown (process start to first paint, offscreen)",
        [
            {
                "measure": "start to first paint",
                "median_s": s["median"],
                "p95_s": s["p95"],
                "runs": s["n"],
            }
        ],
        args.json,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
