"""Turn a recorded session into a scenario: a bug found by hand becomes a regression test.

The caller's lines come back in order, with the silences before them and any barge-in
as it happened; config edits made mid-call come back as edit steps; the expectations are
the outcome the call had (action or not, at which turn, the goodbye or its absence, the
drop reason). Run it with `endcall-console run` as any scenario.
"""

from __future__ import annotations

from typing import Any

import yaml

from console.core import events as ev
from console.session.reader import Session
from console.session.sip_replay import is_sip_session, sip_session_to_scenario


def session_to_scenario(session: Session) -> dict[str, Any]:
    if is_sip_session(session.meta, session.events):  # a remote agent: replayed over SIP
        return sip_session_to_scenario(session.name, session.events)
    if not session.configs:
        raise ValueError(f"{session.name}: no config recorded, so the call cannot be replayed")
    first = session.configs[0][2]
    steps: list[dict[str, Any]] = []
    agent_spans: list[tuple[float, float]] = []
    last_end = 0.0
    for e in sorted(session.events, key=lambda e: e.seq):
        if isinstance(e, (ev.AgentSpeech, ev.Goodbye)):
            agent_spans.append((e.start, e.end))
            last_end = max(last_end, e.end)
        elif isinstance(e, ev.ConfigChanged):
            if steps and "edit" in steps[-1]:
                steps[-1]["edit"][e.field] = e.new
            else:
                steps.append({"edit": {e.field: e.new}})
        elif isinstance(e, ev.CallerSpeech):
            speaking = next(((s, t) for s, t in agent_spans if s <= e.start < t), None)
            if speaking is not None:
                steps.append({"say": e.text, "barge_in_after": round(e.start - speaking[0], 3)})
            else:
                steps.append({"say": e.text, "pause": round(max(0.0, e.start - last_end), 3)})
            last_end = max(last_end, e.end)
    action = session.first(ev.ActionInvoked)
    goodbye = session.first(ev.Goodbye)
    drop = session.first(ev.LineDropped)
    expect: dict[str, Any] = {"action_invoked": action is not None}
    if action is not None:
        expect["action_turn"] = action.turn
    if goodbye is not None:
        expect["goodbye_contains"] = goodbye.text
    elif action is not None:
        expect["goodbye_absent"] = True
    if drop is not None:
        expect["drop_reason"] = drop.reason
        if drop.reason in (ev.CALLER_HUNG_UP, ev.TESTER_HUNG_UP):
            # In a scenario the script's caller hangs up, whoever did in the call.
            expect["drop_reason"] = ev.CALLER_HUNG_UP
            steps.append({"hang_up": True, "pause": 0.5})
        elif drop.reason == ev.TIMEOUT:
            steps.append({"wait": 24 * 3600})
    return {
        "name": f"Replay of session {session.name}",
        "description": "Made from a recorded session by `endcall-console replay`; "
        "expectations are the outcome that call had.",
        "config": first.model_dump(mode="json"),
        "caller": steps,
        "expect": expect,
    }


class _BlockDumper(yaml.SafeDumper):
    """Text of several lines (a main prompt) as a YAML block, as a person writes it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML falls back to a quoted string by itself where a block cannot hold the text
    # exactly (trailing spaces on a line, control characters).
    style = "|" if "\n" in value.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def scenario_yaml(scenario: dict[str, Any]) -> str:
    """The scenario as a YAML file: keys in the order written, the prompt as a block."""
    return yaml.dump(scenario, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
