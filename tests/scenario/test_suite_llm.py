"""A suite against a real model: llama.cpp's server with Gemma 3 270M (tests/llm).

What is tested is that repeats, parallel runs on threads, rates, outcomes and the JUnit
and HTML reports work with a model whose answers vary, not the model's judgement: its
pass rate is whatever it is, and the test log shows it.

llama-cpp-python's server cuts a streamed reply short when another request arrives
(its `interrupt_requests` setting, on by default), so two runs at once can fail each
other's turns with "the streamed reply stopped before it finished"; the console reports
that as the agent failing, which is what this server does. Started with
`--interrupt_requests False` it queues them instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.llm import conftest as llm_fixtures
from tests.llm.server import MODEL_ALIAS
from tests.parts import keep_measurement

ROOT = Path(__file__).resolve().parents[2]
llama = llm_fixtures.llama  # the session's real model server
proxy = llm_fixtures.proxy  # asks the server for the End Call tool on the lines a test names


def test_repeats_against_the_real_model_print_rates(proxy, tmp_path):
    proxy.ending_lines.add("No thanks.")  # the seed scenario's last line: the tool is called
    scenarios = sorted(str(p) for p in (ROOT / "assets" / "scenarios").glob("*.yaml"))[:2]
    junit, html = tmp_path / "junit.xml", tmp_path / "matrix.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "run",
            *scenarios,
            "--llm",
            proxy.url,
            "--llm-model",
            MODEL_ALIAS,
            "--repeat",
            "2",
            "--jobs",
            "2",
            "--no-save",
            "--junit",
            str(junit),
            "--html",
            str(html),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    keep_measurement("llm-suite.txt", done.stdout)  # the model's real pass rates, kept
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert (
        f"2 scenarios x 1 variant x 2 runs = 4 runs on 2 threads; agent: {MODEL_ALIAS} at "
        f"{proxy.url}" in done.stdout
    )
    assert len(re.findall(r"#[12]/2  ", done.stdout)) == 4  # every run streamed
    rates = re.findall(r"  as written: (\d)/2 passed", done.stdout)
    assert len(rates) == 2
    assert re.search(r"\d of 4 runs passed; \d of 2 scenarios at or above", done.stdout)
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert len(cases) == 2
    for case, rate in zip(cases, rates, strict=True):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["runs"] == "2" and props["passed"] == rate
    assert "runs passed" in html.read_text()


def test_variants_against_the_real_model_print_the_matrix(proxy, tmp_path):
    """The same scenario under two End Call configs against the real model: the matrix
    has a column for each, and the skip-goodbye variant's runs have no goodbye to hear
    whatever the model says (the proxy asks for the tool on the ending line)."""
    proxy.ending_lines.add("No thanks.")
    variants = tmp_path / "variants.yaml"
    variants.write_text(
        "variants:\n"
        "  - name: as written\n"
        "  - name: skip goodbye\n"
        "    overrides: {end_call: {skip_goodbye: true}}\n"
    )
    html = tmp_path / "matrix.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "run",
            str(ROOT / "assets" / "scenarios" / "01-seed-no-to-ready.yaml"),
            "--llm",
            proxy.url,
            "--llm-model",
            MODEL_ALIAS,
            "--variants",
            str(variants),
            "--jobs",
            "1",
            "--no-save",
            "--html",
            str(html),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    keep_measurement("llm-variants.txt", done.stdout)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "1 scenario x 2 variants x 1 run = 2 runs" in done.stdout, done.stdout
    matrix = done.stdout[done.stdout.index("Pass rates (scenario x variant)") :]
    header = matrix.splitlines()[1]
    assert "as written" in header and "skip goodbye" in header, matrix
    row = next(line for line in matrix.splitlines() if "seed" in line.lower())
    assert len(re.findall(r"\d/1 +\d+%", row)) == 2, row
    page = html.read_text()
    assert "as written" in page and "skip goodbye" in page
