"""The prompt corpus: prompts in the styles agents are written in, with calls that must
end (at a named turn, with the goodbye the prompt implies, or none) and calls that must
not end. Every call runs through the real scenario runner (engine, offline agent,
virtual clock).

A corpus file (assets/corpus/*.yaml) holds one prompt and its calls:

```yaml
name: Dental reminder, Vapi style
style: vapi
config: {end_call: {...}, agent: {main_prompt: "...", ...}}
scenarios:
  - name: confirms, then says goodbye
    caller: [{say: "Yes, that works."}, {say: "Great, bye!"}]
    expect: {action_turn: 2, goodbye_contains: "See you"}   # the scenario expectations
    why_contains: ["pending request"]   # (optional) in some decision's reason
```

Every call also checks what the prompt implies for every call: no tool name is ever
spoken, and the agent answers every caller turn that did not end the call.

`python -m tests.agent.corpus` prints the pass rate and the speed.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.core import events as ev
from console.core.config import read_data_file
from console.scenario.model import Scenario, resolve_config
from console.scenario.runner import RunResult, run_scenario

CORPUS = Path(__file__).resolve().parents[2] / "assets" / "corpus"


@dataclass(frozen=True)
class Case:
    file: Path
    prompt_name: str
    style: str
    scenario: Scenario
    why_contains: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.file.stem}: {self.scenario.name}"


def load_corpus(folder: Path = CORPUS) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        data: dict[str, Any] = read_data_file(path)
        for item in data["scenarios"]:
            scenario = Scenario.model_validate(
                {
                    "name": item["name"],
                    "config": data["config"],
                    "caller": item["caller"],
                    "expect": item.get("expect", {}),
                    "hang_up_after": item.get("hang_up_after", 3.0),
                }
            )
            cases.append(
                Case(
                    path, data["name"], data["style"], scenario, tuple(item.get("why_contains", ()))
                )
            )
    return cases


def _tool_names(prompt: str, action_name: str) -> set[str]:
    names = {action_name}
    names |= set(re.findall(r"`([A-Za-z_][\w-]*)`", prompt))
    names |= {w for w in re.findall(r"\b[A-Za-z]+_[A-Za-z_]+\b", prompt) if "{" not in w}
    return names


def run_case(case: Case) -> tuple[RunResult, list[str]]:
    """Run one call; return the runner's result and every failure, in words."""
    config = resolve_config(case.scenario, case.file)
    result = run_scenario(case.scenario, config, source=str(case.file))
    fails = list(result.failures)
    events = result.events
    spoken = [e for e in events if isinstance(e, (ev.AgentSpeech, ev.Goodbye))]
    variables = set(config.agent.variables.values()) | {config.agent.name}
    for name in _tool_names(config.agent.main_prompt, config.end_call.name):
        if name in variables:
            continue
        for e in spoken:
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", e.text):
                fails.append(f"the agent spoke the tool name {name!r}: {e.text!r}")
    # Every caller turn that did not end the call gets an answer.
    action = next((e for e in events if isinstance(e, ev.ActionInvoked)), None)
    turns = [e for e in events if isinstance(e, ev.CallerSpeech) and not e.after_action]
    agent = [e for e in events if isinstance(e, ev.AgentSpeech)]
    for turn in turns:
        if action is not None and turn.turn >= action.turn:
            continue
        if not any(a.start >= turn.end for a in agent):
            fails.append(f"the agent said nothing after caller turn {turn.turn} ({turn.text!r})")
    whys = [e.why for e in events if isinstance(e, (ev.AgentSpeech, ev.ActionInvoked))]
    for want in case.why_contains:
        if not any(want.lower() in w.lower() for w in whys):
            fails.append(f"no decision's reason mentions {want!r}; reasons: {whys}")
    return result, fails


def main() -> int:
    cases = load_corpus()
    t0 = time.perf_counter()
    failed = 0
    for case in cases:
        _, fails = run_case(case)
        if fails:
            failed += 1
            print(f"FAIL {case.id}")
            for f in fails:
                print(f"     {f}")
    seconds = time.perf_counter() - t0
    prompts = {c.file for c in cases}
    styles = {c.style for c in cases}
    passed = len(cases) - failed
    print(
        f"{len(prompts)} prompts in {len(styles)} styles, {len(cases)} calls: {passed} passed "
        f"({100.0 * passed / len(cases):.1f} %), {len(cases) / seconds:.0f} calls/s "
        f"({seconds:.2f} s)"
    )
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
