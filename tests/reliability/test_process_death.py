"""SIGKILL at random moments of a real call (audio on virtual devices), many times.

After every kill the session must open, its events must hold every line the call had
reported as written (in order, to the last flushed line), and the recording must hold
all but at most the last second of what the call had reached.

ENDCALL_RELIABILITY=full kills 50 calls instead of 4; ENDCALL_KILL_SEED repeats a run.
Every run draws a new seed (so runs over time try new moments), prints it first, and
names it in any failure, with the run and the kill moment: "repeat with
ENDCALL_KILL_SEED=5563 (run 3, killed 7.412 s after the start)".
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import soundfile as sf

from console.core.eventlog import read_events
from console.session.layout import RECORDING_FILE
from console.session.reader import open_session, recover
from tests.conftest import ROOT
from tests.reliability.budget import budget

RUNS = budget(4, 50)
SEED = int(os.environ.get("ENDCALL_KILL_SEED", random.randrange(1_000_000)))
CALL_S = 15.5  # how long the child runs, start to close (measured: 2.7 s of it starting up)


class Child:
    def __init__(self, mic: str, speaker: str, folder: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.kill_child", mic, speaker, str(folder)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def kill(self) -> list[str]:
        """SIGKILL; every complete line it had printed before."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._reader.join(10)  # the pipe ends with the child: every line it wrote is read
        assert not self._reader.is_alive(), "the child's output never ended"
        said = []
        while not self.lines.empty():
            said.append(self.lines.get())
        return said


def check_session(folder: Path, said: list[str], seed_note: str) -> str:
    session = open_session(folder)  # never raises
    assert session.meta, f"{seed_note}: meta unreadable: {session.problems}"
    closed = "closed" in said
    if closed:
        assert session.status == "complete", (seed_note, session.status, session.problems)
    else:
        assert session.status == "crashed", (seed_note, session.status)
        recover(session)
        session = open_session(folder)
        assert session.status == "recovered", seed_note
    events, problems = read_events(folder / "events.jsonl")
    assert problems == [], (seed_note, problems)  # recovery removed a half-written line
    reported = [line.split()[1:] for line in said if line.startswith("event ")]
    on_disk = [[e.kind, f"{e.t:.6f}"] for e in events]
    assert on_disk[: len(reported)] == reported, f"{seed_note}: events lost"
    reached = max((float(line.split()[1]) for line in said if line.startswith("clock ")), default=0)
    drop = next((e.t for e in events if e.kind == "line_dropped"), None)
    if drop is not None:
        reached = min(reached, drop)
    wav = folder / RECORDING_FILE
    if reached > 1.0:
        info = sf.info(str(wav))
        assert info.channels == 2
        data, rate = sf.read(str(wav))
        kept = len(data) / rate
        assert kept >= reached - 1.0, f"{seed_note}: {kept:.2f} s kept of {reached:.2f} s"
    return "complete" if closed else "crashed"


def test_random_kills_lose_nothing_flushed(virtual_audio, tmp_path):
    rng = random.Random(SEED)
    print(f"ENDCALL_KILL_SEED={SEED}", flush=True)
    outcomes: list[str] = []
    where = "before the first run"
    try:
        for run in range(RUNS):
            sessions = tmp_path / f"run{run}"
            sessions.mkdir()
            # Spread the kills over the whole life of the process: starting up, the
            # greeting, the turns and an edit, the goodbye, the drop, and after the close.
            delay = rng.uniform(0.3, CALL_S + 2.0)
            where = f"run {run}, killed {delay:.3f} s after the start"
            note = f"ENDCALL_KILL_SEED={SEED} {where}"
            child = Child(virtual_audio.mic, virtual_audio.speaker, sessions)
            time.sleep(delay)  # the kill moment itself: drawn from the seed
            said = child.kill()
            folder = next(
                (Path(x.split(" ", 1)[1]) for x in said if x.startswith("session ")), None
            )
            if folder is None:  # killed while starting: whatever is there must open
                for f in sessions.iterdir():
                    open_session(f)
                outcomes.append("before the session")
                continue
            outcomes.append(check_session(folder, said, note))
        print(f"seed {SEED}: {outcomes}")
        if RUNS >= 4:
            assert "crashed" in outcomes, f"no kill landed mid-call: {outcomes}"
    except BaseException as exc:
        # Whatever failed (an assertion, an exception while reading what was left), the
        # message says how to repeat exactly this run.
        raise AssertionError(
            f"repeat with ENDCALL_KILL_SEED={SEED} ({where}): {type(exc).__name__}: {exc}"
        ) from exc
