"""Suites: repeats with pass rates, parallel jobs that do not change the figures,
variants side by side (text, HTML, JUnit), the minimum pass rate, and bad input."""

from __future__ import annotations

import itertools
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from console.agent.offline import OfflineAgent
from console.cli import main
from console.core.agent_port import AgentRequest, Emit, Purpose, Say, TurnDone
from console.scenario.suite import plan_suite, run_suite
from console.scenario.suite_command import parse_rate
from console.scenario.suite_stats import cell_stats
from console.scenario.suite_text import summary
from console.scenario.variants import Variant, VariantsError, flatten, load_variants
from tests.conftest import ASSETS

SCENARIOS = sorted(str(p) for p in (ASSETS / "scenarios").glob("*.yaml"))

SEED = """
name: seed no
config:
  agent:
    main_prompt: |
      1. Ask "Ready?" If the contact responds no, call end_call and say "Thanks for your time."
caller:
  - say: "no thanks"
expect:
  action_invoked: true
  action_turn: 1
  goodbye_contains: "Thanks for your time"
"""

VARIANTS = """
variants:
  - name: as written
  - name: skip goodbye
    description: hang up at once
    overrides: {end_call: {skip_goodbye: true}}
  - name: renamed action
    overrides: {end_call.name: hang_up}
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def results_section(out: str) -> str:
    """What a suite prints after its runs, without the wall time."""
    section = out[out.index("\nResults\n") :]
    return re.sub(r" in \d+\.\d+ s", "", section)


def test_repeat_prints_rates_latency_and_outcomes(tmp_path, capsys):
    seed = write(tmp_path / "seed.yaml", SEED)
    assert main(["run", str(seed), "--repeat", "3", "--jobs", "1", "--no-save"]) == 0
    out = capsys.readouterr().out
    assert "1 scenario x 1 variant x 3 runs = 3 runs on 1 job; agent: offline" in out
    assert out.count("PASS  seed no #") == 3  # streamed, one line per run
    assert "  as written: 3/3 passed (100%)" in out
    assert re.search(r"action at caller turn 1 +3/3", out)
    assert re.search(r"action fires at most once +3/3", out)
    assert "caller to action: 0.50 s (3 runs)" in out
    assert "3x PASS  end_call at caller turn 1; goodbye played; ended by the End Call action" in out
    assert "3 of 3 runs passed; 1 of 1 scenarios at or above the minimum pass rate 100%" in out


def test_sessions_of_every_run_are_kept_and_an_example_is_named(tmp_path, capsys):
    seed = write(tmp_path / "seed.yaml", SEED)
    sessions = tmp_path / "sessions"
    assert (
        main(["run", str(seed), "--repeat", "2", "--jobs", "2", "--sessions", str(sessions)]) == 0
    )
    folders = sorted(sessions.iterdir())
    assert len(folders) == 2
    out = capsys.readouterr().out
    (example,) = re.findall(r"e\.g\. run 1: (\S+)", out)
    assert Path(example) in folders


def test_the_figures_do_not_depend_on_the_job_count(tmp_path, capsys):
    variants = write(tmp_path / "v.yaml", VARIANTS)
    texts = []
    for jobs in ("1", "4"):
        junit = tmp_path / f"junit-{jobs}.xml"
        args = ["run", *SCENARIOS, "--repeat", "2", "--variants", str(variants), "--no-save"]
        code = main([*args, "--jobs", jobs, "-q", "--junit", str(junit)])
        assert code == 1  # some variants fail some scenarios
        out = capsys.readouterr().out
        runs = len(SCENARIOS) * 3 * 2  # scenarios x variants x repeats
        assert f"= {runs} runs on {jobs} {'job' if jobs == '1' else 'processes'}" in out
        texts.append(results_section(out))
        cases = ET.parse(junit).getroot().iter("testcase")
        texts.append([(c.get("name"), c.find("properties/property").get("value")) for c in cases])
    assert texts[0] == texts[2] and texts[1] == texts[3]
    assert "Pass rates (scenario x variant)" in texts[0]


def test_variants_print_the_matrix_and_write_html_and_junit_with_rates(tmp_path, capsys):
    seed = write(tmp_path / "seed.yaml", SEED.replace("seed no", "seed <b>no</b>"))
    variants = write(tmp_path / "v.yaml", VARIANTS)
    html, junit = tmp_path / "out" / "m.html", tmp_path / "j.xml"
    args = ["run", str(seed), "--repeat", "2", "--variants", str(variants), "--no-save"]
    assert main([*args, "--html", str(html), "--junit", str(junit), "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    matrix = out[out.index("Pass rates (scenario x variant)") :]
    row = next(line for line in matrix.splitlines() if "seed <b>no</b>" in line)
    assert re.search(r"2/2 100% +0/2 +0% +0/2 +0%", row), row
    assert "skip goodbye: 0/2 passed (0%)  UNDER THE MINIMUM 100%" in out
    assert (
        "2x FAIL  no action; ended by the caller hanging up; said goodbye but never hung up" in out
    )
    page = html.read_text()
    assert "seed &lt;b&gt;no&lt;/b&gt;" in page and "<b>no</b>" not in page
    assert "✓ 2/2" in page and "✗ 0/2" in page and "end_call.skip_goodbye: True" in page
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("3", "2")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failing = cases["seed <b>no</b> [skip goodbye]"]
    props = {p.get("name"): p.get("value") for p in failing.iter("property")}
    assert props["pass_rate"] == "0.0000" and props["runs"] == "2"
    assert props["check: End Call action invoked"] == "2/2"
    assert props["check: goodbye contains 'Thanks for your time'"] == "0/2"
    assert "under the minimum pass rate 100%" in failing.find("failure").get("message")
    assert cases["seed <b>no</b> [as written]"].find("failure") is None


@pytest.mark.parametrize("rate,code", [("0", 0), ("0%", 0), ("34%", 1), ("0.0", 0), ("1", 1)])
def test_min_pass_rate_sets_the_exit_code(tmp_path, capsys, rate, code):
    seed = write(tmp_path / "seed.yaml", SEED)
    variants = write(tmp_path / "v.yaml", VARIANTS)  # 1 of 3 cells passes
    args = ["run", str(seed), "--variants", str(variants), "--no-save", "-q", "--jobs", "1"]
    assert main([*args, "--min-pass-rate", rate]) == code


def test_partial_rates_outcomes_and_spread_over_repeats():
    """An agent that ends the call on every other run: rates are counted per expectation,
    outcomes grouped with their first run as the example, whatever the job count."""
    plan = plan_suite([str(Path(SCENARIOS[0]))], repeat=4)

    def factory_figures(jobs: int) -> str:
        made = itertools.count()

        def factory(config):
            return OfflineAgent() if next(made) % 2 == 0 else NeverEnds()

        records = run_suite(plan, jobs=jobs, agent_factory=factory)
        return summary(plan, cell_stats(plan, records), 0.5)

    one, three = factory_figures(1), factory_figures(3)
    assert one == three
    assert "as written: 2/4 passed (50%)" in one and "UNDER" not in one
    assert re.search(r"action at caller turn 3 +2/4", one)
    assert re.search(r"action fires at most once +4/4", one)
    assert "2x PASS  end_call at caller turn 3" in one
    assert "2x FAIL  no action; ended by the caller hanging up" in one
    assert "e.g. run 1: not saved" in one and "e.g. run 2: not saved" in one
    assert "caller to action: 0.65 s (2 runs)" in one


class NeverEnds(OfflineAgent):
    """Answers every caller turn with a question and never invokes the action."""

    backend = "never-ends"

    def begin(self, request: AgentRequest, emit: Emit) -> None:
        if request.purpose is not Purpose.REPLY:
            return super().begin(request, emit)
        emit(Say(request.turn, "Could you say that again?"))
        emit(TurnDone(request.turn))


def test_stop_cancels_the_runs_not_started():
    plan = plan_suite(SCENARIOS[:2], repeat=20)
    stop = threading.Event()
    seen = []

    def on_result(record) -> None:
        seen.append(record)
        stop.set()

    records = run_suite(plan, jobs=1, on_result=on_result, stop=stop)
    assert len(records) == len(seen) == 1


def test_a_run_that_cannot_get_its_agent_fails_and_the_others_go_on():
    plan = plan_suite(SCENARIOS[:1], repeat=3)
    made = itertools.count()

    def factory(config):
        if next(made) == 1:
            raise RuntimeError("the openai package is not installed")
        return OfflineAgent()

    records = run_suite(plan, jobs=2, agent_factory=factory)
    assert [r.passed for r in records] == [True, False, True]
    assert records[1].failures == [
        "no agent for the run (RuntimeError: the openai package is not installed)"
    ]


def test_a_scenario_that_cannot_be_read_is_named_and_the_rest_runs(tmp_path, capsys):
    seed = write(tmp_path / "seed.yaml", SEED)
    broken = write(tmp_path / "broken.yaml", "[]")
    assert main(["run", str(seed), str(broken), "--repeat", "2", "--no-save", "-q"]) == 2
    out = capsys.readouterr().out
    assert "ERROR  " in out and "must be a mapping" in out
    assert "2 of 2 runs passed" in out and "1 could not be read" in out


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--min-pass-rate", "abc"], "--min-pass-rate must be a fraction (0.9) or a percentage"),
        (["--min-pass-rate", "150%"], "--min-pass-rate must be a fraction"),
        (["--min-pass-rate", "nan"], "--min-pass-rate must be a fraction"),
        (["--jobs", "0"], "--jobs must be between 1 and 64 (got 0)"),
        (["--repeat", "0"], "--repeat must be 1 or more (got 0)"),
        (["--repeat", "2", "--audio"], "--audio runs one call at a time"),
        (["--variants", "missing.yaml"], "missing.yaml: file not found"),
    ],
)
def test_bad_options_are_named_without_a_traceback(tmp_path, capsys, extra, message):
    seed = write(tmp_path / "seed.yaml", SEED)
    assert main(["run", str(seed), "--no-save", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "text,message",
    [
        ("variants: []", "variants: List should have at least 1 item"),
        ("variants: [{name: a, overrides: {end_call.skip_goodby: true}}]", "end_call.skip_goodby"),
        (
            "variants: [{name: a, overrides: {end_call: {name: 'a b'}}}]",
            "must be a valid tool name",
        ),
        ("variants: [{name: a}, {name: A}]", "two variants are named 'A'"),
        ("variants: [{name: a, colour: red}]", "colour: unknown field"),
        ("42", "a variants file is a mapping with a 'variants' list"),
        ("variants: [{name: a, overrides: {agent.turn_taking.silence_timeout_s: -1}}]", "greater"),
    ],
)
def test_variants_files_that_cannot_be_used_name_the_problem(tmp_path, text, message):
    with pytest.raises(VariantsError, match=re.escape(message)):
        load_variants(write(tmp_path / "v.yaml", text))


def test_nested_overrides_become_fields_and_variables_stay_whole():
    assert flatten({"end_call": {"skip_goodbye": True}, "agent": {"variables": {"a": "1"}}}) == {
        "end_call.skip_goodbye": True,
        "agent.variables": {"a": "1"},
    }


def test_a_variant_a_scenario_config_refuses_is_an_error_for_that_scenario(tmp_path):
    seed = write(tmp_path / "seed.yaml", SEED)
    bad = Variant("bad", {"agent.voice.rate_wpm": 5})
    plan = plan_suite([str(seed)], variants=[bad])
    assert plan.jobs == [] and "variant 'bad': agent.voice.rate_wpm" in plan.errors[0][1]


@pytest.mark.parametrize("text,value", [("0.9", 0.9), ("90%", 0.9), ("90", 0.9), ("1", 1.0)])
def test_pass_rates_read_as_fractions_or_percentages(text, value):
    assert parse_rate(text) == pytest.approx(value)
