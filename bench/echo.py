"""Echo cancellation on a speakerphone's echo path: what it removes, what it costs.

    python -m bench.echo [--lines N] [--json]

Real calls on the virtual devices with the acoustic echo path of console/audio/virtual.py
(what the console plays comes back into its microphone 40 ms later, 6 dB down, over
-50 dBFS of noise). The caller types (so the microphone carries only the echo); the agent
speaks long lines; vosk (the Korean model) listens. Each setting runs until the agent has
spoken `--lines` lines. Printed, with echo cancellation on and off:

- echo return loss enhancement: raw microphone over what the recogniser heard, per agent
  line (the first 200 ms of each line left out), median over the lines;
- false caller turns per 100 agent lines: turns vosk recognised although nobody spoke;
- CPU: the audio processing module's thread time per second of audio;
- added capture latency: how far the processed stream trails the raw microphone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

LINES = (
    "We can cut your energy bill by a third with solar panels on your roof. Does that "
    "sound interesting to you?",
    "The survey is free and takes about an hour, and an engineer comes to your home. "
    "Would a weekday suit you?",
    "Most of our customers see the savings from the very first month of the year. Shall "
    "I tell you more about it?",
    "There is also a government grant that pays for part of the installation cost. Would "
    "you like me to check it for you?",
)
PROMPT = "\n".join(
    f'{i + 1}. Ask "{line}" If the contact responds yes, go to step {i + 2}.'
    for i, line in enumerate(LINES)
) + (
    f'\n{len(LINES) + 1}. Ask "Is that all for today?" If the contact responds yes, call '
    'end_call and say "Thanks for your time, goodbye."'
)
GREETING = "Hello, this is Sam from Acme Solar, calling about your energy bill."
HEARD = "[heard] "  # marks a turn vosk recognised (the caller only types)
SKIP_S = 0.2  # left out at the start of each agent line when measuring the echo
CALL_LIMIT_S = 90.0
# The caller's pause before typing an answer: longer than the endpoint silence (500 ms),
# so the echo of each agent line, if heard, ends as its own turn instead of running on
# into the next line's.
PAUSE_S = 1.0


def one_call(audio, model, echo_on: bool, folder: Path) -> dict:
    from console.audio.recorder import PROCESSED_FILE
    from console.core import events as ev
    from console.core.config import ConfigStore, parse_config
    from console.live.call import LiveCall, LiveOptions
    from console.session.layout import RECORDING_FILE

    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "greeting": GREETING,
                    "main_prompt": PROMPT,
                    "turn_taking": {"response_delay_ms": 0, "barge_in": False},
                },
                "audio": {"echo_cancellation": echo_on},
            }
        )
    )
    events: list[ev.Event] = []
    call = LiveCall(
        store,
        LiveOptions(input_device=audio.mic, output_device=audio.speaker, sessions_dir=folder),
        model=model,
        listeners=[events.append],
        transcript=lambda heard: HEARD + heard,
    )
    call.start()
    started = time.monotonic()
    try:
        while time.monotonic() - started < CALL_LIMIT_S and not call.host.dropped.is_set():
            if call.engine.awaiting_caller:
                time.sleep(PAUSE_S)
                call.say("yes")
                deadline = time.monotonic() + 5
                while call.engine.awaiting_caller and time.monotonic() < deadline:
                    time.sleep(0.01)
            time.sleep(0.02)
        if not call.host.dropped.is_set():
            call.tester_hang_up()
        call.wait(10)
    finally:
        call.close()
    import soundfile as sf

    raw, rate = sf.read(call.session_dir / RECORDING_FILE)
    heard, _ = sf.read(call.session_dir / PROCESSED_FILE)
    meta = json.loads((call.session_dir / "session.json").read_text())
    lines = [e for e in events if isinstance(e, (ev.AgentSpeech, ev.Goodbye))]
    erle = []
    for line in lines:
        span = slice(int((line.start + SKIP_S) * rate), int(line.end * rate))
        mic, out = raw[span, 0], heard[span]
        if len(mic) > rate // 4 and np.mean(mic**2) > 1e-8:  # not a line lost to a stall
            erle.append(10 * np.log10(np.mean(mic**2) / max(np.mean(out**2), 1e-20)))
    false = [e for e in events if isinstance(e, ev.CallerSpeech) and e.text.startswith(HEARD)]
    return {
        "lines": len(lines),
        "false_turns": len(false),
        "erle": erle,
        "processing": meta.get("audio_processing", {}),
        "xrun_count": meta.get("input_overflows", 0) + meta.get("output_underflows", 0),
        "audio_s": len(raw) / rate,
    }


def run(audio, model, echo_on: bool, lines: int, folder: Path) -> dict:
    calls = []
    while sum(c["lines"] for c in calls) < lines:
        calls.append(one_call(audio, model, echo_on, folder))
    audio_s = sum(c["audio_s"] for c in calls)
    return {
        "lines": sum(c["lines"] for c in calls),
        "false_turns": sum(c["false_turns"] for c in calls),
        "erle": [x for c in calls for x in c["erle"]],
        "cpu_per_s": sum(c["processing"].get("cpu_per_audio_s", 0.0) * c["audio_s"] for c in calls)
        / audio_s,
        "latency_p50": max(c["processing"].get("added_latency_ms_p50", 0.0) for c in calls),
        "latency_p95": max(c["processing"].get("added_latency_ms_p95", 0.0) for c in calls),
        "xruns": sum(c["xrun_count"] for c in calls),
        "calls": len(calls),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=30, help="agent lines per setting")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from bench.common import report
    from console.audio.virtual import EchoPath, VirtualAudioServer
    from console.speech.models import load_model

    model = load_model()
    server = VirtualAudioServer()
    audio = server.start()
    path = EchoPath(audio).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            on = run(audio, model, True, args.lines, Path(tmp))
            off = run(audio, model, False, args.lines, Path(tmp))
    finally:
        path.stop()
        server.stop()

    def per100(r: dict) -> str:
        return f"{100 * r['false_turns'] / max(1, r['lines']):.1f}"

    spec = path.spec
    rows = [
        {
            "measure": "echo return loss enhancement, median over agent lines",
            "on": f"{statistics.median(on['erle']):.1f} dB" if on["erle"] else "n/a",
            "off": f"{statistics.median(off['erle']):.1f} dB" if off["erle"] else "n/a",
            "n": f"{len(on['erle'])} / {len(off['erle'])}",
        },
        {
            "measure": "  worst agent line",
            "on": f"{min(on['erle']):.1f} dB" if on["erle"] else "n/a",
            "off": f"{min(off['erle']):.1f} dB" if off["erle"] else "n/a",
            "n": "",
        },
        {
            "measure": "false caller turns per 100 agent lines",
            "on": per100(on),
            "off": per100(off),
            "n": f"{on['lines']} / {off['lines']} lines",
        },
        {
            "measure": "  sound-server xruns in those calls",
            "on": str(on["xruns"]),
            "off": str(off["xruns"]),
            "n": "",
        },
        {
            "measure": "CPU: processing thread time per second of audio",
            "on": f"{on['cpu_per_s'] * 1000:.1f} ms",
            "off": f"{off['cpu_per_s'] * 1000:.1f} ms (noise suppression)",
            "n": f"{on['calls']} / {off['calls']} calls",
        },
        {
            "measure": "added capture latency p50 / p95",
            "on": f"{on['latency_p50']:.0f} / {on['latency_p95']:.0f} ms",
            "off": f"{off['latency_p50']:.0f} / {off['latency_p95']:.0f} ms",
            "n": "",
        },
    ]
    report(
        f"Echo cancellation on a speakerphone echo path ({spec.gain_db:+.0f} dB, "
        f"{spec.delay_ms} ms, noise {spec.noise_dbfs:.0f} dBFS)",
        rows,
        args.json,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
