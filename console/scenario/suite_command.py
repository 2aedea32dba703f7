"""`endcall-console run ... --repeat N / --variants FILE / --jobs N / --html FILE`.

Runs stream as they finish (one line each, under a progress bar on a terminal); then
each scenario's pass rate, each expectation's, the caller-to-action spread and every
distinct outcome with an example session; with variants, the matrix. Exit 1 when a
scenario (under a variant) passes less often than --min-pass-rate (default: every run
must pass), 2 when a file could not be read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from console.report.escape import terminal as t


def wants_suite(args: argparse.Namespace) -> bool:
    """A plain run (one pass, no variants) keeps printing each timeline as before."""
    return (
        getattr(args, "repeat", 1) != 1
        or getattr(args, "variants", None) is not None
        or getattr(args, "jobs", None) is not None
        or getattr(args, "min_pass_rate", None) is not None
        or getattr(args, "html", None) is not None
    )


def parse_rate(text: str) -> float:
    """'0.9', '90%' or '90' -> 0.9; ValueError with the rule otherwise."""
    raw = text.strip()
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        value = float("nan")
    if raw.endswith("%") or value > 1:
        value /= 100
    if not (0 <= value <= 1):  # also refuses NaN
        raise ValueError(
            f"--min-pass-rate must be a fraction (0.9) or a percentage (90%), got {text!r}"
        )
    return value


def run_suite_command(args: argparse.Namespace) -> int:
    from console.command_line import usable_sessions_dir, with_cli_backend
    from console.scenario.suite import MAX_JOBS, default_jobs, plan_suite
    from console.scenario.suite_stats import cell_stats
    from console.scenario.suite_text import run_line, summary, totals
    from console.scenario.variants import VariantsError, load_variants
    from console.session.writer import default_sessions_dir

    if args.audio:
        print(
            "error: --audio runs one call at a time through the sound devices, in real time: "
            "it cannot be combined with --repeat, --variants, --jobs, --min-pass-rate or --html",
            file=sys.stderr,
        )
        return 2
    if args.repeat < 1:
        print(f"error: --repeat must be 1 or more (got {args.repeat})", file=sys.stderr)
        return 2
    if args.jobs is not None and not 1 <= args.jobs <= MAX_JOBS:
        print(f"error: --jobs must be between 1 and {MAX_JOBS} (got {args.jobs})", file=sys.stderr)
        return 2
    try:
        minimum = 1.0 if args.min_pass_rate is None else parse_rate(args.min_pass_rate)
        variants = load_variants(args.variants) if args.variants else None
    except (ValueError, VariantsError) as exc:
        print(f"error: {t(exc)}", file=sys.stderr)
        return 2

    sessions = None if args.no_save else Path(args.sessions or default_sessions_dir())
    sessions = usable_sessions_dir(sessions)
    t0 = time.perf_counter()
    try:
        plan = plan_suite(
            args.scenario,
            args.repeat,
            variants,
            sessions,
            adjust=lambda config: with_cli_backend(config, args),
        )
    except ValueError as exc:
        print(f"error: {t(exc)}", file=sys.stderr)
        return 2
    for source, why in plan.errors:
        print(f"ERROR  {t(source)}: {t(why)}")
    factory = _agent_factory(args) if plan.uses_model else None
    jobs = args.jobs or default_jobs(plan, factory)
    kind = "threads" if plan.uses_model else "processes"
    agent = _agent_text(plan, args)
    print(
        f"{len(plan.sources)} scenario{'s' if len(plan.sources) != 1 else ''} x "
        f"{len(plan.variants)} variant{'s' if len(plan.variants) != 1 else ''} x "
        f"{plan.repeat} run{'s' if plan.repeat != 1 else ''} = {len(plan.jobs)} runs on "
        f"{min(jobs, max(1, len(plan.jobs)))} {kind if jobs > 1 else 'job'}; agent: {t(agent)}"
    )
    sys.stdout.flush()
    records = _run_with_progress(plan, jobs, factory, quiet=args.quiet, run_line=run_line)
    seconds = time.perf_counter() - t0
    cells = cell_stats(plan, records)
    print("\nResults")
    print(summary(plan, cells, minimum))
    stopped = len(records) < len(plan.jobs)
    print(totals(plan, cells, minimum, stopped) + f" in {seconds:.2f} s")
    code = _write_reports(args, plan, cells, minimum, agent, seconds)
    if code:
        return code
    if plan.errors:
        return 2
    return 1 if stopped or any(not c.meets(minimum) for c in cells) else 0


def _run_with_progress(plan, jobs: int, factory, quiet: bool, run_line):
    from tqdm import tqdm

    from console.scenario.suite import run_suite

    bar = tqdm(
        total=len(plan.jobs),
        unit="run",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        leave=False,
        dynamic_ncols=True,
    )
    failed = 0

    def on_result(record) -> None:
        nonlocal failed
        failed += not record.passed
        if not quiet:
            tqdm.write(run_line(plan, record), file=sys.stdout)
        bar.set_postfix_str(f"{failed} failed", refresh=False)
        bar.update(1)

    try:
        return run_suite(plan, jobs, on_result=on_result, agent_factory=factory)
    finally:
        bar.close()


def _agent_factory(args: argparse.Namespace):
    """A model's agents are made here (threads), with --llm URL's user-info for the
    connection only."""
    from console.command_line import cli_agent

    return lambda config: cli_agent(config, args)


def _agent_text(plan, args: argparse.Namespace) -> str:
    shown = []
    for job in plan.jobs:
        backend = job.config.agent.backend
        text = (
            f"{backend.llm.model} at {backend.llm.base_url}" if backend.kind == "llm" else "offline"
        )
        if text not in shown:
            shown.append(text)
    return ", ".join(shown) or "none"


def _write_reports(args, plan, cells, minimum: float, agent: str, seconds: float) -> int:
    from console.core.eventlog import describe_write_error

    if args.junit:
        from console.scenario.junit import write_suite_junit

        path = Path(args.junit)
        try:
            write_suite_junit(cells, plan.errors, path, seconds, minimum, len(plan.variants) > 1)
        except OSError as exc:
            why = describe_write_error(path, exc)
            print(f"error: the JUnit file is not written: {t(why)}", file=sys.stderr)
            return 2
    if args.html:
        from console.scenario.matrix_html import to_html

        path = Path(args.html)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(to_html(plan, cells, minimum, agent), encoding="utf-8")
        except OSError as exc:
            why = describe_write_error(path, exc)
            print(f"error: the HTML page is not written: {t(why)}", file=sys.stderr)
            return 2
        print(f"wrote {t(path)}")
    return 0
