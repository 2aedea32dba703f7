"""Compare what happened in a call with what the scenario expected, in plain words.

Each expectation is one named `Check` with a label a tester reads ("action at caller turn
3") and, when it failed, why. A single run prints the failures; a suite counts each
label's passes over repeats ("action at caller turn 3: 17/20").

Two checks run in every scenario unless turned off, because they are the bugs users
report on voice platforms and a pass elsewhere has hidden them: the action fires at most
once, and there is one goodbye with no agent speech after it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

from console.agent.lints import Lint
from console.core import events as ev
from console.core.farewell import farewell_without_hangup
from console.scenario.model import Expectations

E = TypeVar("E", bound=ev.Event)

ENDED_BY_LABELS = {
    "action": "the End Call action",
    "phrase": "an end-call phrase",
    "caller": "the caller hanging up",
    "tester": "the tester hanging up",
    "silence_timeout": "the silence timeout",
    "max_duration": "the maximum call length",
    "error": "an error",
    "agent_hung_up": "the remote agent hanging up",
    "voicemail": "a machine answering (voicemail detection)",
}


@dataclass(frozen=True)
class Check:
    """One expectation: `key` is stable (for counting), `label` says what was expected,
    `failure` says what happened instead (None: it held)."""

    key: str
    label: str
    failure: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None


def first_event(events: list[ev.Event], cls: type[E]) -> E | None:
    return next((e for e in events if isinstance(e, cls)), None)


def ended_by(events: list[ev.Event]) -> str | None:
    """How the call ended, as a tester names it (see ENDED_BY_LABELS); None: not yet."""
    drop = first_event(events, ev.LineDropped)
    if drop is None:
        return None
    detail = drop.detail.lower()
    if drop.reason == "end_call_phrase" or (
        drop.reason == ev.END_CALL_ACTION and "phrase" in detail
    ):
        return "phrase"  # the platforms' end-call phrases (reason or detail name it)
    if drop.reason == ev.END_CALL_ACTION:
        return "action"
    if drop.reason == ev.TIMEOUT:
        return "max_duration" if "maximum" in detail or "length" in detail else "silence_timeout"
    return {
        ev.CALLER_HUNG_UP: "caller",
        ev.TESTER_HUNG_UP: "tester",
        ev.ERROR: "error",
        ev.AGENT_HUNG_UP: "agent_hung_up",
        ev.VOICEMAIL: "voicemail",
    }.get(drop.reason, drop.reason)


def action_fired_more_than_once(events: list[ev.Event]) -> str | None:
    actions = [e for e in events if isinstance(e, ev.ActionInvoked)]
    if len(actions) <= 1:
        return None
    times = ", ".join(f"{a.t:.2f} s" for a in actions[:5])
    more = f" and {len(actions) - 5} more" if len(actions) > 5 else ""
    return f"the End Call action fired {len(actions)} times (at {times}{more}); at most once"


def speech_after_goodbye(events: list[ev.Event]) -> str | None:
    """More than one goodbye, or the agent speaking after its goodbye (or, with no
    goodbye, after the action): the caller hears a call that should be over."""
    goodbyes = [e for e in events if isinstance(e, ev.Goodbye)]
    if len(goodbyes) > 1:
        texts = ", ".join(repr(g.text) for g in goodbyes[:3])
        return f"{len(goodbyes)} goodbyes played ({texts}); expected at most one"
    action = first_event(events, ev.ActionInvoked)
    if goodbyes:
        g = goodbyes[0]
        after = [
            e
            for e in events
            if isinstance(e, ev.AgentSpeech) and e.start >= g.start - 1e-9 and e.seq >= g.seq
        ]
        what = f"its goodbye {g.text!r}"
    elif action is not None:
        after = [e for e in events if isinstance(e, ev.AgentSpeech) and e.start > action.t + 1e-9]
        what = f"the action at {action.t:.2f} s"
    else:
        return None
    if not after:
        return None
    first = min(after, key=lambda e: e.start)
    return f"the agent spoke after {what}: {first.text!r} at {first.start:.2f} s"


def evaluate(exp: Expectations, events: list[ev.Event], lints: list[Lint]) -> list[Check]:
    """Every check the scenario asks for (and the default ones), in a fixed order."""
    checks: list[Check] = []

    def check(key: str, label: str, failure: str | None) -> None:
        checks.append(Check(key, label, failure))

    def check_either(
        key: str, wanted: bool, failure: str | None, yes: str, no: str, happened: str
    ) -> None:
        """An expectation that asks for a thing (`yes`) or its absence (`no`): `failure`
        says why the thing did not happen (None: it did; `happened` then fails `no`)."""
        if wanted:
            check(key, yes, failure)
        else:
            check(key, no, None if failure else happened)

    action = first_event(events, ev.ActionInvoked)
    goodbye = first_event(events, ev.Goodbye)
    drop = first_event(events, ev.LineDropped)

    if exp.action_invoked:
        check(
            "action_invoked",
            "End Call action invoked",
            None if action else "expected the End Call action to be invoked, it was not",
        )
    if exp.action_invoked is False:
        check(
            "action_invoked",
            "no End Call action",
            None
            if action is None
            else f"expected no End Call action, but {action.action_name} fired at "
            f"{action.t:.2f} s: {action.why}",
        )
    if exp.action_turn is not None:
        got = action.turn if action else None
        check(
            "action_turn",
            f"action at caller turn {exp.action_turn}",
            None
            if got == exp.action_turn
            else f"expected the action at caller turn {exp.action_turn}, got {got}",
        )
    if exp.action_config_version is not None:
        got = action.config_version if action else None
        check(
            "action_config_version",
            f"action under config v{exp.action_config_version}",
            None
            if got == exp.action_config_version
            else f"expected the action under config version {exp.action_config_version}, got {got}",
        )
    if exp.goodbye_contains is not None:
        failure = None
        if goodbye is None:
            failure = f"expected a goodbye containing {exp.goodbye_contains!r}, none played"
        elif exp.goodbye_contains.lower() not in goodbye.text.lower():
            failure = (
                f"expected the goodbye to contain {exp.goodbye_contains!r}, it was {goodbye.text!r}"
            )
        check("goodbye_contains", f"goodbye contains {exp.goodbye_contains!r}", failure)
    if exp.goodbye_absent:
        check(
            "goodbye_absent",
            "no goodbye",
            None if goodbye is None else f"expected no goodbye, but {goodbye.text!r} played",
        )
    if exp.goodbye_source is not None:
        ok = goodbye is not None and goodbye.source == exp.goodbye_source
        check(
            "goodbye_source",
            f"goodbye from the {exp.goodbye_source.replace('_', ' ')}",
            None
            if ok
            else f"expected the goodbye from {exp.goodbye_source}, got "
            f"{goodbye.source if goodbye else 'no goodbye'}",
        )
    if exp.drop_reason is not None:
        ok = drop is not None and drop.reason == exp.drop_reason
        check(
            "drop_reason",
            f"line dropped: {exp.drop_reason}",
            None
            if ok
            else f"expected the line to drop with reason {exp.drop_reason}, got "
            f"{drop.reason if drop else 'no drop'}",
        )
    spoken = [e.text for e in events if isinstance(e, (ev.AgentSpeech, ev.Goodbye))]
    for want in exp.agent_says:
        check(
            f"agent_says:{want}",
            f"agent says {want!r}",
            None
            if any(want.lower() in s.lower() for s in spoken)
            else f"expected the agent to say {want!r}; it never did",
        )
    for never in exp.agent_never_says:
        said = [s for s in spoken if never.lower() in s.lower()]
        check(
            f"agent_never_says:{never}",
            f"agent never says {never!r}",
            f"expected the agent never to say {never!r}; it said {said[0]!r}" if said else None,
        )
    notices = [e.message for e in events if isinstance(e, ev.Notice)]
    for want in exp.notices_contain:
        check(
            f"notices_contain:{want}",
            f"warning {want!r}",
            None
            if any(want.lower() in n.lower() for n in notices)
            else f"expected a warning containing {want!r}; none was raised",
        )
    codes = {lint.code for lint in lints}
    for code in exp.lints:
        check(
            f"lints:{code}",
            f"lint {code}",
            None if code in codes else f"expected lint {code!r}; got {sorted(codes) or 'none'}",
        )
    latencies = {
        "caller_to_action": action.latency_s if action else None,
        "action_to_goodbye": goodbye.since_action_s if goodbye else None,
        "goodbye_to_drop": drop.since_goodbye_end_s if drop else None,
        "action_to_drop": drop.since_action_s if drop else None,
    }
    for name, bound in exp.max_latency.items():
        check(f"max_latency:{name}", _latency_label(name, bound), _latency(name, bound, latencies))
    if exp.action_at_most_once:
        check(
            "action_at_most_once", "action fires at most once", action_fired_more_than_once(events)
        )
    if exp.single_goodbye:
        check("single_goodbye", "one goodbye, then silence", speech_after_goodbye(events))
    if exp.ended_by is not None:
        wanted = [exp.ended_by] if isinstance(exp.ended_by, str) else list(exp.ended_by)
        got = ended_by(events)
        names = " or ".join(ENDED_BY_LABELS[w] for w in wanted)
        check(
            "ended_by",
            f"ended by {names}",
            None
            if got in wanted
            else f"expected the call to end by {names}, it ended by "
            f"{ENDED_BY_LABELS.get(got or '', got or 'nothing (the line never dropped)')}"
            + (f" ({drop.detail})" if drop is not None and drop.detail else ""),
        )
    if exp.no_farewell_without_hangup:
        check(
            "no_farewell_without_hangup",
            "no goodbye without hanging up",
            farewell_without_hangup(events),
        )
    if exp.caller_after_action_recorded is not None:
        checks.append(_caller_after_action(exp.caller_after_action_recorded, events))
    if exp.answered_by is not None:
        verdict = first_event(events, ev.AnsweredByVerdict)
        got = verdict.answered_by if verdict else None
        check(
            "answered_by",
            f"answered by {exp.answered_by}",
            None
            if got == exp.answered_by
            else f"expected the verdict {exp.answered_by}, got {got or 'no verdict'}"
            + (f" ({verdict.decided_by}: {verdict.reason})" if verdict else ""),
        )
    if exp.message_after_beep is not None:
        check_either(
            "message_after_beep",
            exp.message_after_beep,
            _message_after_beep(events),
            "message after the beep, whole",
            "no whole message after a beep",
            "expected no whole message after a beep; one played",
        )
    if exp.goodbye_audible is not None:
        check_either(
            "goodbye_audible",
            exp.goodbye_audible,
            goodbye_audible(events),
            "goodbye audible to its end",
            "goodbye clipped",
            "expected the goodbye to be clipped; it played to its end",
        )
    return checks


def goodbye_audible(events: list[ev.Event]) -> str | None:
    """None when the goodbye played to its end before the drop: measured on the recording
    when there is one (audio runs), else read from the timeline; otherwise why not."""
    goodbye = first_event(events, ev.Goodbye)
    drop = first_event(events, ev.LineDropped)
    if goodbye is None:
        return "no goodbye played"
    measured = first_event(events, ev.GoodbyeAudibility)
    if measured is not None:
        return None if measured.audible_to_end else measured.verdict
    if goodbye.cut_short:
        return f"the goodbye was cut short at {goodbye.end:.2f} s"
    if drop is not None and drop.t < goodbye.end:
        return f"the line dropped at {drop.t:.2f} s, before the goodbye ended ({goodbye.end:.2f} s)"
    return None


def _message_after_beep(events: list[ev.Event]) -> str | None:
    beep = first_event(events, ev.BeepHeard)
    message = next(
        (e for e in events if isinstance(e, ev.Goodbye) and e.source == "voicemail_message"),
        None,
    )
    if message is None:
        return "no voicemail message was played"
    if beep is None:
        return f"no beep was heard; the message played at {message.start:.2f} s without one"
    if message.start < beep.end:
        return f"the message started at {message.start:.2f} s, over the beep ({beep.end:.2f} s)"
    if message.cut_short:
        return "the message was cut short"
    drop = first_event(events, ev.LineDropped)
    if drop is not None and drop.t < message.end:
        return "the line dropped before the message ended"
    return None


def _latency_label(name: str, bound: object) -> str:
    shown = f"{bound:g} s" if isinstance(bound, (int, float)) else repr(bound)
    return f"{name.replace('_', ' ')} at most {shown}"


def _latency(name: str, bound: object, latencies: dict[str, float | None]) -> str | None:
    got = latencies.get(name)
    # NaN compares false with everything: a NaN bound (or latency) would pass always.
    if (
        isinstance(bound, bool)
        or not isinstance(bound, (int, float))
        or not (math.isfinite(bound) and bound >= 0)
    ):
        return f"max_latency.{name} must be a number of seconds, 0 or more (got {bound!r})"
    if name not in latencies:
        return f"max_latency.{name} is not a latency the console measures"
    if got is None:
        return f"expected {name} below {bound:g} s, but it did not happen"
    if not math.isfinite(got) or got > bound + 1e-9:
        return f"expected {name} below {bound:g} s, got {got:.3f} s"
    return None


def _caller_after_action(want: bool | str, events: list[ev.Event]) -> Check:
    after = [e for e in events if isinstance(e, ev.CallerSpeech) and e.after_action]
    if want is False:
        failure = (
            f"expected no caller speech after the action; {after[0].text!r} is at "
            f"{after[0].start:.2f} s"
            if after
            else None
        )
        return Check("caller_after_action_recorded", "no caller speech after the action", failure)
    if isinstance(want, str):
        label = f"caller's {want!r} after the action recorded"
        hit = any(want.lower() in e.text.lower() for e in after)
    else:
        label = "caller speech after the action recorded"
        hit = bool(after)
    failure = None
    if not hit:
        said = ", ".join(repr(e.text) for e in after[:3]) or "none"
        failure = (
            "expected caller speech after the action on the timeline"
            + (f" containing {want!r}" if isinstance(want, str) else "")
            + f"; recorded after the action: {said}"
        )
    return Check("caller_after_action_recorded", label, failure)


def check_expectations(exp: Expectations, events: list[ev.Event], lints: list[Lint]) -> list[str]:
    """The failures, in plain words (empty: every expectation held)."""
    return [c.failure for c in evaluate(exp, events, lints) if c.failure is not None]
