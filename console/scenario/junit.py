"""JUnit XML for CI systems: one test case per scenario, failures in plain words."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from console.scenario.runner import RunResult


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
            suite, "testcase", classname=r.source or "scenario", name=r.scenario.name, time="0"
        )
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.failures[0])
            failure.text = "\n".join(r.failures)
    for source, message in errors:
        case = ET.SubElement(suite, "testcase", classname=source, name=source, time="0")
        error = ET.SubElement(case, "error", message=message)
        error.text = message
    ET.indent(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
