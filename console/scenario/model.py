"""Scenario files: a config, what the caller says and does, and what must happen.

```yaml
name: No to "ready to move forward" ends the call
config: ../configs/solar.yaml          # a path (relative to this file) or a mapping
config_overrides: {end_call.skip_goodbye: false}
caller:
  - say: "Yes, I have a minute."
  - say: "No thanks."
    pause: 1.2                            # silence before speaking, seconds
  - edit: {end_call.skip_goodbye: true}  # the tester edits the config mid-call
  - say: "Wait, one question"
    barge_in_after: 0.8                   # speak over the agent, 0.8 s into its turn
  - wait: 5                               # stay silent
  - hang_up: true
expect:
  action_invoked: true
  action_turn: 2
  goodbye_contains: "Thanks for your time"
  drop_reason: end_call_action
  max_latency: {caller_to_action: 1.0, goodbye_to_drop: 0.5}
  ended_by: action                        # or phrase, caller, tester, silence_timeout, ...
  no_farewell_without_hangup: true        # "said goodbye but never hung up" fails
  caller_after_action_recorded: true      # caller words during the goodbye are logged
  # on by default: action_at_most_once: true, single_goodbye: true
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from console.core.config import (
    AgentBackend,
    CallConfig,
    ConfigError,
    ConfigStore,
    load_config,
    parse_config,
    problems_from,
    read_data_file,
    resolve_includes,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerStep(_Strict):
    """Who answers the call, for voicemail detection (the first step): a person, a
    voicemail greeting with a beep at a known time, or an IVR menu."""

    by: Literal["human", "voicemail", "ivr"]
    lines: list[str] = Field(min_length=1, max_length=20)
    start_s: float = Field(0.5, ge=0, le=30, description="From the answer to the first word.")
    between_s: float = Field(2.0, ge=0, le=30, description="Silence between lines.")
    beep_after_s: float | None = Field(
        None, ge=0, le=60, description="A beep this long after the last line; none if unset."
    )
    beep_s: float = Field(0.5, gt=0, le=5)
    beep_hz: float = Field(1000.0, ge=200, le=4000)


class CallerStep(_Strict):
    """One thing the caller (or the tester) does; exactly one of say/edit/wait/hang_up."""

    say: str | None = Field(None, max_length=10_000)
    pause: float = Field(0.6, ge=0, le=600, description="Silence before speaking, seconds.")
    barge_in_after: float | None = Field(
        None, ge=0, le=600, description="Speak over the agent, this many seconds into its turn."
    )
    edit: dict[str, Any] | None = None
    wait: float | None = Field(None, gt=0, le=24 * 3600)
    hang_up: bool = False
    answer: AnswerStep | None = None

    @model_validator(mode="after")
    def _one_thing(self) -> CallerStep:
        chosen = [k for k in ("say", "edit", "wait", "answer") if getattr(self, k) is not None] + (
            ["hang_up"] if self.hang_up else []
        )
        if len(chosen) != 1:
            raise ValueError(
                "each caller step does exactly one of: say, edit, wait, hang_up, answer "
                f"(this one has {', '.join(chosen) or 'none'})"
            )
        return self


LatencyName = Literal["caller_to_action", "action_to_goodbye", "goodbye_to_drop", "action_to_drop"]
# How a call ended, as a tester says it (mapped from the drop reason in checks.ended_by).
EndedBy = Literal[
    "action",
    "phrase",
    "caller",
    "tester",
    "silence_timeout",
    "max_duration",
    "error",
    "agent_hung_up",
    "voicemail",
]
ENDINGS: tuple[str, ...] = EndedBy.__args__  # type: ignore[attr-defined]


class Expectations(_Strict):
    action_invoked: bool | None = None
    action_turn: int | None = Field(None, ge=1)
    action_config_version: int | None = Field(None, ge=1)
    goodbye_contains: str | None = None
    goodbye_absent: bool | None = None
    goodbye_source: (
        Literal[
            "goodbye_prompt", "main_prompt", "goodbye_message", "voicemail_message", "tool_message"
        ]
        | None
    ) = None
    drop_reason: (
        Literal[
            "end_call_action",
            "end_call_phrase",
            "caller_hung_up",
            "tester_hung_up",
            "error",
            "timeout",
            "agent_hung_up",
            "voicemail",
        ]
        | None
    ) = None
    answered_by: Literal["human", "voicemail", "ivr", "uncertain"] | None = Field(
        None, description="The voicemail detector's verdict."
    )
    message_after_beep: bool | None = Field(
        None,
        description="true: a beep was heard and the voicemail message started after it and "
        "played whole; false: it did not (no message, no beep, or the message cut).",
    )
    goodbye_audible: bool | None = Field(
        None,
        description="true: the goodbye plays to its end before the drop (measured on the "
        "recording in audio runs; from the timeline in text runs); false: it is clipped.",
    )
    agent_says: list[str] = Field(default_factory=list)
    agent_never_says: list[str] = Field(default_factory=list)
    notices_contain: list[str] = Field(default_factory=list)
    lints: list[str] = Field(default_factory=list, description="Lint codes that must be raised.")
    max_latency: dict[LatencyName, float] = Field(default_factory=dict)
    # Checked in every scenario unless turned off: the bugs users report on voice platforms.
    action_at_most_once: bool = Field(
        True, description="The End Call action fires at most once (off: not checked)."
    )
    single_goodbye: bool = Field(
        True,
        description="At most one goodbye, and no agent speech after it or after the action.",
    )
    # Opt-in.
    ended_by: EndedBy | list[EndedBy] | None = Field(
        None, description="How the call must end (one name, or a list of acceptable ones)."
    )
    no_farewell_without_hangup: bool | None = Field(
        None,
        description="Fail when the agent said goodbye but no action fired before the caller "
        "hung up or the line timed out.",
    )
    caller_after_action_recorded: bool | str | None = Field(
        None,
        description="true: caller speech after the action (during the goodbye) is on the "
        "timeline; a string: and it contains these words; false: there is none.",
    )

    @field_validator("ended_by")
    @classmethod
    def _some_ending(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("name at least one ending: " + ", ".join(ENDINGS))
        return value


class Scenario(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    config: str | dict[str, Any] = Field(default_factory=dict)
    config_overrides: dict[str, Any] = Field(default_factory=dict)
    agent: AgentBackend | None = Field(
        None, description="Who answers (offline or llm with its endpoint); overrides the config's."
    )
    caller: list[CallerStep] = Field(default_factory=list)
    caller_wpm: int = Field(160, ge=60, le=450)
    hang_up_after: float = Field(
        5.0, gt=0, le=3600, description="Caller hangs up after this much silence at the end."
    )
    expect: Expectations = Field(default_factory=Expectations)


class ScenarioError(ValueError):
    pass


def load_scenario(path: str | Path) -> tuple[Scenario, CallConfig]:
    """Read a scenario and resolve its config; raise ScenarioError naming the problem."""
    path = Path(path)
    try:
        data = read_data_file(path)
    except ConfigError as exc:
        raise ScenarioError(str(exc)) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario must be a mapping (name, config, caller, expect)")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{path}: " + "; ".join(str(p) for p in problems_from(exc))) from None
    return scenario, resolve_config(scenario, path)


def resolve_config(scenario: Scenario, path: Path) -> CallConfig:
    try:
        if isinstance(scenario.config, str):
            config = load_config(path.parent / scenario.config)
        else:
            data = resolve_includes(scenario.config, path.parent)
            config = parse_config(data, f"{path}: config")
    except ConfigError as exc:
        raise ScenarioError(str(exc)) from None
    if scenario.config_overrides:
        store = ConfigStore(config)
        result = store.edit(scenario.config_overrides)
        if not result.accepted:
            raise ScenarioError(
                f"{path}: config_overrides: " + "; ".join(str(p) for p in result.problems)
            )
        config = store.current
    if scenario.agent is not None:
        agent = config.agent.model_copy(update={"backend": scenario.agent})
        config = config.model_copy(update={"agent": agent})
    return config
