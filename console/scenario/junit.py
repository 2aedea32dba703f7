"""JUnit XML for CI systems: one test case per scenario, failures in plain words.

Scenario names, sources and failure texts can hold any character; XML 1.0 cannot (a
control character makes the file not well-formed, and CI rejects the whole report), so
each string passes console.report.escape.xml_text first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from console.report.escape import xml_text as x
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
