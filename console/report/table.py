"""The timeline as a table a person reads in a terminal or a CI log.

One row per event, in time order: when, which lane (the same lanes the GUI draws), and
what happened in words, with the End Call latencies spelled out where they occur.
"""

from __future__ import annotations

import shutil
import textwrap

from console.core import events as ev
from console.report.escape import printable

LANE_WIDTH = 9
TIME_WIDTH = 13


def _span(start: float, end: float) -> str:
    return f"{start:6.2f}-{end:6.2f}"


def turn_ending(e: ev.CallerSpeech) -> str:
    """What ended a caller's turn, in a sentence for the timeline's hover text: which
    end-of-turn rule, after how much silence, and why ("" for typed lines)."""
    if not e.end_rule or e.end_silence_s is None:
        return ""
    quiet = f"{e.end_silence_s * 1000:.0f} ms of silence"
    if e.end_rule == "call end":
        return f"turn ended by the call's end after {quiet}: {e.end_why or 'words pending'}"
    why = f": {e.end_why}" if e.end_why else ""
    return f"turn ended by the {e.end_rule} rule after {quiet}{why}"


def _ended(e: ev.CallerSpeech) -> str:
    """What ended a caller's turn: the rule, the silence it waited, and (adaptive) why."""
    if not e.end_rule or e.end_silence_s is None:
        return ""
    why = f" ({e.end_why})" if e.end_why and e.end_rule != "silence" else ""
    return f" · turn ended by {e.end_rule} after {e.end_silence_s * 1000:.0f} ms of silence{why}"


def describe(e: ev.Event) -> tuple[str, str, str] | None:
    """(time, lane, text) for one event, or None for bookkeeping events.

    The lane and text are inert: control characters (a terminal's escape sequences, a
    carriage return that would overwrite the line) show as symbols, secrets as ***."""
    row = _describe(e)
    if row is None:
        return None
    when, lane, text = row
    return when, printable(lane), printable(text)


def _describe(e: ev.Event) -> tuple[str, str, str] | None:
    if isinstance(e, ev.CallStarted):
        devices = ", ".join(f"{k}: {v}" for k, v in e.devices.items())
        extra = f"; {devices}" if devices else ""
        return f"{e.t:6.2f}", "line", f"connected ({e.agent_backend} agent, {e.mode}{extra})"
    if isinstance(e, ev.CallerSpeech):
        after = " (after the action)" if e.after_action else ""
        return _span(e.start, e.end), f"caller #{e.turn}", repr_text(e.text) + after + _ended(e)
    if isinstance(e, ev.ReplyDiscarded):
        said = f": {repr_text(e.text)}" if e.text else ""
        who = "the opening" if e.turn == 0 else f"the reply to turn {e.turn}"
        return f"{e.t:6.2f}", "discarded", f"{who} was never spoken ({e.reason}){said}"
    if isinstance(e, ev.GoodbyeAudibility):
        return f"{e.t:6.2f}", "audible", e.verdict
    if isinstance(e, ev.AudioGap):
        return f"{e.t:6.2f}", "audio", audio_gap_text(e)
    if isinstance(e, ev.AnsweredByVerdict):
        return (
            f"{e.t:6.2f}",
            "answered",
            f"by {e.answered_by} ({e.confidence:.2f}, decided by {e.decided_by}): {e.reason}",
        )
    if isinstance(e, ev.BeepHeard):
        return (
            _span(e.start, e.end),
            "beep",
            f"{e.hz:.0f} Hz at {e.dbfs:.0f} dBFS (known to have ended at {e.heard_at:.2f} s)",
        )
    if isinstance(e, ev.OpeningHeld):
        return (
            _span(e.start, e.end),
            "held",
            f"the opening waited for the verdict ({e.released_by})",
        )
    if isinstance(e, ev.AgentSpeech):
        cut = " [cut short]" if e.cut_short else ""
        return _span(e.start, e.end), "agent", repr_text(e.text) + cut
    if isinstance(e, ev.ActionInvoked):
        after = ""
        if e.latency_s is not None and e.trigger_words:
            after = f" {e.latency_s:.2f} s after {e.trigger_words!r}"
        elif e.latency_s is not None:
            after = f" {e.latency_s:.2f} s after the caller's last words"
        skip = "; skip goodbye: dropping now" if e.skip_goodbye else ""
        return (
            f"{e.t:6.2f}",
            "action",
            f"{e.action_name} fired{after} (config v{e.config_version}){skip} - why: {e.why}",
        )
    if isinstance(e, ev.Goodbye):
        cut = " [CUT SHORT]" if e.cut_short else ""
        source = e.source.replace("_", " ")
        return (
            _span(e.start, e.end),
            "goodbye",
            f"{repr_text(e.text)}{cut} ({e.end - e.start:.2f} s, from the {source}: {e.detail}; "
            f"started {e.since_action_s:.2f} s after the action)",
        )
    if isinstance(e, ev.LineDropped):
        parts = [e.reason]
        if e.since_goodbye_end_s is not None:
            parts.append(f"{e.since_goodbye_end_s:.2f} s after the goodbye ended")
        elif e.since_action_s is not None:
            parts.append(f"{e.since_action_s:.2f} s after the action")
        if e.detail:
            parts.append(e.detail)
        return f"{e.t:6.2f}", "line", "dropped: " + "; ".join(parts)
    if isinstance(e, ev.ConfigChanged):
        return (
            f"{e.t:6.2f}",
            "config",
            f"v{e.version}: {e.field} {short(e.old)} -> {short(e.new)}",
        )
    if isinstance(e, ev.ModelCall):
        return f"{e.t:6.2f}", "model", model_call_text(e)
    if isinstance(e, ev.Notice):
        return f"{e.t:6.2f}", e.level, f"[{e.source}] {e.message}"
    if isinstance(e, ev.SipEvent):
        what = f"{e.direction} {e.message}" if e.direction else e.message
        return f"{e.t:6.2f}", "sip", what + (f" ({e.detail})" if e.detail else "")
    if isinstance(e, ev.FarEndVerdict):
        return f"{e.t:6.2f}", "verdict", far_end_text(e)
    return None


