"""Run a scenario through real audio, in real time.

The caller's lines are synthesised and played into the device that feeds the
microphone (on Linux, a virtual cable such as `pulse:caller_in`); the console hears them
through its input device, the agent answers through its output device, and the call is
recorded like any live call. Two modes:

- recognised: vosk turns the caller's audio into the transcript, as in a real call;
- script transcript: the caller's audio is played and recorded, but each turn's text is
  the script's, timed by the audio's own first and last sample. For a model that cannot
  understand the caller (the Korean model on an English caller), or to test the agent's
  timing without recognition errors.

The mode is printed and saved in the session.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from console.agent.backends import make_agent
from console.agent.lints import lint_config
from console.audio.inject import Injector
from console.core import events as ev
from console.core.agent_port import Agent
from console.core.config import CallConfig, ConfigStore
from console.core.engine import CallEngine
from console.live.call import LiveCall, LiveOptions
from console.scenario.checks import check_expectations
from console.scenario.model import AnswerStep, CallerStep, Scenario
from console.scenario.runner import RunResult

TURN_TIMEOUT_S = 60.0


@dataclass
class AudioRunOptions:
    input_device: str | None
    output_device: str | None
    caller_device: str
    model_path: str | None = None
    script_transcript: bool = False
    sessions_dir: Path | None = None


class _Watch:
    """Follows the call's state from its events, for the caller to wait on."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.state = "idle"
        self.ending = False
        self.dropped = False
        self.caller_turns = 0
        self.speaking_since: float | None = None  # monotonic time the agent started

    def __call__(self, event: ev.Event) -> None:
        with self.cond:
            if isinstance(event, ev.StateChanged):
                self.state = event.state
                if event.state == "agent_speaking":
                    self.speaking_since = time.monotonic()
            elif isinstance(event, ev.ActionInvoked):
                self.ending = True
            elif isinstance(event, ev.LineDropped):
                self.dropped = True
            elif isinstance(event, ev.CallerSpeech):
                self.caller_turns += 1
            self.cond.notify_all()

    engine: CallEngine | None = None

    def wait(self, predicate, timeout: float = TURN_TIMEOUT_S) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not (self.dropped or predicate()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                # Events wake us; the poll catches what no event announces (a decision
                # waiting out the agent's response delay).
                self.cond.wait(min(left, 0.05))
            return True

    def caller_may_speak(self) -> bool:
        """The caller's turn: the agent is listening with nothing decided or playing
        (read from the engine's thread's state: a plain bool, polled)."""
        engine = self.engine
        return engine is not None and engine.awaiting_caller and not self.ending


def run_scenario_audio(
    scenario: Scenario,
    config: CallConfig,
    source: str,
    opts: AudioRunOptions,
    agent: Agent | None = None,
) -> tuple[RunResult, str]:
    """Run one scenario through real audio; the agent comes from config.agent.backend
    unless given (a command line's --llm agent carries its URL's user-info, which the
    config never holds)."""
    store = ConfigStore(config)
    watch = _Watch()
    injector = Injector(opts.caller_device)
    call = LiveCall(
        store,
        LiveOptions(
            input_device=opts.input_device,
            output_device=opts.output_device,
            model_path=opts.model_path,
            recognise=not opts.script_transcript,
            sessions_dir=opts.sessions_dir,
            name=scenario.name,
        ),
        agent=agent or make_agent(config.agent.backend),
        listeners=[watch],
    )
    try:
        injector.wait_steady()
        call.start()
        watch.engine = call.engine
        if call.io is None:
            raise RuntimeError("no audio: " + "; ".join(m for _, m in call.notices))
        transcript = (
            "the script's text (audio played and recorded, not recognised)"
            if opts.script_transcript or call.recognizer is None
            else f"recognised by {call.models.get('stt', 'vosk')}"
        )
        mode = (
            f"audio: caller lines played into {opts.caller_device}, heard on "
            f"{call.devices.get('input')}; transcript: {transcript}"
        )
        steps = list(scenario.caller)
        if steps and steps[0].answer is not None:
            _play_answer(steps.pop(0).answer, call, injector, watch)
        for step in steps:
            if watch.dropped:
                break
            _play_step(
                step,
                scenario,
                call,
                injector,
                watch,
                transcript_from_script=(opts.script_transcript or call.recognizer is None),
            )
        # After the script, the caller waits in silence, then hangs up; a call that is
        # ending (goodbye playing) is left to end by itself.
        while not watch.dropped:
            if watch.ending:
                watch.wait(lambda: False, TURN_TIMEOUT_S)
                break
            watch.wait(watch.caller_may_speak)
            if not watch.wait(
                lambda: watch.ending or not watch.caller_may_speak(), scenario.hang_up_after
            ):
                call.hang_up()
                break
        call.wait(10)
    finally:
        call.close()
        injector.close()
    assert call.engine is not None
    events = call.engine.events
    lints = lint_config(config)
    result = RunResult(
        scenario=scenario,
        source=source,
        events=events,
        failures=check_expectations(scenario.expect, events, lints),
        lints=lints,
        session_dir=call.session_dir,
        config_versions=list(store.history),
    )
    return result, mode


def _play_answer(step: AnswerStep, call: LiveCall, injector: Injector, watch: _Watch) -> None:
    """Who picks up, as real audio into the microphone: a voicemail greeting with its beep,
    an IVR menu, or a person's "hello?" (synthesised by answer_fixtures). The console's
    voicemail detector (when on) hears it like any call's audio."""
    from console.audio import answer_fixtures as af

    rate = call.io.rate if call.io is not None else 16000
    text = " ".join(step.lines)
    if step.by == "voicemail":
        fixture = af.voicemail(
            text,
            lead_s=step.start_s,
            gap_s=step.beep_after_s if step.beep_after_s is not None else 0.4,
            beep_hz=step.beep_hz if step.beep_after_s is not None else None,
            beep_s=step.beep_s,
            tail_s=1.0,
            rate=rate,
        )
    elif step.by == "ivr":
        fixture = af.ivr(text, lead_s=step.start_s, tail_s=1.0, rate=rate)
    else:
        fixture = af.human(
            list(step.lines), lead_s=step.start_s, between_s=step.between_s, tail_s=1.0, rate=rate
        )
    _started, finished = injector.play(fixture.samples)
    finished.result(TURN_TIMEOUT_S)
    # A person waits for the agent; a machine's greeting is over: on to the next step.
    watch.wait(lambda: watch.dropped or watch.caller_may_speak() or watch.ending, 10.0)


def _play_step(
    step: CallerStep,
    scenario: Scenario,
    call: LiveCall,
    injector: Injector,
    watch: _Watch,
    transcript_from_script: bool,
) -> None:
    if step.edit is not None:
        watch.wait(watch.caller_may_speak)
        call.edit(dict(step.edit))
        return
    if step.wait is not None:
        watch.wait(lambda: False, step.wait)
        return
    if step.barge_in_after is not None:
        watch.wait(lambda: watch.state == "agent_speaking" or watch.caller_may_speak())
        since = watch.speaking_since or time.monotonic()
        time.sleep(max(0.0, since + step.barge_in_after - time.monotonic()))
    else:
        watch.wait(watch.caller_may_speak)
        time.sleep(step.pause)
    if watch.dropped or watch.ending:
        return
    if step.hang_up:
        call.hang_up()
        return
    assert call.synth is not None and call.clock is not None
    audio = call.synth.render_now(step.say or "", wpm=scenario.caller_wpm)
    turns = watch.caller_turns
    started, finished = injector.play(audio)
    if transcript_from_script:
        # Without recognition, the caller's first sample is what barges in.
        started.result(TURN_TIMEOUT_S)
        call.speech_started()
    first, last = finished.result(TURN_TIMEOUT_S)
    if transcript_from_script:
        start = call.clock.session_of_stream_time(injector.stream_time(first))
        end = call.clock.session_of_stream_time(injector.stream_time(last))
        endpoint = call.store.current.agent.turn_taking.endpoint_silence_ms / 1000.0
        time.sleep(endpoint)
        call.say(step.say or "", start, end)
    watch.wait(lambda: watch.caller_turns > turns, TURN_TIMEOUT_S)
