"""`python -m bench.under_load`: does the timeline agree with the recording on a busy
machine, and is any of the agent's audio lost?

Real calls on the virtual devices (PulseAudio, started here), idle and then with busy
processes loading every core (a tester screen-recording a demo). For every agent line the
samples handed to the player are found again in the recording's agent channel by
cross-correlation: the error is where the line's first 300 ms (or its part before the
first stall) sit against where the timeline says it started; audio lost is its sound
missing from between its start and end on the timeline. Stalls (the sound server pausing
playback) are counted and shown on the timeline as audio gaps.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

BUSY = "while True:\n    sum(i * i for i in range(10000))\n"
PROMPT = """1. Ask "Do you have a minute to talk about your energy bill today?"
2. Ask "Do you own the house you live in, or do you rent it from someone?"
3. Ask "Would you like us to send you a free estimate by email this week?"
   If the contact responds no, call end_call and say "No problem, thanks for your time, goodbye."
"""


def locate(recording: np.ndarray, line: np.ndarray, near: int, rate: int, search_s=1.5) -> int:
    lo = max(0, near - int(search_s * rate))
    hi = min(len(recording), near + len(line) + int(search_s * rate))
    window = recording[lo:hi]
    size = 1 << (len(window) + len(line) - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(window, size) * np.conj(np.fft.rfft(line, size)), size)
    return lo + int(np.argmax(corr[: len(window)]))


def one_call(audio, folder: Path) -> tuple[list[float], list[float], int, int]:
    """(onset errors in s, audio lost per line in s, playback stalls, flagged underflow
    and overflow runs) of one scripted call."""
    import soundfile as sf

    from console.audio.player import Player
    from console.core import events as ev
    from console.core.config import ConfigStore, parse_config
    from console.live.call import LiveCall, LiveOptions

    played: dict[int, np.ndarray] = {}
    original = Player.play

    def keep(self, uid, samples, more=False):
        piece = np.asarray(samples, np.float32)
        played[uid] = np.concatenate([played.get(uid, piece[:0]), piece])
        original(self, uid, samples, more)

    Player.play = keep  # type: ignore[method-assign]
    events: list = []
    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "name": "Sam",
                    "greeting": "Hi, this is Sam from Acme Solar, calling about your bill.",
                    "main_prompt": PROMPT,
                    "turn_taking": {"response_delay_ms": 0},
                }
            }
        )
    )
    call = LiveCall(
        store,
        LiveOptions(
            input_device=audio.mic,
            output_device=audio.speaker,
            sessions_dir=folder,
            recognise=False,
        ),
        listeners=[events.append],
    )
    try:
        call.start()
        for n, line in enumerate(("Yes.", "I own it.", "No.")):
            while not any(isinstance(e, ev.AgentSpeech) and e.turn == n for e in events):
                if call.wait(0.02):
                    break
            call.say(line)
        call.wait(60)
    finally:
        call.close()
        Player.play = original  # type: ignore[method-assign]
    data, rate = sf.read(str(call.session_dir / "recording.wav"), dtype="float32", always_2d=True)
    agent = data[:, 1]
    # The playback's stalls (the clock re-anchored), not the flagged underflows beside
    # them (console/audio/xruns.py), which move nothing in the recording.
    gaps = [
        e for e in events if isinstance(e, ev.AudioGap) and e.stream == "output" and not e.cause
    ]
    errors, lost = [], []
    for e in events:
        if not isinstance(e, ev.AgentSpeech | ev.Goodbye) or e.utterance_id not in played:
            continue
        line = played[e.utterance_id]
        first_gap = min((g.t for g in gaps if e.start < g.t < e.end), default=e.end)
        head = line[: int(min(0.3, first_gap - e.start) * rate)]
        if len(head) >= 0.05 * rate:
            errors.append(abs(locate(agent, head, round(e.start * rate), rate) / rate - e.start))
        span = agent[max(0, round(e.start * rate) - 160) : round(e.end * rate) + 160]
        # Loud samples (int16 in the file: the played ones are counted a little louder).
        sound = np.count_nonzero(np.abs(line) > 0.012) - np.count_nonzero(np.abs(span) > 0.01)
        lost.append(max(0, sound) / rate)
    xruns = sum(1 for e in events if isinstance(e, ev.AudioGap) and e.cause)
    return errors, lost, len(gaps), xruns


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=3, help="calls per condition")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from bench.common import pct, report
    from console.audio.virtual import VirtualAudioServer

    server = VirtualAudioServer()
    audio = server.start()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for condition in ("idle", "loaded"):
                procs = []
                if condition == "loaded":
                    procs = [
                        subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.DEVNULL)
                        for _ in range((os.cpu_count() or 2) + 1)
                    ]
                errors: list[float] = []
                lost: list[float] = []
                stalls = xruns = 0
                try:
                    for _ in range(args.calls):
                        e, lo, st, xr = one_call(audio, Path(tmp))
                        errors += e
                        lost += lo
                        stalls += st
                        xruns += xr
                finally:
                    for proc in procs:
                        proc.kill()
                        proc.wait()
                rows.append(
                    {
                        "condition": condition,
                        "agent lines": len(lost),
                        "error max ms": 1000 * max(errors, default=0.0),
                        "error p95 ms": 1000 * pct(errors, 95) if errors else 0.0,
                        "audio lost ms": 1000 * sum(lost),
                        "stalls": stalls,
                        "underflows+overflows": xruns,
                    }
                )
    finally:
        server.stop()
    report("Timeline vs recording, idle and under CPU load", rows, args.json)


if __name__ == "__main__":
    main()
