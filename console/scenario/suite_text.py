"""A suite's figures as text for a terminal or a CI log (every chosen string escaped).

```
Seed: "no" to ready ends the call  (assets/scenarios/01-seed-no-to-ready.yaml)
  as written: 5/5 passed (100%)
    End Call action invoked                    5/5
    action at caller turn 3                    5/5
    caller to action: 0.65 s (5 runs)
    outcomes:
      5x PASS  end_call at caller turn 3; goodbye played; ended by the End Call action
             e.g. run 1: ~/.local/share/endcall-console/sessions/20261125-...
```
"""

from __future__ import annotations

from collections.abc import Sequence

from console.report.escape import terminal as t
from console.scenario.suite import RunRecord, SuitePlan
from console.scenario.suite_stats import CellStats, describe_outcome, matrix

LABEL_WIDTH = 44
NAME_WIDTH = 44


def run_line(plan: SuitePlan, record: RunRecord) -> str:
    """One finished run, as it is streamed: status, scenario, variant, repeat, outcome."""
    status = "PASS" if record.passed else "FAIL"
    variant = f" [{t(plan.variants[record.variant_index].name)}]" if len(plan.variants) > 1 else ""
    line = (
        f"{status}  {t(record.scenario_name)}{variant} #{record.repeat}/{plan.repeat}"
        f"  {t(describe_outcome(record.events))}"
    )
    if record.failures:
        more = f" (+{len(record.failures) - 1} more)" if len(record.failures) > 1 else ""
        line += f"\n      {t(record.failures[0])}{more}"
    return line


def example(record: RunRecord) -> str:
    where = t(record.session_dir) if record.session_dir else "not saved"
    return f"e.g. run {record.repeat}: {where}"


def cell_lines(cell: CellStats, minimum: float | None = None) -> list[str]:
    """One scenario under one variant: rate, each expectation, latency, outcomes."""
    mark = ""
    if minimum is not None and not cell.meets(minimum):
        mark = f"  UNDER THE MINIMUM {100 * minimum:g}%"
    lines = [f"  {t(cell.variant.name)}: {cell.rate.text()} passed ({cell.rate.percent()}){mark}"]
    for label, rate in cell.checks:
        lines.append(f"    {t(label):<{LABEL_WIDTH}} {rate.text()}")
    if cell.latency is not None:
        lines.append(f"    caller to action: {cell.latency.text()}")
    lines.append("    outcomes:")
    for outcome in cell.outcomes:
        status = "PASS" if outcome.passed else "FAIL"
        lines.append(f"      {len(outcome.runs)}x {status}  {t(outcome.text)}")
        if not outcome.passed and outcome.example.failures:
            for failure in outcome.example.failures[:3]:
                lines.append(f"             {t(failure)}")
        lines.append(f"             {example(outcome.example)}")
    return lines


def summary(plan: SuitePlan, cells: Sequence[CellStats], minimum: float | None) -> str:
    """Every scenario's block, then the matrix when there are variants."""
    lines: list[str] = []
    for s_index, (source, name) in enumerate(zip(plan.sources, plan.names, strict=True)):
        lines.append(f"{t(name)}  ({t(source)})")
        for cell in cells:
            if cell.scenario_index == s_index:
                lines.extend(cell_lines(cell, minimum))
        lines.append("")
    if len(plan.variants) > 1:
        lines.append(matrix_text(plan, cells))
    return "\n".join(lines)


def matrix_text(plan: SuitePlan, cells: Sequence[CellStats]) -> str:
    """scenario x variant -> passed/runs (percent), as aligned columns."""
    grid = matrix(cells)
    heads = [t(v.name) for v in plan.variants]
    widths = [max(len(h), 11) for h in heads]
    out = ["Pass rates (scenario x variant)"]
    out.append(
        "  "
        + "scenario".ljust(NAME_WIDTH)
        + "  "
        + "  ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True))
    )
    for s_index, name in enumerate(plan.names):
        shown = t(name)
        if len(shown) > NAME_WIDTH:
            shown = shown[: NAME_WIDTH - 1] + "…"
        row = []
        for v_index, width in enumerate(widths):
            cell = grid.get((s_index, v_index))
            text = f"{cell.rate.text()} {cell.rate.percent():>4}" if cell else "-"
            row.append(text.rjust(width))
        out.append("  " + shown.ljust(NAME_WIDTH) + "  " + "  ".join(row))
    return "\n".join(out)


def totals(
    plan: SuitePlan, cells: Sequence[CellStats], minimum: float, stopped: bool = False
) -> str:
    runs = sum(c.rate.total for c in cells)
    passed = sum(c.rate.passed for c in cells)
    under = sum(1 for c in cells if not c.meets(minimum))
    what = "scenario x variant" if len(plan.variants) > 1 else "scenarios"
    text = (
        f"{passed} of {runs} runs passed; {len(cells) - under} of {len(cells)} {what} at or "
        f"above the minimum pass rate {100 * minimum:g}%"
    )
    if plan.errors:
        text += f"; {len(plan.errors)} could not be read"
    if stopped:
        text += f"; stopped after {runs} of {len(plan.jobs)} runs"
    return text
