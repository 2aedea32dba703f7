"""A suite's matrix as one self-contained HTML page: which End Call variant makes the
agent hang up correctly, scenario by scenario, for a tester to show a team.

Rows are scenarios, columns variants, each cell the pass rate over the repeats (text and
a mark, not colour alone: the colours are the app's blue/orange family, told apart by
people with the common colour-vision deficiencies). A click on a cell goes to its
details: each expectation's rate, the caller-to-action spread, every distinct outcome
with an example session. Everything a scenario, variant or model chose is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from console.report.escape import html_text as h
from console.scenario.suite import SuitePlan
from console.scenario.suite_stats import CellStats, matrix

MEETS = "#d4e8f7"  # at or above the minimum
PARTLY = "#fbe0b5"  # under it, some passes
NONE = "#f6c3cc"  # no pass at all

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.facts { color: #4a5568; margin-bottom: 16px; }
table { border-collapse: collapse; }
th, td { border: 1px solid #c8ced8; padding: 6px 10px; vertical-align: top; }
th { background: #eef1f5; text-align: left; }
td.cell { text-align: center; min-width: 110px; }
td.cell a { color: inherit; text-decoration: none; display: block; }
.rate { font-weight: 600; } .pct { color: #4a5568; }
.detail { border: 1px solid #c8ced8; border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.detail h3 { font-size: 15px; margin: 0 0 6px; }
.fail { color: #9b1f35; } .pass { color: #1f5f99; }
code { background: #f3f4f7; padding: 0 3px; border-radius: 3px; }
ul { margin: 4px 0; }
"""


def _band(cell: CellStats, minimum: float) -> tuple[str, str]:
    if cell.meets(minimum):
        return MEETS, "✓"
    return (PARTLY if cell.rate.passed else NONE), "✗"


def _anchor(cell: CellStats) -> str:
    return f"cell-{cell.scenario_index}-{cell.variant_index}"


def to_html(
    plan: SuitePlan,
    cells: Sequence[CellStats],
    minimum: float,
    agent: str,
    when: datetime | None = None,
) -> str:
    when = when or datetime.now()
    grid = matrix(cells)
    runs = sum(c.rate.total for c in cells)
    passed = sum(c.rate.passed for c in cells)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>End Call scenarios: pass rates</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>End Call scenarios: pass rates (scenario × variant)</h1>",
        f'<div class="facts">{h(when.strftime("%Y-%m-%d %H:%M"))} · agent: {h(agent)} · '
        f"{plan.repeat} run{'s' if plan.repeat != 1 else ''} per cell · minimum pass rate "
        f"{100 * minimum:g}% · {passed} of {runs} runs passed</div>",
        "<table><tr><th>scenario</th>",
    ]
    for variant in plan.variants:
        parts.append(f"<th>{h(variant.name)}</th>")
    parts.append("</tr>")
    for s_index, name in enumerate(plan.names):
        parts.append(f"<tr><th>{h(name)}<br><code>{h(plan.sources[s_index])}</code></th>")
        for v_index in range(len(plan.variants)):
            cell = grid.get((s_index, v_index))
            if cell is None:
                parts.append('<td class="cell">–</td>')
                continue
            color, mark = _band(cell, minimum)
            parts.append(
                f'<td class="cell" style="background:{color}"><a href="#{_anchor(cell)}" '
                f'title="{h(cell.outcomes[0].text if cell.outcomes else "")}">'
                f'<span class="rate">{mark} {cell.rate.text()}</span> '
                f'<span class="pct">{cell.rate.percent()}</span></a></td>'
            )
        parts.append("</tr>")
    parts.append("</table>")
    if plan.errors:
        parts.append("<h2>Could not be read</h2><ul>")
        parts += [f"<li><code>{h(src)}</code>: {h(why)}</li>" for src, why in plan.errors]
        parts.append("</ul>")
    parts.append("<h2>Variants</h2><table><tr><th>variant</th><th>changes</th></tr>")
    for variant in plan.variants:
        changes = ", ".join(f"<code>{h(k)}: {h(v)}</code>" for k, v in variant.overrides.items())
        about = f"{h(variant.description)}<br>" if variant.description else ""
        parts.append(
            f"<tr><td>{h(variant.name)}</td><td>{about}{changes or 'none (as written)'}</td></tr>"
        )
    parts.append("</table><h2>Details</h2>")
    parts += [_detail(cell, minimum) for cell in cells]
    parts.append("</body></html>")
    return "\n".join(parts)


def _detail(cell: CellStats, minimum: float) -> str:
    verdict = "pass" if cell.meets(minimum) else "fail"
    out = [
        f'<div class="detail" id="{_anchor(cell)}">',
        f"<h3>{h(cell.scenario_name)} · {h(cell.variant.name)}: "
        f'<span class="{verdict}">{cell.rate.text()} passed ({cell.rate.percent()})</span></h3>',
        "<table><tr><th>expectation</th><th>passed</th></tr>",
    ]
    for label, rate in cell.checks:
        cls = "pass" if rate.passed == rate.total else "fail"
        out.append(f'<tr><td>{h(label)}</td><td class="{cls}">{rate.text()}</td></tr>')
    out.append("</table>")
    if cell.latency is not None:
        out.append(f"<p>caller to action: {h(cell.latency.text())}</p>")
    out.append("<p>outcomes:</p><ul>")
    for outcome in cell.outcomes:
        status = "PASS" if outcome.passed else "FAIL"
        cls = "pass" if outcome.passed else "fail"
        example = outcome.example
        where = "not saved"
        if example.session_dir is not None:
            where = (
                f'<a href="{h(example.session_dir.resolve().as_uri())}">'
                f"<code>{h(example.session_dir)}</code></a>"
            )
        failures = "".join(f"<br>{h(f)}" for f in example.failures[:3])
        out.append(
            f'<li><span class="{cls}">{len(outcome.runs)}× {status}</span> {h(outcome.text)}'
            f"{failures}<br>e.g. run {example.repeat}: {where}</li>"
        )
    out.append("</ul></div>")
    return "\n".join(out)
