"""JUnit XML for CI systems: one test case per scenario, failures in plain words.

A suite (repeats, variants) writes one test case per scenario and variant instead: it
fails when its pass rate is under the minimum, and carries its rates as properties
(`pass_rate`, `passed`, `runs`, one `check: <expectation>` per expectation) and as text
in system-out, which every CI shows.

Scenario names, sources and failure texts can hold any character; XML 1.0 cannot (a
control character makes the file not well-formed, and CI rejects the whole report), so
each string passes console.report.escape.xml_text first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from console.report.escape import xml_text as x
from console.scenario.runner import RunResult

if TYPE_CHECKING:
    from console.scenario.suite_stats import CellStats


def write_junit(
    results: list[RunResult], errors: list[tuple[str, str]], path: Path, seconds: float
) -> None:
    failures = sum(1 for r in results if not r.passed)
    suite = ET.Element(
        "testsuite",
        name="endcall-console scenarios",
        tests=str(len(results) + len(errors)),
        failures=str(failures),
        errors=str(len(errors)),
        time=f"{seconds:.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=x(r.source or "scenario"),
            name=x(r.scenario.name),
            time="0",
        )
        if not r.passed:
            first = r.failures[0] if r.failures else "failed"
            failure = ET.SubElement(case, "failure", message=x(first))
            failure.text = x("\n".join(r.failures))
    for source, message in errors:
        case = ET.SubElement(suite, "testcase", classname=x(source), name=x(source), time="0")
        error = ET.SubElement(case, "error", message=x(message))
        error.text = x(message)
    ET.indent(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def write_suite_junit(
    cells: Sequence[CellStats],
    errors: list[tuple[str, str]],
    path: Path,
    seconds: float,
    minimum: float,
    variants_shown: bool,
) -> None:
    """One test case per scenario (and variant), failing under the minimum pass rate."""
    from console.scenario.suite_text import cell_lines

    failures = sum(1 for c in cells if not c.meets(minimum))
    suite = ET.Element(
        "testsuite",
        name="endcall-console scenarios",
        tests=str(len(cells) + len(errors)),
        failures=str(failures),
        errors=str(len(errors)),
        time=f"{seconds:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="min_pass_rate", value=f"{minimum:g}")
    for cell in cells:
        name = cell.scenario_name + (f" [{cell.variant.name}]" if variants_shown else "")
        case = ET.SubElement(
            suite, "testcase", classname=x(cell.source or "scenario"), name=x(name), time="0"
        )
        case_props = ET.SubElement(case, "properties")
        for key, value in (
            ("pass_rate", f"{cell.rate.fraction:.4f}"),
            ("passed", str(cell.rate.passed)),
            ("runs", str(cell.rate.total)),
            ("variant", cell.variant.name),
        ):
            ET.SubElement(case_props, "property", name=key, value=x(value))
        for label, rate in cell.checks:
            ET.SubElement(case_props, "property", name=x(f"check: {label}"), value=rate.text())
        if cell.latency is not None:
            ET.SubElement(
                case_props,
                "property",
                name="caller_to_action_median_s",
                value=f"{cell.latency.median:.3f}",
            )
        if not cell.meets(minimum):
            message = (
                f"passed {cell.rate.text()} ({cell.rate.percent()}), under the minimum "
                f"pass rate {100 * minimum:g}%"
            )
            failure = ET.SubElement(case, "failure", message=x(message))
            failure.text = x("\n".join(cell_lines(cell, minimum)))
        out = ET.SubElement(case, "system-out")
        out.text = x("\n".join(cell_lines(cell, minimum)))
    for source, message in errors:
        case = ET.SubElement(suite, "testcase", classname=x(source), name=x(source), time="0")
        error = ET.SubElement(case, "error", message=x(message))
        error.text = x(message)
    ET.indent(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
