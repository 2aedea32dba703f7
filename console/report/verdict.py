"""How the call ended, in plain words: the sentence a bug report starts with."""

from __future__ import annotations

from console.core import events as ev
from console.report.escape import printable


def verdict(events: list[ev.Event]) -> str:
    """e.g. "end_call fired 0.18 s after 'no thanks'; goodbye 'Thanks for your time.'
    played 2.85 s; line dropped 0.21 s after the goodbye ended"."""
    far_end = next((e for e in events if isinstance(e, ev.FarEndVerdict)), None)
    if far_end is not None:  # a remote agent (SIP): its own hang-up is the evidence
        from console.report.table import far_end_text

        return printable(far_end_text(far_end))
    action = next((e for e in events if isinstance(e, ev.ActionInvoked)), None)
    goodbye = next((e for e in events if isinstance(e, ev.Goodbye)), None)
    drop = next((e for e in events if isinstance(e, ev.LineDropped)), None)
    parts = []
    if action is not None:
        after = ""
        if action.latency_s is not None:
            words = f"'{action.trigger_words}'" if action.trigger_words else "the caller's words"
            after = f" {action.latency_s:.2f} s after {words}"
        parts.append(f"{action.action_name} fired{after} (config v{action.config_version})")
        if goodbye is not None:
            cut = " but was CUT SHORT" if goodbye.cut_short else ""
            parts.append(
                f"goodbye '{goodbye.text}' played {goodbye.end - goodbye.start:.2f} s{cut}"
            )
            heard = next((e for e in events if isinstance(e, ev.GoodbyeAudibility)), None)
            if heard is not None:  # measured on the recording
                parts.append(heard.verdict)
        elif action.skip_goodbye:
            parts.append("no goodbye (skip goodbye on)")
        else:
            parts.append("no goodbye played")
    else:
        parts.append("the End Call action was never invoked")
    if drop is None:
        parts.append("the line never dropped (the recording ends without a drop)")
    elif drop.reason == ev.END_CALL_ACTION and drop.since_goodbye_end_s is not None:
        parts.append(f"line dropped {drop.since_goodbye_end_s:.2f} s after the goodbye ended")
    elif drop.reason == ev.END_CALL_ACTION:
        parts.append(f"line dropped {drop.since_action_s or 0.0:.2f} s after the action")
    else:
        label = {
            ev.CALLER_HUNG_UP: "the caller hung up",
            ev.TESTER_HUNG_UP: "the tester hung up",
            ev.TIMEOUT: "a timeout",
            ev.ERROR: "an error",
        }.get(drop.reason, drop.reason)
        detail = f" ({drop.detail})" if drop.detail and drop.detail != label else ""
        parts.append(f"line dropped at {drop.t:.2f} s: {label}{detail}")
    return printable("; ".join(parts))
