"""Run a scenario's call on a virtual clock: the engine, any agent, simulated speech.

Time is simulated, not waited for: speech lasts as long as its text takes to say at the
configured rate, the recogniser's end-of-utterance silence is added before a caller line
reaches the agent, and the engine's own deadlines (response delay, drop guard, timeouts)
are honoured. With the offline agent a dozen scenarios run in well under a second, and
the same scenario always gives the same timeline.

An agent that answers over time (a language model) makes the clock follow real time
while it works: its real latency is on the timeline, the rest of the call stays
simulated. A model that fails fails the scenario, with its reason.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from console.agent.backends import make_agent
from console.agent.lints import Lint, lint_config
from console.core import events as ev
from console.core.agent_port import Agent
from console.core.clock import VirtualClock
from console.core.config import CallConfig, ConfigStore
from console.core.engine import CallEngine, CallState
from console.core.speech_time import estimate_speech_seconds
from console.core.text_voice import SimulatedVoice
from console.scenario.checks import check_expectations
from console.scenario.model import AnswerStep, Scenario
from console.session.writer import SessionWriter, new_session_dir
from console.speech.end_of_turn import TurnEnd, rule_for

MAX_SIM_SECONDS = 6 * 3600.0
STALL_GRACE_S = 15.0  # beyond the agent's own reply deadline: it no longer answers


class Scheduler:
    """A discrete-event queue over a VirtualClock."""

    def __init__(self, clock: VirtualClock):
        self.clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._ids = itertools.count()
        self._cancelled: set[int] = set()

    def at(self, t: float, fn: Callable[[], None]) -> int:
        handle = next(self._ids)
        heapq.heappush(self._heap, (max(t, self.clock.now()), handle, fn))
        return handle

    def cancel(self, handle: int) -> None:
        self._cancelled.add(handle)

    def next_time(self) -> float | None:
        while self._heap and self._heap[0][1] in self._cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def run_due(self) -> None:
        now = self.clock.now()
        while self.next_time() is not None and self._heap[0][0] <= now:
            _, _handle, fn = heapq.heappop(self._heap)
            fn()


@dataclass
class RunResult:
    scenario: Scenario
    source: str
    events: list[ev.Event]
    failures: list[str]
    lints: list[Lint]
    session_dir: Path | None = None
    unspoken_lines: int = 0
    config_versions: list[tuple[int, CallConfig]] = field(default_factory=list)
    save_problems: list[str] = field(default_factory=list)  # what could not be written

    @property
    def passed(self) -> bool:
        return not self.failures


class _Caller:
    """Plays the scenario's caller steps against the engine, as a person on a phone would."""

    def __init__(
        self, scenario: Scenario, engine: CallEngine, sched: Scheduler, voice: SimulatedVoice
    ):
        self.steps = list(scenario.caller)
        self.scenario = scenario
        self.engine = engine
        self.sched = sched
        self.voice = voice
        self.index = 1 if self.steps and self.steps[0].answer is not None else 0
        self.busy = False  # speaking, waiting or pausing
        self.hangup_handle: int | None = None

    def _agent_idle(self) -> bool:
        return self.engine.awaiting_caller

    def poll(self) -> None:
        e = self.engine
        if not e.active or self.busy:
            return
        while self.index < len(self.steps) and self.steps[self.index].edit is not None:
            if not self._agent_idle():
                return  # the tester edits between turns, as the script reads
            e.edit_config(dict(self.steps[self.index].edit or {}))
            self.index += 1
        if self.index >= len(self.steps):
            if self._agent_idle() and self.hangup_handle is None:
                self.hangup_handle = self.sched.at(
                    self.sched.clock.now() + self.scenario.hang_up_after, self._final_hangup
                )
            return
        step = self.steps[self.index]
        now = self.sched.clock.now()
        if step.barge_in_after is not None and e.state is CallState.AGENT_SPEAKING:
            playing = e.playing
            started = self.voice.started.get(playing.id, now) if playing else now
            self._begin(lambda: self._speak(step.say or ""), started + step.barge_in_after)
            return
        if not self._agent_idle():
            return
        if step.wait is not None:
            self._begin(self._done, now + step.wait)
        elif step.hang_up:
            self._begin(lambda: (e.hang_up(), self._done()), now + step.pause)
        else:
            self._begin(lambda: self._speak(step.say or ""), now + step.pause)

    def _begin(self, fn: Callable[[], None], t: float) -> None:
        self.busy = True
        self.index += 1
        self._cancel_hangup()
        self.sched.at(t, fn)

    def _speak(self, text: str) -> None:
        start = self.sched.clock.now()
        end = start + estimate_speech_seconds(text, self.scenario.caller_wpm)
        self.engine.caller_speech_started(start)
        # The rule in force ends the turn: a fixed silence, or (adaptive) one chosen from
        # what was said; the caller's row says which, as in a live call.
        rule = rule_for(self.engine.store.current.agent.turn_taking)
        wait = rule.wait(text)
        ended = TurnEnd(rule.name, wait.silence_s, wait.why).fields()

        def deliver() -> None:
            self.engine.caller_utterance(text, start, end, **ended)  # type: ignore[arg-type]
            self._done()

        self.sched.at(end + wait.silence_s, deliver)

    def _done(self) -> None:
        self.busy = False

    def _cancel_hangup(self) -> None:
        if self.hangup_handle is not None:
            self.sched.cancel(self.hangup_handle)
            self.hangup_handle = None

    def _final_hangup(self) -> None:
        self.hangup_handle = None
        if self._agent_idle():
            self.engine.hang_up()


