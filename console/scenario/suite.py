"""Suites: every scenario, under every variant, N times, on several workers at once.

A model does not end a call the same way every time, so one run proves little: a suite
runs each (scenario, variant) `repeat` times and keeps every run's events and checks,
for pass rates, latency spreads and outcome groups (console/scenario/suite_stats.py).

Runs go in parallel. The offline agent is CPU-bound, so its runs go to processes (one
per core by default); a language model spends its time waiting on the server, so its
runs go to threads (2 by default: what a small local server takes), and its key never
has to cross a process boundary. The figures never depend on the job count: every run
is independent, results are kept by their place in the plan, not by when they finished.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path

from console.core import events as ev
from console.core.agent_port import Agent
from console.core.config import CallConfig
from console.scenario.checks import Check, evaluate
from console.scenario.model import Scenario, ScenarioError, load_scenario
from console.scenario.variants import AS_WRITTEN, Variant, VariantsError, apply_variant

LLM_DEFAULT_JOBS = 2
MAX_JOBS = 64
MAX_RUNS = 100_000

AgentFactory = Callable[[CallConfig], Agent]


@dataclass(frozen=True)
class SuiteJob:
    """One run to make; picklable (it goes to a worker process as it is)."""

    index: int  # place in the plan: scenario, then variant, then repeat
    scenario_index: int
    variant_index: int
    repeat: int  # 1-based
    source: str
    scenario: Scenario
    config: CallConfig
    sessions_dir: Path | None


@dataclass
class RunRecord:
    """What one run did: its checks, its failures in words, its timeline, its session."""

    index: int
    scenario_index: int
    variant_index: int
    repeat: int
    source: str
    scenario_name: str
    checks: list[Check]
    failures: list[str]
    events: list[ev.Event]
    session_dir: Path | None = None
    warning: str = ""  # e.g. the session could not be saved

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class SuitePlan:
    """The runs to make, with what they are made of (for the reports)."""

    sources: list[str]  # scenario files that could be read, in the order given
    names: list[str]  # their scenario names
    variants: list[Variant]
    repeat: int
    jobs: list[SuiteJob]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    uses_model: bool = False


def plan_suite(
    paths: Sequence[str | Path],
    repeat: int = 1,
    variants: Sequence[Variant] | None = None,
    sessions_dir: Path | None = None,
    adjust: Callable[[CallConfig], CallConfig] | None = None,
) -> SuitePlan:
    """Read every scenario once and lay out its runs. A file that cannot be read, or a
    variant its config refuses, is an error for that file; the others still run.
    `adjust` changes each run's config last (the command line's --llm)."""
    if not 1 <= repeat <= MAX_RUNS:
        raise ValueError(f"repeat must be between 1 and {MAX_RUNS} (got {repeat})")
    chosen = list(variants) if variants else [AS_WRITTEN]
    plan = SuitePlan([], [], chosen, repeat, [])
    configs: list[tuple[Scenario, str, list[CallConfig]]] = []
    for path in paths:
        source = str(path)
        try:
            scenario, config = load_scenario(path)
            per_variant = [apply_variant(config, v) for v in chosen]
            if adjust is not None:
                per_variant = [adjust(c) for c in per_variant]
        except (ScenarioError, VariantsError, ValueError) as exc:
            plan.errors.append((source, str(exc)))
            continue
        configs.append((scenario, source, per_variant))
    total = len(configs) * len(chosen) * repeat
    if total > MAX_RUNS:
        raise ValueError(f"{total} runs is more than {MAX_RUNS}: fewer repeats or scenarios")
    for s_index, (scenario, source, per_variant) in enumerate(configs):
        plan.sources.append(source)
        plan.names.append(scenario.name)
        for v_index, config in enumerate(per_variant):
            plan.uses_model |= config.agent.backend.kind != "offline"
            for r in range(repeat):
                plan.jobs.append(
                    SuiteJob(
                        index=(s_index * len(chosen) + v_index) * repeat + r,
                        scenario_index=s_index,
                        variant_index=v_index,
                        repeat=r + 1,
                        source=source,
                        scenario=scenario,
                        config=config,
                        sessions_dir=sessions_dir,
                    )
                )
    return plan


def default_jobs(plan: SuitePlan, agent_factory: AgentFactory | None = None) -> int:
    """Cores for the offline agent; a small number for a model (the server is the limit)."""
    if plan.uses_model or agent_factory is not None:
        return LLM_DEFAULT_JOBS
    return max(1, os.cpu_count() or 1)


def run_one(job: SuiteJob, agent: Agent | None = None) -> RunRecord:
    """Run one job here and now; a run that raises is a failed run, never a crash."""
    from console.scenario.runner import backend_failures, run_scenario

    warning = ""
    try:
        try:
            result = run_scenario(job.scenario, job.config, job.source, job.sessions_dir, agent)
        except OSError as exc:  # the session could not be saved: run it unsaved
            if job.sessions_dir is None:
                raise
            warning = f"the session is not saved ({exc})"
            result = run_scenario(job.scenario, job.config, job.source, None, None)
    except Exception as exc:
        return _failed(job, f"the run failed ({type(exc).__name__}: {exc})")
    checks = evaluate(job.scenario.expect, result.events, result.lints)
    failed = backend_failures(result.events)
    if failed:
        checks.append(Check("agent", "the agent answered without failing", "; ".join(failed)))
    return _record(job, checks, result.failures, result.events, result.session_dir, warning)


def _record(
    job: SuiteJob,
    checks: list[Check],
    failures: list[str],
    events: list[ev.Event],
    session_dir: Path | None,
    warning: str,
) -> RunRecord:
    return RunRecord(
        index=job.index,
        scenario_index=job.scenario_index,
        variant_index=job.variant_index,
        repeat=job.repeat,
        source=job.source,
        scenario_name=job.scenario.name,
        checks=checks,
        failures=failures,
        events=events,
        session_dir=session_dir,
        warning=warning,
    )


def _process_job(job: SuiteJob) -> RunRecord:
    """In a worker process: the agent comes from the run's config (offline)."""
    return run_one(job)


