"""A recorded SIP call as a SIP scenario: the caller's lines with their cues, and the
outcome the agent had as expectations, so `run --sip URI` replays it as a regression test.

Cues are read off the recording: a line that started while the agent was speaking is a
barge-in that many seconds into the agent's turn; any other line waits for the agent's
turn to end plus the silence it was given. The session's own replay (a local scenario
with a config) has no meaning for a remote agent; this is its SIP counterpart.
"""

from __future__ import annotations

from typing import Any

from console.core import events as ev

BACKEND_PREFIX = "remote SIP"


def is_sip_session(meta: dict[str, Any], events: list[ev.Event]) -> bool:
    return str(meta.get("agent_backend", "")).startswith(BACKEND_PREFIX) or any(
        isinstance(e, ev.FarEndVerdict) for e in events
    )


def sip_session_to_scenario(name: str, events: list[ev.Event]) -> dict[str, Any]:
    """The scenario as plain data (YAML-ready); ValueError if the call has no caller line
    and no verdict to check."""
    caller = [e for e in events if isinstance(e, ev.CallerSpeech)]
    agent = [e for e in events if isinstance(e, ev.AgentSpeech)]
    verdict = next((e for e in events if isinstance(e, ev.FarEndVerdict)), None)
    drop = next((e for e in events if isinstance(e, ev.LineDropped)), None)
    if verdict is None or drop is None:
        raise ValueError("this SIP call has no end on its timeline: there is nothing to replay")
    steps: list[dict[str, Any]] = []
    for line in caller:
        step: dict[str, Any] = {"say": line.text}
        talking = next((a for a in agent if a.start <= line.start < a.end), None)
        if talking is not None:
            step["barge_in_after"] = round(line.start - talking.start, 2)
        else:
            before = [a for a in agent if a.end <= line.start]
            if before:
                step["pause"] = round(max(0.0, line.start - before[-1].end), 2)
        steps.append(step)
    expect: dict[str, Any] = {"agent_hangs_up": verdict.agent_hung_up, "drop_reason": drop.reason}
    if verdict.agent_hung_up:
        expect["hangup_turn"] = verdict.caller_turn
        expect["goodbye_cut"] = verdict.cut
    elif drop.reason in (ev.CALLER_HUNG_UP, ev.TESTER_HUNG_UP):
        last = caller[-1].end if caller else 0.0
        steps += [{"wait": round(max(0.1, drop.t - last), 2)}, {"hang_up": True}]
        expect["drop_reason"] = ev.CALLER_HUNG_UP  # the replay's own hang-up step
    if verdict.never_hung_up:
        expect["never_hangs_up_after_goodbye"] = True
    return {
        "name": f"Replay of SIP session {name}",
        "description": "Made from a recorded SIP call; expectations are what the agent did.",
        "caller": steps,
        "expect": expect,
    }
