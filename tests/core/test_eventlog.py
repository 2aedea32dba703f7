from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from console.core import events as ev
from console.core.eventlog import EventLog, read_events, read_jsonl
from tests.conftest import ROOT


def test_events_round_trip(tmp_path):
    log = EventLog(tmp_path / "events.jsonl")
    originals = [
        ev.CallStarted(t=0.0, config_version=1, seq=1, agent_backend="offline"),
        ev.CallerSpeech(
            t=1.0, config_version=1, seq=2, text="no thanks", start=1.0, end=1.5, turn=1
        ),
        ev.ActionInvoked(
            t=1.7, config_version=2, seq=3, action_name="end_call", why="rule", latency_s=0.2
        ),
        ev.ConfigChanged(
            t=1.8,
            config_version=2,
            seq=4,
            field="agent.variables",
            old={},
            new={"a": "b"},
            version=2,
        ),
    ]
    for e in originals:
        log(e)
    log.close()
    events, problems = read_events(tmp_path / "events.jsonl")
    assert problems == [] and events == originals


def test_every_event_is_on_disk_as_soon_as_it_is_logged(tmp_path):
    log = EventLog(tmp_path / "events.jsonl")
    log(ev.Notice(t=0.5, config_version=1, level="warning", source="audio", message="x"))
    # Read through a separate handle without closing the writer.
    assert len(read_jsonl(tmp_path / "events.jsonl").records) == 1


def test_truncated_last_line_is_reported_not_fatal(tmp_path):
    path = tmp_path / "events.jsonl"
    good = json.dumps(
        ev.Notice(t=0, config_version=1, level="warning", source="a", message="m").to_dict()
    )
    path.write_text(good + "\n" + good[: len(good) // 2])
    events, problems = read_events(path)
    assert len(events) == 1
    assert problems and "cut short" in problems[0]


def test_corrupt_lines_are_reported_by_number(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"kind": "nope", "t": 0}\n\xff\xfe\n[1,2]\n')
    events, problems = read_events(path)
    assert events == []
    assert any(p.startswith("line 2") for p in problems)
    assert any(p.startswith("line 3") for p in problems)
    assert any("unknown event kind" in p for p in problems)


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from console.agent.offline import OfflineAgent
    from console.core.clock import MonotonicClock
    from console.core.config import ConfigStore
    from console.core.engine import CallEngine
    from console.session.writer import SessionWriter

    class Voice:
        def play(self, utt): pass
        def stop(self, uid): pass
        def line_dropped(self): pass

    store = ConfigStore()
    clock = MonotonicClock()
    writer = SessionWriter(Path(sys.argv[1]), store)
    engine = CallEngine(store, OfflineAgent(), clock, Voice(),
                        [writer, lambda e: print(e.seq, flush=True)])
    engine.place_call()
    n = 0
    while True:   # a caller who never stops talking, until the process is killed
        n += 1
        t = clock.now()
        engine.caller_utterance(f"line {n}", t, t)
        time.sleep(0.002)
    """
)


def test_event_log_survives_sigkill_mid_call(tmp_path):
    folder = tmp_path / "session"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    last_seen = 0
    deadline = time.monotonic() + 60
    while last_seen < 200 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        last_seen = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert last_seen >= 200, "the child call did not get going"
    events, problems = read_events(folder / "events.jsonl")
    # Everything the child had logged before it printed is on disk, in order.
    assert [e.seq for e in events[:last_seen]] == list(range(1, last_seen + 1))
    assert all("cut short" in p for p in problems)  # at most a half-written last line
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "recording"  # it never closed, and says so
    configs = read_jsonl(folder / "config_versions.jsonl").records
    assert configs[0]["version"] == 1