class _Answer:
    """A scenario's `answer:` step: who picked up (a person, a voicemail greeting with
    its beep, an IVR menu) as caller speech on the timeline, and the voicemail detector
    deciding on the virtual clock exactly as it would on audio of that shape."""

    STEP_S = 0.01  # the clock moves in 10 ms steps while the detector is listening

    def __init__(self, step: AnswerStep, scenario: Scenario, engine: CallEngine, sched: Scheduler):
        from console.audio.amd.detector import DetectorSettings
        from console.audio.amd.text import TextAnswer, text_detector

        config = engine.store.current
        endpoint = config.agent.turn_taking.endpoint_silence_ms / 1000.0
        answer = TextAnswer(
            step.by,
            tuple(step.lines),
            step.start_s,
            step.between_s,
            step.beep_after_s,
            step.beep_s,
            step.beep_hz,
        )
        self.engine = engine
        self.listening = config.voicemail.detect
        self.detector, self.plan = text_detector(
            answer,
            scenario.caller_wpm,
            DetectorSettings.from_config(config.voicemail),
            endpoint,
        )
        self.rate = self.detector.rate
        for start, end, text in self.plan.speech:  # the greeting, heard as caller speech
            sched.at(start, lambda s=start: engine.caller_speech_started(s))
            sched.at(
                end + endpoint, lambda t=text, s=start, e=end: engine.caller_utterance(t, s, e)
            )

    def next_time(self, now: float) -> float | None:
        """While it still has something to say (the verdict, the beep, a machine going
        quiet after its last line), the detector is asked every 10 ms."""
        settled = self.plan.end_s + max(1.0, self.detector.s.human_silence_s) + self.STEP_S
        done = self.detector.verdict is not None and now > settled
        return None if not self.listening or done else now + self.STEP_S

    def advance(self, now: float) -> None:
        from console.audio.amd.timeline import engine_input

        if not self.listening:
            return
        for result in self.detector.advance(round(now * self.rate)):
            engine_input(result)(self.engine)


