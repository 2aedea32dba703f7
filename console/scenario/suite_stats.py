"""A suite's figures: per scenario and variant, the pass rate, each expectation's rate,
the spread of caller-to-action latency, and every distinct outcome with an example run.

Everything here is computed from records in plan order, so the same runs give the same
figures whatever order they finished in and however many workers ran them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from console.core import events as ev
from console.core.farewell import farewell_without_hangup
from console.scenario.checks import (
    ENDED_BY_LABELS,
    action_fired_more_than_once,
    ended_by,
    first_event,
    speech_after_goodbye,
)
from console.scenario.suite import RunRecord, SuitePlan
from console.scenario.variants import Variant


@dataclass(frozen=True)
class Rate:
    passed: int
    total: int

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def text(self) -> str:
        return f"{self.passed}/{self.total}"

    def percent(self) -> str:
        return f"{100 * self.fraction:.0f}%"


@dataclass(frozen=True)
class Spread:
    """Seconds: how far apart the same latency lands over repeats."""

    n: int
    low: float
    median: float
    p90: float
    high: float

    def text(self) -> str:
        if self.n == 1 or self.low == self.high:
            return f"{self.median:.2f} s ({self.n} run{'s' if self.n != 1 else ''})"
        return (
            f"median {self.median:.2f} s, p90 {self.p90:.2f} s, "
            f"min {self.low:.2f} s, max {self.high:.2f} s ({self.n} runs)"
        )


@dataclass
class Outcome:
    """Runs that ended the same way (and passed or failed alike)."""

    passed: bool
    text: str
    runs: list[RunRecord] = field(default_factory=list)

    @property
    def example(self) -> RunRecord:
        return self.runs[0]


@dataclass
class CellStats:
    """One scenario under one variant, over its repeats."""

    scenario_index: int
    variant_index: int
    scenario_name: str
    source: str
    variant: Variant
    runs: list[RunRecord]
    rate: Rate
    checks: list[tuple[str, Rate]]
    outcomes: list[Outcome]
    latency: Spread | None

    def meets(self, minimum: float) -> bool:
        return self.rate.total > 0 and self.rate.fraction + 1e-12 >= minimum


def spread(values: Sequence[float]) -> Spread | None:
    finite = sorted(v for v in values if v is not None and math.isfinite(v))
    if not finite:
        return None
    rank = max(0, math.ceil(0.9 * len(finite)) - 1)  # nearest-rank p90
    return Spread(len(finite), finite[0], statistics.median(finite), finite[rank], finite[-1])


def describe_outcome(events: list[ev.Event]) -> str:
    """How a call went, in the words a tester compares runs by (no times, no model text:
    two runs that ended alike read alike)."""
    if not events:
        return "did not run"
    parts: list[str] = []
    action = first_event(events, ev.ActionInvoked)
    if action is None:
        parts.append("no action")
    else:
        parts.append(f"{action.action_name} at caller turn {action.turn}")
    goodbye = first_event(events, ev.Goodbye)
    if goodbye is not None:
        parts.append("goodbye cut short" if goodbye.cut_short else "goodbye played")
    elif action is not None:
        parts.append("no goodbye")
    how = ended_by(events)
    parts.append(f"ended by {ENDED_BY_LABELS.get(how, how)}" if how else "the line never dropped")
    for extra in (
        "action fired again" if action_fired_more_than_once(events) else "",
        "agent spoke after the goodbye" if speech_after_goodbye(events) else "",
        "said goodbye but never hung up" if farewell_without_hangup(events) else "",
    ):
        if extra:
            parts.append(extra)
    return "; ".join(parts)


def caller_to_action(record: RunRecord) -> float | None:
    action = first_event(record.events, ev.ActionInvoked)
    return action.latency_s if action is not None else None


def cell_stats(plan: SuitePlan, records: Sequence[RunRecord]) -> list[CellStats]:
    """One CellStats per (scenario, variant) that has runs, in plan order."""
    by_cell: dict[tuple[int, int], list[RunRecord]] = {}
    for record in sorted(records, key=lambda r: r.index):
        by_cell.setdefault((record.scenario_index, record.variant_index), []).append(record)
    cells: list[CellStats] = []
    for (s_index, v_index), runs in sorted(by_cell.items()):
        cells.append(
            CellStats(
                scenario_index=s_index,
                variant_index=v_index,
                scenario_name=plan.names[s_index],
                source=plan.sources[s_index],
                variant=plan.variants[v_index],
                runs=runs,
                rate=Rate(sum(r.passed for r in runs), len(runs)),
                checks=check_rates(runs),
                outcomes=outcomes(runs),
                latency=spread([v for r in runs if (v := caller_to_action(r)) is not None]),
            )
        )
    return cells


def check_rates(runs: Sequence[RunRecord]) -> list[tuple[str, Rate]]:
    """Each expectation's passes over the runs; a run without that check (it did not
    apply, e.g. the agent never failed) counts as a pass."""
    labels: dict[str, str] = {}
    for run in runs:
        for check in run.checks:
            labels.setdefault(check.key, check.label)
    rates = []
    for key, label in labels.items():
        failed = sum(1 for run in runs if any(c.key == key and not c.passed for c in run.checks))
        rates.append((label, Rate(len(runs) - failed, len(runs))))
    return rates


def outcomes(runs: Sequence[RunRecord]) -> list[Outcome]:
    """Distinct outcomes, most frequent first (ties: the one seen first in plan order)."""
    groups: dict[tuple[bool, str], Outcome] = {}
    for run in runs:
        key = (run.passed, describe_outcome(run.events))
        groups.setdefault(key, Outcome(run.passed, key[1])).runs.append(run)
    return sorted(groups.values(), key=lambda o: (-len(o.runs), o.example.index))


def matrix(cells: Sequence[CellStats]) -> dict[tuple[int, int], CellStats]:
    return {(c.scenario_index, c.variant_index): c for c in cells}
