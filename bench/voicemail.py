"""Answered-by detection on a generated set of answers: accuracy, timing and CPU.

    python -m bench.voicemail [--answers N] [--seed S] [--json]

The answers (console/audio/answer_fixtures.py) are voicemail greetings with a beep at a
known sample (six tone frequencies, 0.2-1 s long, a few without a beep), IVR menus and
people answering ("hello?", "yeah?", a business-style "Acme Solar, Sam speaking"), in
seven espeak-ng voices at 150-185 words a minute, a third with white, pink or hum noise
at 12-25 dB below the speech, half band-limited like a phone line. Each answer is fed
to the detector in 10 ms blocks, as the audio pump would, twice: with the words a
recogniser would deliver (partial text a little behind the audio, the final text after
0.5 s of silence) and with the audio only.

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

MODES = ("audio + words", "audio only")


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
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not af.espeak_available():
        print("bench.voicemail: espeak-ng is not installed (apt-get install espeak-ng)")
        return 1
    t0 = time.monotonic()
    fixtures = af.answer_set(args.answers, args.seed)
    made_s = time.monotonic() - t0
    results = {mode: [run_one(f, words=(mode == MODES[0])) for f in fixtures] for mode in MODES}
    summaries = {mode: summarise(rows) for mode, rows in results.items()}
    kinds = {k: sum(f.kind == k for f in fixtures) for k in ("voicemail", "ivr", "human")}
    title = (
        f"Answered-by detection: {len(fixtures)} generated answers "
        f"({kinds['voicemail']} voicemail, {kinds['ivr']} IVR, {kinds['human']} people; "
        f"seed {args.seed}; made in {made_s:.1f} s)"
    )
    rows = [
        {"measure": measure, **{mode: summaries[mode][measure] for mode in MODES}}
        for measure in summaries[MODES[0]]
    ]
    report(title, rows, args.json)
    if not args.json:
        for mode in MODES:
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