def run_scenario(
    scenario: Scenario,
    config: CallConfig,
    source: str = "",
    sessions_dir: Path | None = None,
    agent: Agent | None = None,
) -> RunResult:
    """Run one scenario; the agent comes from config.agent.backend unless given."""
    clock = VirtualClock()
    sched = Scheduler(clock)
    store = ConfigStore(config)
    engine_ref: list[CallEngine] = []
    voice = SimulatedVoice(sched, lambda: engine_ref[0])
    agent = agent or make_agent(config.agent.backend)
    engine = CallEngine(store, agent, clock, voice)
    engine_ref.append(engine)
    inbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
    engine.post = inbox.put  # outputs from the agent's threads run on this one
    writer = None
    session_dir = None
    if sessions_dir is not None:
        session_dir = new_session_dir(sessions_dir, scenario.name)
        writer = SessionWriter(
            session_dir,
            store,
            {"scenario": scenario.name, "scenario_file": source, "clock": "virtual"},
            on_error=lambda message: engine.fault("session", message, level="error"),
        )
        engine.listeners.append(writer)
    caller = _Caller(scenario, engine, sched, voice)
    engine.place_call(mode="text (virtual clock)", models=agent.describe())
    first = scenario.caller[0] if scenario.caller else None
    answer = _Answer(first.answer, scenario, engine, sched) if first and first.answer else None
    _drain(inbox)
    try:
        _run_until_dropped(engine, caller, sched, clock, inbox, answer)
        _after_the_drop(sched, clock)
    finally:
        if engine.active:
            engine.hang_up()
        agent.close()
        save_problems = writer.close() if writer is not None else []
    lints = lint_config(config)
    failures = check_expectations(scenario.expect, engine.events, lints)
    failures += backend_failures(engine.events)
    return RunResult(
        scenario=scenario,
        source=source,
        events=engine.events,
        failures=failures,
        lints=lints,
        session_dir=session_dir,
        unspoken_lines=sum(1 for s in scenario.caller[caller.index :] if s.say is not None),
        config_versions=list(store.history),
        save_problems=save_problems,
    )


def _run_until_dropped(
    engine: CallEngine,
    caller: _Caller,
    sched: Scheduler,
    clock: VirtualClock,
    inbox: queue.SimpleQueue[Callable[[], None]],
    answer: _Answer | None = None,
) -> None:
    silent_since = time.monotonic()
    while engine.active:
        _drain(inbox)
        caller.poll()
        times = [t for t in (sched.next_time(), engine.next_deadline()) if t is not None]
        if answer is not None and (t := answer.next_time(clock.now())) is not None:
            times.append(t)
        if engine.agent_busy:
            # The agent is working in real time: so is the clock, until it answers or
            # the next simulated event is due.
            limit = min(times) if times else None
            wall0, v0 = time.monotonic(), clock.now()
            wait = 0.5 if limit is None else max(0.0, min(0.5, limit - v0))
            try:
                first = inbox.get(timeout=wait)
            except queue.Empty:
                first = None
            elapsed = time.monotonic() - wall0
            clock.advance_to(v0 + elapsed if limit is None else min(v0 + elapsed, limit))
            if first is not None:
                first()
                silent_since = time.monotonic()
            elif time.monotonic() - silent_since > (limit_s := _stall_limit(engine)):
                # An error, so the scenario fails with it (backend_failures).
                engine.fault(
                    "agent",
                    f"the agent stopped answering (nothing for {limit_s:g} s); the call is ended",
                    level="error",
                )
                engine.hang_up()
                return
        else:
            silent_since = time.monotonic()
            if not times:
                return  # nothing can happen any more: the caller waits for an agent in silence
            t = min(times)
            if t > MAX_SIM_SECONDS:
                return
            clock.advance_to(max(t, clock.now()))
        if answer is not None:
            answer.advance(clock.now())
        sched.run_due()
        engine.tick()


def _after_the_drop(sched: Scheduler, clock: VirtualClock, limit_s: float = 30.0) -> None:
    """Caller speech that began before the drop becomes final after it (the endpoint
    silence): deliver it, so the timeline keeps what was said over the goodbye."""
    until = clock.now() + limit_s
    while (t := sched.next_time()) is not None and t <= until:
        clock.advance_to(max(t, clock.now()))
        sched.run_due()


def _stall_limit(engine: CallEngine) -> float:
    llm = engine.store.current.agent.backend.llm
    return llm.reply_deadline_s + llm.timeout_s + STALL_GRACE_S


def _drain(inbox: queue.SimpleQueue[Callable[[], None]]) -> None:
    while True:
        try:
            inbox.get_nowait()()
        except queue.Empty:
            return


def backend_failures(events: list[ev.Event]) -> list[str]:
    """A model that was down or answered garbage fails the scenario, saying why."""
    errors = [
        e.message
        for e in events
        if isinstance(e, ev.Notice) and e.level == "error" and e.source in ("backend", "agent")
    ]
    distinct = list(dict.fromkeys(errors))
    out = [f"the agent failed: {message}" for message in distinct[:3]]
    if len(distinct) > 3:
        out.append(f"... and {len(distinct) - 3} more agent failures")
    return out
