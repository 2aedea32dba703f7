"""Whole calls through real audio on virtual devices: the timing the console exists to show.

    python -m bench.audio_calls [--calls N] [--skip-calls N] [--adaptive-calls N]
                                [--end-of-turn silence|adaptive|both] [--json]

Each call: the agent asks, the caller's lines are synthesised and played into the
virtual microphone, vosk (the Korean model here) times each utterance and the script
supplies its words, the agent answers aloud, and the call is recorded. All figures are
read from the recordings and the timelines of the same run.

The turn is measured for both end-of-turn rules (`turn_taking.end_of_turn`): a fixed
silence (`--endpoint-ms`, 200 by default) and `adaptive`, each from the caller's last
sample to the agent's first, on the same lines. The adaptive rule reads the words said
so far; the Korean model cannot give English words, so it reads the script's, placed
where each line was played (bench.turns's aligner: a perfect English recogniser's text,
heard when vosk heard it).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

LOUD = 0.01
ENDPOINT_MS = 200  # default caller silence that ends an utterance: part of every turn
PROMPT = (
    '1. Ask "Are you ready?" If the contact responds yes, say "Great." and go to step 2.\n'
    '2. Ask "Anything else?" If the contact responds no, call end_call and say '
    '"Thanks for your time, goodbye."\n'
)


def _spans(x: np.ndarray, rate: int, gap_s: float = 0.25) -> list[tuple[float, float]]:
    """Loud stretches of a channel, joined across gaps shorter than gap_s."""
    idx = np.flatnonzero(np.abs(x) > LOUD)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > gap_s * rate)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return [(a / rate, b / rate) for a, b in zip(starts, ends, strict=True)]


class PlayedScript:
    """`hear` for the adaptive rule: the script's words at the session times they were
    played (each line's words placed by bench.turns.word_times from its first sample)."""

    def __init__(self) -> None:
        self.words: list[tuple[str, float, float]] = []
        self.until = lambda: 0.0  # the caller's last sound (the recogniser's), once known

    def add(self, text: str, audio: np.ndarray, start: float) -> None:
        from bench.turns import word_times

        self.words += [(w, start + a, start + b) for w, a, b in word_times(text, audio)]

    def __call__(self, words) -> str:
        from bench.turns import ScriptAligner

        return ScriptAligner(list(self.words), until=self.until)(words)


def one_call(
    audio,
    model,
    synth,
    injector,
    skip: bool,
    tmp: Path,
    endpoint_ms: int = ENDPOINT_MS,
    end_of_turn: str = "silence",
) -> dict:
    from console.core import events as ev
    from console.core.config import ConfigStore, parse_config
    from console.live.call import LiveCall, LiveOptions
    from console.session.layout import RECORDING_FILE

    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "main_prompt": PROMPT,
                    "turn_taking": {
                        "response_delay_ms": 0,
                        "endpoint_silence_ms": endpoint_ms,
                        "end_of_turn": end_of_turn,
                        "drop_guard_ms": 200,
                    },
                },
                "end_call": {"skip_goodbye": skip},
            }
        )
    )
    lines = iter(["Yes, I am ready.", "No, thank you."])
    script = ["Yes, I am ready.", "No, thank you."]
    said: list[ev.Event] = []
    played = PlayedScript()
    call = LiveCall(
        store,
        LiveOptions(input_device=audio.mic, output_device=audio.speaker, sessions_dir=tmp),
        model=model,
        listeners=[said.append],
        transcript=lambda heard: next(lines, heard),
        hear=played,
    )
    call.start()
    if call.recognizer is not None:
        played.until = lambda: call.recognizer._last_voice
    try:
        for text in script:
            deadline = time.monotonic() + 20
            while not call.engine.awaiting_caller and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)
            samples = synth.render_now(text, wpm=170)
            first, done = injector.play(samples)
            frame = first.result(20)
            played.add(
                text, samples, call.clock.session_of_stream_time(injector.stream_time(frame))
            )
            done.result(20)
            turns = sum(isinstance(e, ev.CallerSpeech) for e in list(said))
            deadline = time.monotonic() + 20
            while (
                time.monotonic() < deadline
                and sum(isinstance(e, ev.CallerSpeech) for e in list(said)) == turns
            ):
                time.sleep(0.01)
        call.wait(20)
    finally:
        call.close()
    import soundfile as sf

    data, rate = sf.read(call.session_dir / RECORDING_FILE)
    caller, agent = _spans(data[:, 0], rate), _spans(data[:, 1], rate)
    events = call.engine.events
    block = call.options.block / rate
    out: dict = {"turn": [], "final": [], "answer": [], "onset_err": [], "block_s": block}
    out["split"] = max(0, sum(isinstance(e, ev.CallerSpeech) for e in events) - len(script))
    out["rule"] = end_of_turn
    speech = [e for e in events if isinstance(e, (ev.AgentSpeech, ev.Goodbye))]
    for e in speech:  # timeline vs recording: each utterance's onset
        near = [a for a, _ in agent if abs(a - e.start) < 0.3]
        if near:
            out["onset_err"].append(abs(near[0] - e.start))
    for cs in (e for e in events if isinstance(e, ev.CallerSpeech)):
        heard = [b for a, b in caller if a < cs.end + 0.3 and b > cs.start - 0.3]
        replies = [a for a, _ in agent if heard and a > heard[-1]]
        if heard and replies:
            out["turn"].append(replies[0] - heard[-1])
            if cs.heard_at is not None:  # the turn in two: recognition, then the agent
                out["final"].append(cs.heard_at - heard[-1])
                out["answer"].append(replies[0] - cs.heard_at)
    action = next((e for e in events if isinstance(e, ev.ActionInvoked)), None)
    goodbye = next((e for e in events if isinstance(e, ev.Goodbye)), None)
    drop = next((e for e in events if isinstance(e, ev.LineDropped)), None)
    # Every turn ended by the rule under test (a run that fell back would measure the
    # other rule's latency under this one's name).
    rules = {e.end_rule for e in events if isinstance(e, ev.CallerSpeech)}
    out["ok"] = action is not None and drop is not None and rules <= {end_of_turn}
    if action is not None and drop is not None:
        out["action_to_drop"] = drop.t - action.t
        after = [a for a, _ in agent if a >= action.t - 0.01]
        if goodbye is not None and after:
            out["action_to_goodbye"] = after[0] - action.t
            last = max(b for _, b in agent if b >= after[0])
            out["goodbye_end_to_drop"] = drop.t - last
            out["cut"] = goodbye.cut_short or last < goodbye.end - 2 * block
            out["guard"] = 0.2
    return out


