"""Scenarios over SIP: the caller's lines played into a call to a real agent, on cue,
and expectations on what the agent did.

```yaml
name: The agent hangs up after "that's all"
caller:
  - say: "Hi, I'd like to check my order."    # after the agent's greeting ends
  - say: "No, that's all, thanks."
    pause: 0.8                                 # quiet after the agent's turn, seconds
  - say: "Wait, one more thing"
    barge_in_after: 1.0                        # over the agent, 1 s into its turn
  - dtmf: "1"                                  # key presses (RTP events or SIP INFO)
  - wait: 3                                    # stay silent
  - hang_up: true                              # the caller hangs up
agent_silence: 0.7        # the agent's quiet that ends its turn
reply_timeout: 15         # the agent must start its turn within this (else the caller goes on)
hang_up_after: 5          # after the last step, the caller waits this long for a BYE
farewell_wait: 5          # after the agent's goodbye, the wait that makes "never hung up"
expect:
  agent_hangs_up: true
  hangup_turn: 2                       # the BYE came after the caller's 2nd line
  drop_reason: agent_hung_up
  goodbye_said: true                   # the agent spoke after the caller's last line
  goodbye_contains: "goodbye"
  goodbye_cut: false                   # its goodbye was audible to its end
  never_hangs_up_after_goodbye: false
  agent_says: ["order"]
  max_latency: {caller_to_agent_sound: 2.0, caller_to_bye: 8.0, last_sound_to_bye: 1.5}
```

The agent is a black box, so timing is the agent's audio: its turn ends when it has been
quiet for `agent_silence`; the caller's words are timed by the samples that went out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from console.core import events as ev
from console.core.config import ConfigError, problems_from, read_data_file
from console.sip.account import SipAccount
from console.sip.call import SipCall, SipCallOptions, wait_until
from console.sip.line import LineOptions


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SipStep(_Strict):
    """One thing the caller does: exactly one of say, dtmf, wait, hang_up."""

    say: str | None = Field(None, min_length=1, max_length=10_000)
    pause: float = Field(0.6, ge=0, le=600, description="Quiet after the agent's turn.")
    barge_in_after: float | None = Field(None, ge=0, le=600)
    dtmf: str | None = Field(None, pattern=r"^[0-9A-Da-d*#]{1,32}$")
    wait: float | None = Field(None, gt=0, le=3600)
    hang_up: bool = False
    edit: Any = Field(None, description="Not possible over SIP (refused with a message).")

    @model_validator(mode="after")
    def _one_thing(self) -> SipStep:
        if self.edit is not None:
            raise ValueError(
                "an edit step cannot run over SIP: the remote agent's End Call settings "
                "are on its platform, not in the console"
            )
        chosen = [k for k in ("say", "dtmf", "wait") if getattr(self, k) is not None]
        chosen += ["hang_up"] if self.hang_up else []
        if len(chosen) != 1:
            raise ValueError(
                "each caller step does exactly one of: say, dtmf, wait, hang_up "
                f"(this one has {', '.join(chosen) or 'none'})"
            )
        return self


SipLatency = Literal["caller_to_agent_sound", "caller_to_bye", "last_sound_to_bye"]
DropReason = Literal["agent_hung_up", "caller_hung_up", "tester_hung_up", "error", "timeout"]


class SipExpect(_Strict):
    agent_hangs_up: bool | None = None
    hangup_turn: int | None = Field(None, ge=0)
    drop_reason: DropReason | None = None
    goodbye_said: bool | None = None
    goodbye_contains: str | None = None
    goodbye_cut: bool | None = None
    never_hangs_up_after_goodbye: bool | None = None
    agent_says: list[str] = Field(default_factory=list)
    agent_never_says: list[str] = Field(default_factory=list)
    notices_contain: list[str] = Field(default_factory=list)
    max_latency: dict[SipLatency, float] = Field(default_factory=dict)


class SipScenario(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    caller: list[SipStep] = Field(default_factory=list)
    voice: str = ""
    caller_wpm: int = Field(170, ge=60, le=450)
    agent_silence: float = Field(0.7, gt=0, le=30)
    reply_timeout: float = Field(15.0, gt=0, le=600)
    hang_up_after: float = Field(5.0, gt=0, le=3600)
    farewell_wait: float = Field(5.0, gt=0, le=3600)
    max_call: float = Field(600.0, gt=0, le=24 * 3600)
    expect: SipExpect = Field(default_factory=SipExpect)
    # An ordinary scenario's config has no meaning for a remote agent: accepted so the
    # same file can run both ways, and ignored (the run says so).
    config: Any = None
    config_overrides: Any = None


class SipScenarioError(ValueError):
    pass


def load_sip_scenario(path: str | Path) -> SipScenario:
    path = Path(path)
    try:
        data = read_data_file(path)
    except ConfigError as exc:
        raise SipScenarioError(str(exc)) from None
    if not isinstance(data, dict):
        raise SipScenarioError(f"{path}: a scenario must be a mapping (name, caller, expect)")
    try:
        return SipScenario.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(str(p) for p in problems_from(exc))
        raise SipScenarioError(f"{path}: {problems}") from None


@dataclass
class SipRunResult:
    """The shape `write_junit` and the CLI read (as the scenario runner's RunResult)."""

    scenario: SipScenario
    source: str
    events: list[ev.Event]
    failures: list[str]
    lints: list[str] = field(default_factory=list)
    session_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class SipRunOptions:
    sessions_dir: Path | None = None
    model: Any = None
    model_path: str | None = None
    line: LineOptions = field(default_factory=LineOptions)
    agent_transcript: Callable[[int, str], str] | None = None
    listeners: list[Callable[[ev.Event], None]] = field(default_factory=list)


def run_sip_scenario(
    scenario: SipScenario,
    account: SipAccount,
    source: str = "",
    options: SipRunOptions | None = None,
) -> SipRunResult:
    """Call the agent, play the caller's steps on cue, and check the expectations."""
    opts = options or SipRunOptions()
    notes = []
    if scenario.config is not None or scenario.config_overrides is not None:
        notes.append("the scenario's config is ignored: a remote agent's config is on its platform")
    call = SipCall(
        account,
        SipCallOptions(
            sessions_dir=opts.sessions_dir,
            name=scenario.name,
            model=opts.model,
            model_path=opts.model_path,
            voice=scenario.voice,
            wpm=scenario.caller_wpm,
            utterance_gap_s=min(scenario.agent_silence, 0.5),
            farewell_wait_s=scenario.farewell_wait,
            max_call_s=scenario.max_call,
            line=opts.line,
            agent_transcript=opts.agent_transcript,
        ),
        list(opts.listeners),
    )
    try:
        call.start()
        _Caller(scenario, call).run()
        call.wait(opts.line.hangup_wait_s + 10.0)
    finally:
        call.close()
    failures = check_sip(call.events, scenario.expect)
    return SipRunResult(scenario, source, list(call.events), failures, [], call.session_dir, notes)


class _Caller:
    """The scenario's caller, cued by the agent's audio."""

    def __init__(self, scenario: SipScenario, call: SipCall) -> None:
        self.sc = scenario
        self.call = call
        self.last_line_end = 0.0  # session time our last line ended

    def run(self) -> None:
        call = self.call
        if not wait_until(lambda: call.dropped.is_set() or _connected(call), 70.0, 0.02):
            return
        for step in self.sc.caller:
            if call.dropped.is_set():
                return
            if step.say is not None:
                if not self._cue(step):
                    return
                future = call.say(step.say)
                seconds = 10.0 + len(step.say) / 5.0
                try:
                    _start, end = future.result(seconds)
                except Exception:
                    return  # the line dropped, or speech failed (a notice says which)
                self.last_line_end = end
            elif step.dtmf is not None:
                call.send_dtmf(step.dtmf)
            elif step.wait is not None:
                call.dropped.wait(step.wait)
            elif step.hang_up:
                call.hang_up("caller")
                return
        self._wait_for_the_end()

    def _cue(self, step: SipStep) -> bool:
        """Wait for the moment to speak; False if the line dropped meanwhile."""
        call, track = self.call, self.call.track
        since = self.last_line_end
        spoke = wait_until(
            lambda: call.dropped.is_set() or track.sound_since(since), self.sc.reply_timeout
        )
        if call.dropped.is_set():
            return False
        if not spoke:
            call.notice(
                "warning",
                f"the agent said nothing for {self.sc.reply_timeout:g} s: the caller goes on",
            )
            return True
        if step.barge_in_after is not None:
            onset = track.first_sound_after(since) or call.now()
            return not call.dropped.wait(max(0.0, onset + step.barge_in_after - call.now()))
        quiet = max(self.sc.agent_silence, step.pause)
        wait_until(
            lambda: call.dropped.is_set() or (not track.speaking and track.quiet_for() >= quiet),
            self.sc.max_call,
            0.01,
        )
        return not call.dropped.is_set()

    def _wait_for_the_end(self) -> None:
        """After the last step: a BYE, or the caller hangs up after the agent is quiet for
        `hang_up_after` (longer, `farewell_wait`, after a goodbye, so that "said goodbye
        but never hung up" can be seen)."""
        call, track = self.call, self.call.track
        started = time.monotonic()

        def done() -> bool:
            if call.dropped.is_set():
                return True
            if track.speaking or call.line is None or call.line.sending:
                return False
            needed = self.sc.hang_up_after
            if call.farewell_pending:
                needed = max(needed, self.sc.farewell_wait + 0.3)
                return call.farewell_waited and track.quiet_for() >= needed
            return track.quiet_for() >= needed and call.now() - self.last_line_end >= needed

        wait_until(done, self.sc.max_call + 5.0 - (time.monotonic() - started), 0.02)
        if not call.dropped.is_set():
            call.hang_up("caller")


def _connected(call: SipCall) -> bool:
    return call.line is not None and call.line.state == "connected"


# -- checks ---------------------------------------------------------------------------------
def check_sip(events: list[ev.Event], expect: SipExpect) -> list[str]:
    failures: list[str] = []
    drop = next((e for e in events if isinstance(e, ev.LineDropped)), None)
    verdict = next((e for e in events if isinstance(e, ev.FarEndVerdict)), None)
    agent = [e for e in events if isinstance(e, ev.AgentSpeech)]
    caller = [e for e in events if isinstance(e, ev.CallerSpeech)]
    hung_up = verdict is not None and verdict.agent_hung_up
    if drop is None or verdict is None:
        return ["the call never ended (no drop on the timeline)"]
    if expect.agent_hangs_up is not None and hung_up != expect.agent_hangs_up:
        failures.append(
            "expected the agent to hang up (a BYE from it), but it did not: "
            f"the line dropped: {drop.reason} ({drop.detail})"
            if expect.agent_hangs_up
            else f"expected the agent not to hang up, but it sent BYE at {drop.t:.2f} s"
        )
    if expect.hangup_turn is not None:
        if not hung_up:
            failures.append(f"expected a BYE after caller turn {expect.hangup_turn}: none came")
        elif verdict.caller_turn != expect.hangup_turn:
            failures.append(
                f"expected the agent to hang up after caller turn {expect.hangup_turn}, it hung "
                f"up after turn {verdict.caller_turn}"
            )
    if expect.drop_reason is not None and drop.reason != expect.drop_reason:
        failures.append(
            f"expected drop reason {expect.drop_reason}, got {drop.reason} ({drop.detail})"
        )
    last_caller_end = caller[-1].end if caller else 0.0
    goodbye = agent[-1] if agent and agent[-1].start >= last_caller_end else None
    if expect.goodbye_said is not None and (goodbye is not None) != expect.goodbye_said:
        failures.append(
            "expected the agent to say goodbye after the caller's last line; it said nothing"
            if expect.goodbye_said
            else f"expected no goodbye, the agent said {goodbye.text!r}"  # type: ignore[union-attr]
        )
    if expect.goodbye_contains is not None:
        text = goodbye.text if goodbye is not None else ""
        if expect.goodbye_contains.lower() not in text.lower():
            failures.append(
                f"expected the goodbye to contain {expect.goodbye_contains!r}, got {text!r}"
            )
    if expect.goodbye_cut is not None and verdict.cut != expect.goodbye_cut:
        failures.append(
            f"the agent's goodbye was CUT OFF by its own BYE: {verdict.cut_why}"
            if verdict.cut
            else "expected the BYE to cut the agent's goodbye, but it was audible to its end"
        )
    if (
        expect.never_hangs_up_after_goodbye is not None
        and verdict.never_hung_up != expect.never_hangs_up_after_goodbye
    ):
        failures.append(
            "the agent said goodbye but never hung up"
            if verdict.never_hung_up
            else "expected the agent to say goodbye and then not hang up; it did not"
        )
    said = " ".join(e.text.lower() for e in agent)
    for words in expect.agent_says:
        if words.lower() not in said:
            failures.append(f"expected the agent to say {words!r}")
    for words in expect.agent_never_says:
        if words.lower() in said:
            failures.append(f"the agent said {words!r}")
    notices = " ".join(e.message.lower() for e in events if isinstance(e, ev.Notice))
    for words in expect.notices_contain:
        if words.lower() not in notices:
            failures.append(f"expected a notice containing {words!r}")
    failures += _latency_failures(expect.max_latency, caller, agent, verdict)
    return failures


def _latency_failures(
    limits: dict[str, float],
    caller: list[ev.CallerSpeech],
    agent: list[ev.AgentSpeech],
    verdict: ev.FarEndVerdict,
) -> list[str]:
    out = []
    measured = latencies(caller, agent, verdict)
    for name, limit in limits.items():
        value = measured.get(name)
        if value is None:
            out.append(f"latency {name}: not measured (the call never got there)")
        elif value > limit:
            out.append(f"latency {name}: {value:.2f} s, over the limit of {limit:g} s")
    return out


def latencies(
    caller: list[ev.CallerSpeech], agent: list[ev.AgentSpeech], verdict: ev.FarEndVerdict
) -> dict[str, float]:
    """The worst caller-to-agent-sound latency over the turns, and the end's latencies."""
    out: dict[str, float] = {}
    waits = []
    for line in caller:
        onset = next((a.start for a in agent if a.start >= line.end), None)
        if onset is not None:
            waits.append(onset - line.end)
    if waits:
        out["caller_to_agent_sound"] = max(waits)
    if verdict.agent_hung_up and verdict.bye_t is not None:
        if caller:
            out["caller_to_bye"] = verdict.bye_t - caller[-1].end
        if verdict.gap_s is not None:
            out["last_sound_to_bye"] = verdict.gap_s
    return out
