"""Answered-by detection on a generated set of answers: accuracy, timing and CPU.

    python -m bench.voicemail [--answers N] [--seed S] [--raw-only] [--json]

The answers (console/audio/answer_fixtures.py) are voicemail greetings with a beep at a
known sample (six tone frequencies, 0.2-1 s long, a few without a beep), IVR menus and
people answering ("hello?", "yeah?", a business-style "Acme Solar, Sam speaking"), in
seven espeak-ng voices at 150-185 words a minute, a third with white, pink or hum noise
at 12-25 dB below the speech, half band-limited like a phone line. Each answer is fed
to the detector in 10 ms blocks, as the audio pump would, twice: with the words a
recogniser would deliver (partial text a little behind the audio, the final text after
0.5 s of silence) and with the audio only.

A live call's detector does not hear the raw line: it hears the microphone after echo
cancellation and noise suppression (console/audio/echo.py, both on by default). So the
same answers are also run through that processing (`CaptureProcessor`, block by block,
with the speaker silent as it is while the opening is held) and detected again: the
"processed" columns, and the processing's own CPU is printed below the table. A last
column plays the agent's opening on the speaker meanwhile (`hold_opening_max_s: 0`, or
a hold that expired), with no echo path at all (a headset): what the echo canceller
then does to the machine's greeting and beep. `--raw-only` skips these columns (they
take most of this benchmark's run time).

Figures, per mode: accuracy (the right one of human / voicemail / IVR; uncertain counts
as wrong), people called machines (the false-positive rate the platforms quote),
machines called people, the beep's end to the moment it is known (when a message may
start), the verdict's time relative to the beep's end (negative: decided while the beep
still played, or before it), how long a person waits for the verdict after their first
line ends, and the detector's CPU time per call.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench.common import pct, report

RAW_MODES = ("audio + words", "audio only")
PROCESSED_MODES = ("processed + words", "processed only")
TALKING_MODE = "processed, agent talking"
OPENING = (
    "Hi, this is Sam from Acme Solar, calling about your energy bill. We have a new plan "
    "that could lower it this winter. Do you have a minute to talk about it?"
)


def processed(fixture: Any, speaker: Any = None) -> tuple[Any, float]:
    """The answer as a live call's detector hears it: through echo cancellation and noise
    suppression (both on, as by default), block by block as the audio pump feeds them,
    with the speaker playing `speaker` from the answer on (None: silence, the opening
    held). Nothing of the speaker reaches the microphone (a headset). Processed sample i
    is raw sample i (the module's delay is taken back out), so the fixture's truth still
    holds. Returns the processed fixture and the processing's CPU seconds."""
    import dataclasses

    import numpy as np

    from console.audio.echo import CaptureProcessor, ProcessingSettings

    proc = CaptureProcessor(fixture.rate, ProcessingSettings())
    blocks = fixture.blocks()
    size = len(blocks[0])
    flush = [np.zeros(size, np.float32)] * (proc.delay // size + 2)  # what the module holds
    far = np.zeros(size * (len(blocks) + len(flush)), np.float32)
    if speaker is not None:
        far[: min(len(far), len(speaker))] = speaker[: len(far)]
    out = []
    for i, block in enumerate(blocks + flush):
        proc.render(far[i * size : (i + 1) * size])
        out.append(proc.push(block))
    samples = np.concatenate(out)[: len(fixture.samples)]
    return dataclasses.replace(fixture, samples=samples), proc.cpu_s


def run_one(fixture: Any, words: bool) -> dict[str, Any]:
    from console.audio.amd import AnsweredByDetector, DetectorSettings

    detector = AnsweredByDetector(DetectorSettings(rate=fixture.rate))
    if words:
        for w in fixture.words:
            detector.words(w.text, at=w.at, final=w.final)
    cpu = 0.0
    for block in fixture.blocks():
        t0 = time.thread_time()
        detector.feed(block)
        cpu += time.thread_time() - t0
    detector.finish()
    verdict = detector.verdict
    assert verdict is not None
    rate = fixture.rate
    real = [
        b
        for b in detector.beeps
        if fixture.beep_start is not None and abs(b.start - fixture.beep_start) < 0.1 * rate
    ]
    row: dict[str, Any] = {
        "kind": fixture.kind,
        "answered_by": verdict.answered_by,
        "decided_by": verdict.decided_by,
        "cpu_ms": cpu * 1000,
        "audio_s": fixture.duration_s,
        "spurious_beeps": len(detector.beeps) - len(real),
        "beep": fixture.beep_start is not None,
        "beep_found": bool(real),
    }
    if fixture.beep_end is not None:
        row["verdict_after_beep_end_ms"] = (verdict.at - fixture.beep_end) / rate * 1000
        if real:
            row["beep_known_after_end_ms"] = (real[0].at - fixture.beep_end) / rate * 1000
            row["beep_span_error_ms"] = (
                max(abs(real[0].start - fixture.beep_start), abs(real[0].end - fixture.beep_end))
                / rate
                * 1000
            )
    if fixture.kind == "human":
        first_line_end = fixture.speech[0][1]
        row["person_waits_ms"] = (verdict.at - first_line_end) / rate * 1000
    return row


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.0f} / {pct(values, 95):.0f}"


def summarise(rows: list[dict[str, Any]]) -> dict[str, str]:
    n = len(rows)
    humans = [r for r in rows if r["kind"] == "human"]
    machines = [r for r in rows if r["kind"] != "human"]
    right = sum(r["answered_by"] == r["kind"] for r in rows)
    fp = sum(r["answered_by"] in ("voicemail", "ivr") for r in humans)
    fn = sum(r["answered_by"] == "human" for r in machines)
    uncertain = sum(r["answered_by"] == "uncertain" for r in rows)
    beeps = [r for r in rows if r["beep"]]
    found = sum(r["beep_found"] for r in beeps)
    spurious = sum(r["spurious_beeps"] for r in rows)
    cpu = [r["cpu_ms"] for r in rows]
    per_s = sum(cpu) / sum(r["audio_s"] for r in rows)
    return {
        "accuracy": f"{right / n:.1%} ({right}/{n})",
        "people called machines": f"{fp / max(1, len(humans)):.1%} ({fp}/{len(humans)})",
        "machines called people": f"{fn / max(1, len(machines)):.1%} ({fn}/{len(machines)})",
        "uncertain": str(uncertain),
        "beeps found / spurious": f"{found}/{len(beeps)} / {spurious}",
        "beep end -> beep known, ms (median / p95)": _ms(
            [r["beep_known_after_end_ms"] for r in beeps if "beep_known_after_end_ms" in r]
        ),
        "beep span error, ms (median / p95)": _ms(
            [r["beep_span_error_ms"] for r in beeps if "beep_span_error_ms" in r]
        ),
        "beep end -> verdict, ms (median / p95)": _ms(
            [r["verdict_after_beep_end_ms"] for r in beeps]
        ),
        "person's first line end -> verdict, ms (median / p95)": _ms(
            [r["person_waits_ms"] for r in humans]
        ),
        "CPU per call, ms (median / p95)": _ms(cpu),
        "CPU per second of audio, ms": f"{per_s:.2f}",
    }


def main(argv: list[str] | None = None) -> int:
    from console.audio import answer_fixtures as af

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--raw-only", action="store_true", help="skip the run through echo cancellation"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not af.espeak_available():
        print("bench.voicemail: espeak-ng is not installed (apt-get install espeak-ng)")
        return 1
    t0 = time.monotonic()
    fixtures = af.answer_set(args.answers, args.seed)
    made_s = time.monotonic() - t0
    heard = {mode: fixtures for mode in RAW_MODES}
    processing_cpu_s = 0.0
    if not args.raw_only:
        done = [processed(f) for f in fixtures]
        processing_cpu_s = sum(cpu for _, cpu in done)
        heard.update({mode: [f for f, _ in done] for mode in PROCESSED_MODES})
        opening = af.speak(OPENING, "en-us", 165, fixtures[0].rate)
        heard[TALKING_MODE] = [processed(f, opening)[0] for f in fixtures]
    modes = list(heard)
    results = {
        mode: [run_one(f, words=mode.endswith("words")) for f in heard[mode]] for mode in modes
    }
    summaries = {mode: summarise(rows) for mode, rows in results.items()}
    kinds = {k: sum(f.kind == k for f in fixtures) for k in ("voicemail", "ivr", "human")}
    title = (
        f"Answered-by detection: {len(fixtures)} generated answers "
        f"({kinds['voicemail']} voicemail, {kinds['ivr']} IVR, {kinds['human']} people; "
        f"seed {args.seed}; made in {made_s:.1f} s)"
    )
    rows = [
        {"measure": measure, **{mode: summaries[mode][measure] for mode in modes}}
        for measure in summaries[modes[0]]
    ]
    report(title, rows, args.json)
    if not args.json:
        if processing_cpu_s:
            audio_s = sum(f.duration_s for f in fixtures)
            print(
                f"  the processing itself (not in the CPU rows above): "
                f"{processing_cpu_s / audio_s * 1000:.1f} ms of CPU per second of audio"
            )
        for mode in modes:
            wrong = [
                f"{f.name}: {r['answered_by']} by {r['decided_by']}"
                for f, r in zip(fixtures, results[mode], strict=True)
                if r["answered_by"] != r["kind"]
            ]
            if wrong:
                print(f"  wrong ({mode}): " + "; ".join(wrong))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
