"""A 30-minute call on the virtual clock (many turns, config edits, events written to
disk): memory and threads after minute 1 and at the end; and the scenario runner's rate.

    python -m bench.long_call [--minutes M] [--json]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

PROMPT = (
    '1. Ask "What can I help you with?"\n'
    '2. Ask "Anything else?"\n'
    "Questions and objections:\n"
    '- If the contact asks who is calling, respond "This is Sam from Acme."\n'
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    from bench.common import report
    from console.core import events as ev
    from console.scenario.model import CallerStep, Scenario, load_scenario
    from console.scenario.runner import run_scenario

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    steps: list[CallerStep] = []
    for i in range(int(args.minutes * 60 / 5.5)):  # a turn every ~5.5 s of call time
        steps.append(CallerStep(say="Sorry, who is calling?" if i % 2 else "I have a question"))
        if i % 10 == 9:
            steps.append(CallerStep(edit={"agent.voice.rate_wpm": 160 + i % 40}))
    from console.core.config import parse_config

    config = parse_config({"agent": {"main_prompt": PROMPT}})
    scenario = Scenario(name="long call", caller=steps, hang_up_after=1.0)
    samples: dict[str, float] = {}
    threads: dict[str, int] = {}

    def probe(event: ev.Event) -> None:
        if "minute1" not in samples and event.t >= 60.0:
            samples["minute1"] = rss_mb()
            threads["minute1"] = threading.active_count()

    import console.scenario.runner as runner_module

    original = runner_module.CallEngine

    class ProbedEngine(original):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **k) -> None:
            super().__init__(*a, **k)
            self.listeners.append(probe)

    runner_module.CallEngine = ProbedEngine
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = run_scenario(scenario, config, sessions_dir=Path(tmp))
            wall = time.perf_counter() - t0
    finally:
        runner_module.CallEngine = original
    end_rss, end_threads = rss_mb(), threading.active_count()
    call_s = max(e.t for e in result.events)
    turns = sum(isinstance(e, ev.CallerSpeech) for e in result.events)
    rows = [
        {
            "measure": f"{call_s / 60:.1f}-minute call, {turns} turns, {len(result.events)} events",
            "rss_min1_mb": samples.get("minute1", 0.0),
            "rss_end_mb": end_rss,
            "growth": end_rss / samples["minute1"] - 1 if samples.get("minute1") else 0.0,
            "threads": f"{threads.get('minute1')} -> {end_threads}",
            "wall_s": wall,
            "speed_x": call_s / wall,
        }
    ]
    report("Long call on the virtual clock (target: RSS growth <= 10%)", rows, args.json)

    from console.resources import example_scenarios

    loaded = [load_scenario(p) for p in example_scenarios()]
    rounds = 20
    t0 = time.perf_counter()
    for _ in range(rounds):
        for scenario_i, config_i in loaded:
            run_scenario(scenario_i, config_i)
    wall = time.perf_counter() - t0
    report(
        "Scenario runner, text mode (the example scenarios, no session files)",
        [
            {
                "scenarios": rounds * len(loaded),
                "wall_s": wall,
                "scenarios_per_s": rounds * len(loaded) / wall,
            }
        ],
        args.json,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