def far_end_text(e: ev.FarEndVerdict) -> str:
    """A remote agent's hang-up in words: who ended it, how long after its last sound,
    what it said last, and whether the BYE cut it off."""
    last = f"last words {repr_text(e.last_utterance)}" if e.last_utterance else "it said nothing"
    if e.agent_hung_up:
        gap = f" {e.gap_s:.2f} s after its last sound" if e.gap_s is not None else ""
        cut = (
            f"; CUT OFF by its own BYE: {e.cut_why}"
            if e.cut
            else "; its last words were audible to their end"
        )
        return f"the agent hung up (BYE){gap}; {last}{cut}"
    if e.never_hung_up:
        waited = f" ({e.waited_s:g} s after it)" if e.waited_s is not None else ""
        return f"the agent said goodbye but never hung up{waited}; {last}"
    return f"the agent did not hang up; {last}"


def model_call_text(e: ev.ModelCall) -> str:
    timing = f"total {e.total_s:.2f} s"
    if e.ttft_s is not None:
        timing = f"first token {e.ttft_s:.2f} s, " + timing
    calls = ", ".join(f"{c.get('name', '?')}({c.get('arguments', '')})" for c in e.tool_calls)
    said = f' said "{e.text}"' if e.text else ""
    did = f" -> {e.outcome}" if e.outcome else ""
    error = f" ERROR: {e.error}" if e.error else ""
    return (
        f"{e.purpose} from {e.model} ({timing}){said}{' called ' + calls if calls else ''}"
        f"{did}{error}"
    )


def repr_text(text: str) -> str:
    return f'"{text}"'


def short(value: object, limit: int = 40) -> str:
    s = repr(value)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def format_timeline(events: list[ev.Event], width: int | None = None) -> str:
    width = width or max(80, min(140, shutil.get_terminal_size((110, 20)).columns))
    text_width = max(30, width - TIME_WIDTH - LANE_WIDTH - 4)
    rows = []
    for e in sorted(events, key=lambda e: (e.t, e.seq)):
        row = describe(e)
        if row is None:
            continue
        when, lane, text = row
        lines = textwrap.wrap(text, text_width) or [""]
        rows.append(f"  {when:<{TIME_WIDTH}} {lane:<{LANE_WIDTH}} {lines[0]}")
        pad = " " * (TIME_WIDTH + LANE_WIDTH + 4)
        rows.extend(pad + cont for cont in lines[1:])
    header = f"  {'time (s)':<{TIME_WIDTH}} {'lane':<{LANE_WIDTH}} what happened"
    return "\n".join([header, "  " + "-" * (width - 2), *rows])


def audio_gap_label(e: ev.AudioGap) -> str:
    """A few words for the timeline's bar: "agent's audio paused 40 ms"."""
    who = "agent's audio" if e.stream == "output" else "microphone"
    if e.cause:
        return f"{who} {e.cause} {e.length_s * 1000:.0f} ms"
    if e.length_s > 0:
        return f"{who} paused {e.length_s * 1000:.0f} ms"
    return f"{who} skipped {-e.length_s * 1000:.0f} ms"


def audio_gap_text(e: ev.AudioGap) -> str:
    """What a gap in a stream means for the call and its recording, in a sentence."""
    ms = e.length_s * 1000
    blocks = f", {e.blocks} block{'s' if e.blocks != 1 else ''}" if e.blocks else ""
    if e.cause == "underflow":
        return (
            f"the agent's audio ran dry for {ms:.0f} ms (output underflow{blocks}): the "
            "speaker played silence the console never sent"
        )
    if e.cause == "overflow":
        return (
            f"the microphone lost {ms:.0f} ms (input overflow{blocks}): the computer fell "
            "behind capturing; recognition may miss words"
        )
    who = "the agent's audio" if e.stream == "output" else "the microphone"
    what = (
        f"paused {ms:.0f} ms (the computer fell behind)"
        if e.length_s > 0
        else f"skipped {-ms:.0f} ms"
    )
    return f"{who} {what}; the recording has the same gap"
