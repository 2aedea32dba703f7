"""Months of calls: the session browser and the window's start with 20,000 sessions.

    python -m bench.sessions_index [--sessions N] [--runs N] [--no-old] [--json]

Generates N session folders (real sessions of four example scenarios, copied with their
own session.json: names, bug marks on 1 in 20, two agent backends), then measures:

- building the index from the folders (once, the first listing);
- opening the browser: construction to the list painted (goal: under 0.3 s), and the
  folder check that follows on a worker thread (not in the way of the tester);
- a filter and a sort (SQL on the index);
- the window's start to its first paint, with an empty sessions folder and with the N
  sessions (goal: unchanged), and to the end of its crash scan (on a worker thread);
- with --old (the default), what the browser did before the index: opening every folder
  (`list_sessions`), once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = (
    "01-seed-no-to-ready.yaml",
    "09-edit-skip-goodbye-mid-call.yaml",
    "07-renamed-action.yaml",
    "10-silence-timeout.yaml",
)

START_CHILD = """
import sys, time
t0 = float(sys.argv[1])
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from console.ui.main_window import MainWindow
w = MainWindow(sessions_dir=Path(sys.argv[2]), load_model=False)
marks = {}
def finish():
    if len(marks) == 2:  # painted, and the crash scan reported (either order)
        print(f"{marks['paint']:.4f} {marks['scan']:.4f}", flush=True)
        QTimer.singleShot(0, app.quit)
def done(scan):
    marks["scan"] = time.time() - t0
    finish()
w.sessions.recovery_done.connect(done)
orig = w.timeline.paintEvent
def paint(e):
    orig(e)
    if "paint" not in marks:
        marks["paint"] = time.time() - t0
        finish()
w.timeline.paintEvent = paint
w.show()
w.offer_recovery()
QTimer.singleShot(300_000, app.quit)
app.exec()
"""


def generate(root: Path, n: int) -> None:
    """N session folders, as the console writes them, fast: hard links to the events and
    configs of real sessions, and a session.json of their own."""
    from console.scenario.model import load_scenario
    from console.scenario.runner import run_scenario

    seeds = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in TEMPLATES:
            scenario, config = load_scenario(ROOT / "assets" / "scenarios" / name)
            folder = run_scenario(scenario, config, sessions_dir=Path(tmp)).session_dir
            meta = json.loads((folder / "session.json").read_text())
            keep = root / ".templates" / folder.name
            shutil.copytree(folder, keep)
            seeds.append((keep, meta))
    root.mkdir(parents=True, exist_ok=True)
    day = 20260101
    for i in range(n):
        template, meta = seeds[i % len(seeds)]
        stamp = f"{day + (i // 2000) % 28:08d}-{(i % 2000) // 60 % 24:02d}{i % 60:02d}{i % 60:02d}"
        folder = root / f"{stamp}-call-{i:05d}"
        folder.mkdir()
        for part in ("events.jsonl", "config_versions.jsonl"):
            os.link(template / part, folder / part)
        own = dict(meta, name=f"call {i:05d} ({meta.get('scenario', 'gui call')})")
        own["agent_backend"] = "llm" if i % 3 == 0 else "offline"
        if i % 20 == 0:
            own["bug"] = {"marked": True, "note": f"goodbye too slow, #{i}"}
        (folder / "session.json").write_text(json.dumps(own))


def browser_open(root: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from constructing the browser to its list painted, and to the end of the
    folder check on its worker thread."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from console.ui.sessions import SessionBrowser

    app = QApplication.instance() or QApplication([])
    shown, checked = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        browser = SessionBrowser(root)
        browser.show()
        browser.table.viewport().repaint()  # the list painted, now (synchronous)
        painted = time.perf_counter()
        loop = QEventLoop()
        browser.refreshed.connect(lambda _done, loop=loop: loop.quit())
        QTimer.singleShot(120_000, loop.quit)
        if not browser.checked:
            loop.exec()
        done = time.perf_counter()
        assert browser.model.rowCount() > 0
        shown.append(painted - t0)
        checked.append(done - t0)
        browser.close()
        browser.deleteLater()
        app.processEvents()
    return shown, checked


def window_start(folder: Path, runs: int) -> tuple[list[float], list[float]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="bench-config-")
    paint, scan = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", START_CHILD, f"{time.time():.6f}", str(folder)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        first, second = out.stdout.strip().splitlines()[-1].split()
        paint.append(float(first))
        scan.append(float(second))
    return paint, scan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-old", action="store_true", help="skip the old full read")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="bench-config-"))
    from bench.common import report
    from console.session.store import Query, SessionStore

    work = Path(tempfile.mkdtemp(prefix="bench-sessions-"))
    root, empty = work / "sessions", work / "empty"
    empty.mkdir()
    rows = []
    try:
        t0 = time.perf_counter()
        generate(root, args.sessions)
        made = time.perf_counter() - t0
        store = SessionStore(root)
        t0 = time.perf_counter()
        built = store.refresh()
        build_s = time.perf_counter() - t0
        assert built.read == args.sessions, built
        rows.append(_row("generate the session folders (setup)", [made]))
        rows.append(_row("build the index from every folder (first listing)", [build_s]))
        t0 = time.perf_counter()
        store.refresh()
        rows.append(_row("check the folders against the index (nothing changed)", [
            time.perf_counter() - t0]))  # fmt: skip

        shown, checked = browser_open(root, args.runs)
        rows.append(_row("browser: open to the list painted", shown, "<= 0.3 s"))
        rows.append(_row("browser: open to the folder check done (worker thread)", checked))
        for label, query in (
            ("filter: bug marked (SQL)", Query(bug=True)),
            ("filter: ended by timeout, agent llm", Query(ended_by="timeout", backend="llm")),
            ("sort: by duration, longest first", Query(sort="duration")),
            ("search: a name", Query(text="call 1234")),
        ):
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                store.rows(query)
                times.append(time.perf_counter() - t0)
            rows.append(_row(label, times))

        # Empty and full, one after the other in each round: a busy machine slows both.
        starts: dict[Path, tuple[list[float], list[float]]] = {empty: ([], []), root: ([], [])}
        for _ in range(args.runs):
            for folder in (empty, root):
                paint, scan = window_start(folder, 1)
                starts[folder][0].extend(paint)
                starts[folder][1].extend(scan)
        for label, folder in (
            ("empty sessions folder", empty),
            (f"{args.sessions:,} sessions", root),
        ):
            paint, scan = starts[folder]
            rows.append(_row(f"window start to first paint, {label}", paint, "unchanged"))
            rows.append(_row(f"window start to crash scan done, {label} (worker)", scan))

        if not args.no_old:
            from console.session.reader import list_sessions

            t0 = time.perf_counter()
            listed = list_sessions(root)
            rows.append(_row("before the index: open every folder (list_sessions)", [
                time.perf_counter() - t0]))  # fmt: skip
            assert len(listed) >= args.sessions
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(f"Sessions: browser and window start with {args.sessions:,} sessions", rows, args.json)
    return 0


def _row(measure: str, values: list[float], goal: str = "report") -> dict:
    from bench.common import summary

    s = summary(values)
    return {
        "measure": measure,
        "median_s": s["median"],
        "p95_s": s["p95"],
        "n": s["n"],
        "goal": goal,
    }


if __name__ == "__main__":
    raise SystemExit(main())