def submission_order(jobs: Iterable[SuiteJob]) -> list[SuiteJob]:
    """First repeat of everything first, so every scenario's rate shows early."""
    return sorted(jobs, key=lambda j: (j.repeat, j.scenario_index, j.variant_index))


def run_suite(
    plan: SuitePlan,
    jobs: int | None = None,
    on_result: Callable[[RunRecord], None] | None = None,
    stop: threading.Event | None = None,
    agent_factory: AgentFactory | None = None,
) -> list[RunRecord]:
    """Make every run of the plan; `on_result` hears each as it finishes (on this thread).
    Setting `stop` cancels the runs not yet started. Returns the records in plan order."""
    count = jobs if jobs is not None else default_jobs(plan, agent_factory)
    count = max(1, min(count, MAX_JOBS, len(plan.jobs) or 1))
    stop = stop or threading.Event()
    records: list[RunRecord] = []

    def done(record: RunRecord) -> None:
        records.append(record)
        if on_result is not None:
            on_result(record)

    ordered = submission_order(plan.jobs)
    if count == 1:
        for job in ordered:
            if stop.is_set():
                break
            done(run_one(job, agent_factory(job.config) if agent_factory else None))
    else:
        with _executor(plan, count, agent_factory) as pool:
            _drain(pool, ordered, count, stop, agent_factory, done)
    return sorted(records, key=lambda r: r.index)


def _executor(plan: SuitePlan, count: int, agent_factory: AgentFactory | None) -> Executor:
    if plan.uses_model or agent_factory is not None:
        return ThreadPoolExecutor(count, thread_name_prefix="suite")
    # spawn, not fork: the window runs suites too, and forking a process with Qt and
    # other threads in it can leave a child holding a lock no thread will release.
    return ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))


def _drain(
    pool: Executor,
    ordered: list[SuiteJob],
    count: int,
    stop: threading.Event,
    agent_factory: AgentFactory | None,
    done: Callable[[RunRecord], None],
) -> None:
    """Keep at most 2 x count runs queued (so a stop takes effect soon) until all ran."""
    pending = iter(ordered)
    running: dict[Future[RunRecord], SuiteJob] = {}
    threads = isinstance(pool, ThreadPoolExecutor)

    def submit_more() -> None:
        while len(running) < 2 * count and not stop.is_set():
            job = next(pending, None)
            if job is None:
                return
            if not threads:
                running[pool.submit(_process_job, job)] = job
                continue
            try:
                agent = agent_factory(job.config) if agent_factory else None
            except Exception as exc:  # e.g. the model client is not installed
                done(_failed(job, f"no agent for the run ({type(exc).__name__}: {exc})"))
                continue
            running[pool.submit(run_one, job, agent)] = job

    submit_more()
    while running:
        finished, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
        for future in finished:
            job = running.pop(future)
            try:
                done(future.result())
            except Exception as exc:  # a worker process died (killed, out of memory)
                done(_failed(job, f"the worker failed ({type(exc).__name__}: {exc})"))
        if stop.is_set():
            for future in list(running):
                if future.cancel():
                    running.pop(future)
        else:
            submit_more()


def _failed(job: SuiteJob, why: str) -> RunRecord:
    return _record(job, [Check("run", "the run completed", why)], [why], [], None, "")
