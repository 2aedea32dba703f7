"""Compare what happened in a call with what the scenario expected, in plain words."""

from __future__ import annotations

import math
from typing import TypeVar

from console.agent.lints import Lint
from console.core import events as ev
from console.scenario.model import Expectations

E = TypeVar("E", bound=ev.Event)


def first_event(events: list[ev.Event], cls: type[E]) -> E | None:
    return next((e for e in events if isinstance(e, cls)), None)


def check_expectations(exp: Expectations, events: list[ev.Event], lints: list[Lint]) -> list[str]:
    fails: list[str] = []
    action = first_event(events, ev.ActionInvoked)
    goodbye = first_event(events, ev.Goodbye)
    drop = first_event(events, ev.LineDropped)

    if exp.action_invoked and action is None:
        fails.append("expected the End Call action to be invoked, it was not")
    if exp.action_invoked is False and action is not None:
        fails.append(
            f"expected no End Call action, but {action.action_name} fired at {action.t:.2f} s: "
            f"{action.why}"
        )
    if exp.action_turn is not None:
        got = action.turn if action else None
        if got != exp.action_turn:
            fails.append(f"expected the action at caller turn {exp.action_turn}, got {got}")
    if exp.action_config_version is not None:
        got = action.config_version if action else None
        if got != exp.action_config_version:
            fails.append(
                f"expected the action under config version {exp.action_config_version}, got {got}"
            )
    if exp.goodbye_contains is not None:
        if goodbye is None:
            fails.append(f"expected a goodbye containing {exp.goodbye_contains!r}, none played")
        elif exp.goodbye_contains.lower() not in goodbye.text.lower():
            fails.append(
                f"expected the goodbye to contain {exp.goodbye_contains!r}, it was {goodbye.text!r}"
            )
    if exp.goodbye_absent and goodbye is not None:
        fails.append(f"expected no goodbye, but {goodbye.text!r} played")
    if exp.goodbye_source is not None and (goodbye is None or goodbye.source != exp.goodbye_source):
        fails.append(
            f"expected the goodbye from {exp.goodbye_source}, got "
            f"{goodbye.source if goodbye else 'no goodbye'}"
        )
    if exp.drop_reason is not None and (drop is None or drop.reason != exp.drop_reason):
        fails.append(
            f"expected the line to drop with reason {exp.drop_reason}, got "
            f"{drop.reason if drop else 'no drop'}"
        )
    spoken = [e.text for e in events if isinstance(e, (ev.AgentSpeech, ev.Goodbye))]
    for want in exp.agent_says:
        if not any(want.lower() in s.lower() for s in spoken):
            fails.append(f"expected the agent to say {want!r}; it never did")
    for never in exp.agent_never_says:
        said = [s for s in spoken if never.lower() in s.lower()]
        if said:
            fails.append(f"expected the agent never to say {never!r}; it said {said[0]!r}")
    notices = [e.message for e in events if isinstance(e, ev.Notice)]
    for want in exp.notices_contain:
        if not any(want.lower() in n.lower() for n in notices):
            fails.append(f"expected a warning containing {want!r}; none was raised")
    codes = {lint.code for lint in lints}
    for code in exp.lints:
        if code not in codes:
            fails.append(f"expected lint {code!r}; got {sorted(codes) or 'none'}")
    latencies = {
        "caller_to_action": action.latency_s if action else None,
        "action_to_goodbye": goodbye.since_action_s if goodbye else None,
        "goodbye_to_drop": drop.since_goodbye_end_s if drop else None,
        "action_to_drop": drop.since_action_s if drop else None,
    }
    for name, bound in exp.max_latency.items():
        got = latencies.get(name)
        # NaN compares false with everything: a NaN bound (or latency) would pass always.
        if (
            isinstance(bound, bool)
            or not isinstance(bound, (int, float))
            or not (math.isfinite(bound) and bound >= 0)
        ):
            fails.append(
                f"max_latency.{name} must be a number of seconds, 0 or more (got {bound!r})"
            )
        elif name not in latencies:
            fails.append(f"max_latency.{name} is not a latency the console measures")
        elif got is None:
            fails.append(f"expected {name} below {bound:g} s, but it did not happen")
        elif not math.isfinite(got) or got > bound + 1e-9:
            fails.append(f"expected {name} below {bound:g} s, got {got:.3f} s")
    return fails