def recognition_overhead(model, synth, repeats: int = 5) -> tuple[float, float]:
    """CPU seconds: bare vosk on a clip vs the console's streaming recogniser."""
    import json

    import vosk

    from console.speech.recognizer import StreamingRecognizer

    clip = np.concatenate(
        [
            synth.render_now("This is a line of speech for the recogniser. " * 4),
            np.zeros(16000, np.float32),
        ]
    )
    pcm = (clip * 32767).astype("<i2").tobytes()

    def bare() -> float:
        t0 = time.thread_time()
        rec = vosk.KaldiRecognizer(model, 16000)
        rec.SetWords(True)
        for i in range(0, len(pcm), 640):
            if rec.AcceptWaveform(pcm[i : i + 640]):
                json.loads(rec.Result())
        json.loads(rec.FinalResult())
        return time.thread_time() - t0

    def ours() -> float:
        rec = StreamingRecognizer(model, 16000, 0.5, lambda r: None, lambda t, s: None)
        for i in range(0, len(clip), 320):
            rec.feed(clip[i : i + 320])
        rec.close()
        return rec.cpu_s

    bares, ourss = [], []
    for _ in range(repeats):
        bares.append(bare())
        ourss.append(ours())
    return statistics.median(bares), statistics.median(ourss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--skip-calls", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--endpoint-ms",
        type=int,
        default=ENDPOINT_MS,
        help="turn_taking.endpoint_silence_ms of the calls (default %(default)s)",
    )
    parser.add_argument(
        "--end-of-turn",
        choices=("silence", "adaptive", "both"),
        default="both",
        help="the rule(s) whose turn is measured: the fixed silence (--calls and "
        "--skip-calls), adaptive (--adaptive-calls more), or both (default)",
    )
    parser.add_argument("--adaptive-calls", type=int, default=20)
    args = parser.parse_args(argv)
    fixed = args.end_of_turn in ("silence", "both")
    adaptive = args.end_of_turn in ("adaptive", "both")

    from bench.common import report, summary
    from console.audio.inject import Injector
    from console.audio.virtual import VirtualAudioServer
    from console.speech.models import load_model
    from console.speech.synth import Synthesizer

    model = load_model()
    synth = Synthesizer(16000)
    server = VirtualAudioServer()
    audio = server.start()
    injector = Injector(audio.caller_sink)
    injector.wait_steady()
    results, skips, adaptives = [], [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.calls if fixed else 0):
                results.append(
                    one_call(audio, model, synth, injector, False, Path(tmp), args.endpoint_ms)
                )
            for _ in range(args.skip_calls if fixed else 0):
                skips.append(
                    one_call(audio, model, synth, injector, True, Path(tmp), args.endpoint_ms)
                )
            for _ in range(args.adaptive_calls if adaptive else 0):
                call = one_call(
                    audio, model, synth, injector, False, Path(tmp), args.endpoint_ms, "adaptive"
                )
                adaptives.append(call)
        base_cpu, our_cpu = recognition_overhead(model.model, synth)
    finally:
        injector.close()
        synth.close()
        server.stop()

    block = (results or adaptives)[0]["block_s"] if results or adaptives else 0.02
    good = [r for r in results + adaptives if r["ok"] and "action_to_goodbye" in r]
    turn = [t for r in results for t in r["turn"]]
    onset = [x for r in results + skips + adaptives for x in r["onset_err"]]
    rows = []

    def row(name: str, values: list[float], target: str, unit: float = 1000.0) -> None:
        if not values:
            rows.append({"measure": name, "median": "n/a", "p95": "n/a", "n": 0, "target": target})
            return
        s = summary(values)
        rows.append(
            {
                "measure": name,
                "median": f"{s['median'] * unit:.0f} ms",
                "p95": f"{s['p95'] * unit:.0f} ms",
                "n": s["n"],
                "target": target,
            }
        )

    turn_target = "p50<=250, p95<=400 ms"
    if fixed:
        row(
            f"turn latency, {args.endpoint_ms} ms silence (caller's last sample -> agent's first)",
            turn,
            turn_target,
        )
        row(
            f"  of which the console's (turn - {args.endpoint_ms} ms endpoint silence)",
            [t - args.endpoint_ms / 1000 for t in turn],
            "report",
        )
        row(
            "  caller's last sample -> utterance final (endpoint + decoding)",
            [x for r in results for x in r["final"]],
            "report",
        )
        row(
            "  utterance final -> agent's first sample (decide, synthesise, play)",
            [x for r in results for x in r["answer"]],
            "report",
        )
    if adaptive:
        row(
            "turn latency, adaptive end of turn (caller's last sample -> agent's first)",
            [t for r in adaptives for t in r["turn"]],
            turn_target,
        )
        row(
            "  caller's last sample -> utterance final (the rule's wait + decoding)",
            [x for r in adaptives for x in r["final"]],
            "report",
        )
    for name, runs in (("silence", results), ("adaptive", adaptives)):
        if runs:
            rows.append(
                {
                    "measure": f"caller lines cut in two ({name})",
                    "median": str(sum(r["split"] for r in runs)),
                    "p95": "",
                    "n": 2 * len(runs),
                    "target": "0",
                }
            )
    row("action -> goodbye's first sample", [r["action_to_goodbye"] for r in good], "p50<=60 ms")
    row(
        "goodbye's last sample -> drop",
        [r["goodbye_end_to_drop"] for r in good],
        f"<= guard 200 + block {block * 1000:.0f} ms",
    )
    row(
        "skip goodbye: action -> drop",
        [r["action_to_drop"] for r in skips if r["ok"]],
        f"<= one block ({block * 1000:.0f} ms)",
    )
    rows.append(
        {
            "measure": "timeline vs recording: max onset error",
            "median": f"{statistics.median(onset) * 1000:.1f} ms" if onset else "n/a",
            "p95": f"max {max(onset) * 1000:.1f} ms" if onset else "n/a",
            "n": len(onset),
            "target": "max <= 10 ms",
        }
    )
    rows.append(
        {
            "measure": "goodbyes cut short",
            "median": str(sum(r.get("cut", False) for r in good)),
            "p95": "",
            "n": len(good),
            "target": "0",
        }
    )
    rows.append(
        {
            "measure": "recognition CPU: ours / bare vosk",
            "median": f"{our_cpu / base_cpu:.3f}x",
            "p95": f"{our_cpu:.2f} s vs {base_cpu:.2f} s",
            "n": 5,
            "target": "<= 1.05x",
        }
    )
    placed = results + skips + adaptives
    failed = len(placed) - len([r for r in placed if r["ok"]])
    if failed:
        rows.append(
            {
                "measure": "calls that did not end as scripted",
                "median": str(failed),
                "p95": "",
                "n": len(placed),
                "target": "0",
            }
        )
    report("Calls through real audio (virtual PulseAudio devices, vosk timing)", rows, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
