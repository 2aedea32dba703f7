"""What a call's timeline shows, from its events: items in lanes, and named latencies.

Pure Python: the window's timeline, the session browser and the exported reports draw
the same items with the same words. Spans (speech, goodbye, model calls) and points
(connected, the action, config versions, the drop, warnings); an agent line appears at
its first sample and grows while it plays; a goodbye that skip goodbye left out is a
marker of its own; caller words after the action are marked as such. Every latency says
what it measures: "caller end → action", "action → goodbye", "goodbye end → drop",
"action → drop" (skip goodbye), "first token".
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from console.core import events as ev


@dataclass
class Item:
    lane: str
    start: float
    end: float  # == start for points
    label: str
    tooltip: str
    event: ev.Event | None = None
    cut: bool = False
    live: bool = False  # still playing: drawn up to "now"
    style: str = ""  # "skipped", "after_action", "clipped", "audible" or ""


@dataclass
class Latency:
    start: float
    end: float
    label: str  # e.g. "caller end → action 154 ms"
    lane: str  # drawn in this lane
    tooltip: str = ""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class TimelineModel:
    """Events in, items out."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self._starts: list[float] = []
        self.latencies: list[Latency] = []
        self.max_span = 0.0
        self.connected: float | None = None
        self.dropped: float | None = None
        self.drop_reason = ""
        self._action: ev.ActionInvoked | None = None
        self._goodbye: ev.Goodbye | None = None
        self._live: dict[int, Item] = {}  # utterance id -> the growing item

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    @property
    def end(self) -> float:
        ends = [i.end for i in self.items[-200:]] + [self.dropped or 0.0, self.connected or 0.0]
        return max(ends) if ends else 0.0

    def add(self, item: Item) -> None:
        i = bisect.bisect_right(self._starts, item.start)
        self._starts.insert(i, item.start)
        self.items.insert(i, item)
        self.max_span = max(self.max_span, item.end - item.start)

    def remove(self, item: Item) -> None:
        i = self.items.index(item)
        del self.items[i]
        del self._starts[i]

    def visible(self, t0: float, t1: float, now: float | None = None) -> list[Item]:
        lo = bisect.bisect_left(self._starts, t0 - self.max_span)
        hi = bisect.bisect_right(self._starts, t1)
        shown = [it for it in self.items[lo:hi] if it.end >= t0]
        # Live items may reach past max_span: always consider them.
        shown += [it for it in self._live.values() if it not in shown and it.start <= t1]
        return shown

    def live_end(self, item: Item, now: float | None) -> float:
        return max(item.start, now if now is not None else item.end) if item.live else item.end

    # -- events ---------------------------------------------------------------------------
    def add_event(self, e: ev.Event) -> None:
        handler = getattr(self, f"_on_{e.kind}", None)
        if handler is not None:
            handler(e)

    def _on_call_started(self, e: ev.CallStarted) -> None:
        self.connected = e.t
        tip = f"connected at {e.t:.2f} s: {e.agent_backend} agent, {e.mode}"
        self.add(Item("line", e.t, e.t, "connected", tip, e))

    def _on_caller_speech(self, e: ev.CallerSpeech) -> None:
        from console.report.table import turn_ending

        after = " (after the action)" if e.after_action else ""
        ending = turn_ending(e)
        self.add(
            Item(
                "caller",
                e.start,
                e.end,
                (f"after the action: {e.text}" if e.after_action else e.text),
                f"caller #{e.turn}{after}, {e.start:.2f}-{e.end:.2f} s{_heard(e)}:\n{e.text}"
                + (f"\n{ending}" if ending else ""),
                e,
                style="after_action" if e.after_action else "",
            )
        )

    def _on_speech_started(self, e: ev.SpeechStarted) -> None:
        lane = "goodbye" if e.speech == "goodbye" else "agent"
        planned = f" ({e.planned_s:.2f} s long)" if e.planned_s else ""
        item = Item(
            lane, e.t, e.t, e.text, f"{lane}, playing since {e.t:.2f} s{planned}:\n{e.text}", e
        )
        item.live = True
        self._live[e.utterance_id] = item
        self.add(item)

    def _close_live(self, utterance_id: int) -> None:
        item = self._live.pop(utterance_id, None)
        if item is not None:
            self.remove(item)

    def _on_agent_speech(self, e: ev.AgentSpeech) -> None:
        self._close_live(e.utterance_id)
        cut = " (cut short)" if e.cut_short else ""
        tip = f"agent, {e.start:.2f}-{e.end:.2f} s{cut}, answers turn {e.turn}:\n{e.text}"
        self.add(Item("agent", e.start, e.end, e.text, f"{tip}\nwhy: {e.why}", e, e.cut_short))

    def _on_action_invoked(self, e: ev.ActionInvoked) -> None:
        self._action = e
        skip = " (skip goodbye)" if e.skip_goodbye else ""
        self.add(
            Item(
                "action",
                e.t,
                e.t,
                f"{e.action_name}{skip}",
                f"{e.action_name} invoked at {e.t:.2f} s, config v{e.config_version}"
                f"{skip}\nwhy: {e.why}\nwords: {e.trigger_words or '-'}",
                e,
            )
        )
        if e.latency_s is not None:
            self.latencies.append(
                Latency(
                    e.t - e.latency_s,
                    e.t,
                    f"caller end → action {ms(e.latency_s)}",
                    "action",
                    "from the caller's last word to the End Call action",
                )
            )
        if e.skip_goodbye:
            self.add(
                Item(
                    "goodbye",
                    e.t,
                    e.t,
                    f"goodbye skipped (config v{e.config_version})",
                    f"no goodbye: skip goodbye was on in config v{e.config_version}",
                    e,
                    style="skipped",
                )
            )

    def _on_goodbye(self, e: ev.Goodbye) -> None:
        self._close_live(e.utterance_id)
        self._goodbye = e
        cut = " (CUT SHORT)" if e.cut_short else ""
        self.add(
            Item(
                "goodbye",
                e.start,
                e.end,
                e.text,
                f"goodbye, {e.start:.2f}-{e.end:.2f} s{cut}\nfrom the "
                f"{e.source.replace('_', ' ')}: {e.detail}\n{e.text}",
                e,
                e.cut_short,
            )
        )
        if self._action is not None:
            self.latencies.append(
                Latency(
                    self._action.t,
                    e.start,
                    f"action → goodbye {ms(e.since_action_s)}",
                    "goodbye",
                    "from the End Call action to the goodbye's first sample",
                )
            )

    def _on_line_dropped(self, e: ev.LineDropped) -> None:
        self.dropped, self.drop_reason = e.t, e.reason
        for uid in list(self._live):  # nothing plays after the drop
            item = self._live.pop(uid)
            item.live, item.end = False, max(item.start, e.t)
        self.add(
            Item(
                "line",
                e.t,
                e.t,
                f"dropped: {e.reason}",
                f"line dropped at {e.t:.2f} s: {e.reason}\n{e.detail}",
                e,
            )
        )
        if e.since_goodbye_end_s is not None and self._goodbye is not None:
            self.latencies.append(
                Latency(
                    self._goodbye.end,
                    e.t,
                    f"goodbye end → drop {ms(e.since_goodbye_end_s)}",
                    "line",
                    "from the goodbye's last sample to the line drop (the guard)",
                )
            )
        elif e.since_action_s is not None and self._action is not None:
            self.latencies.append(
                Latency(
                    self._action.t,
                    e.t,
                    f"action → drop {ms(e.since_action_s)}",
                    "line",
                    "from the End Call action to the line drop",
                )
            )

    def _on_goodbye_audibility(self, e: ev.GoodbyeAudibility) -> None:
        """The verdict belongs to the goodbye's bar: its label and hover text say it."""
        bar = next(
            (i for i in self.items if i.lane == "goodbye" and isinstance(i.event, ev.Goodbye)),
            None,
        )
        if bar is None:
            return
        bar.label = f"{bar.label} — {'heard to its end' if e.audible_to_end else 'CLIPPED'}"
        bar.tooltip += f"\nmeasured on the recording: {e.verdict}"
        bar.style = "audible" if e.audible_to_end else "clipped"

    def _on_answered_by(self, e: ev.AnsweredByVerdict) -> None:
        label = f"answered by {e.answered_by}"
        tip = f"{label} at {e.t:.2f} s ({e.confidence:.2f}), decided by {e.decided_by}:\n{e.reason}"
        self.add(Item("line", e.t, e.t, label, tip, e))

    def _on_beep(self, e: ev.BeepHeard) -> None:
        tip = f"beep {e.hz:.0f} Hz, {e.start:.2f}-{e.end:.2f} s; known at {e.heard_at:.2f} s"
        self.add(Item("caller", e.start, e.end, f"beep {e.hz:.0f} Hz", tip, e, style="skipped"))

    def _on_opening_held(self, e: ev.OpeningHeld) -> None:
        tip = f"the opening waited {e.end - e.start:.2f} s for the verdict ({e.released_by})"
        self.add(Item("agent", e.start, e.end, "opening held", tip, e, style="skipped"))

    def _on_sip(self, e: ev.SipEvent) -> None:
        arrow = {"sent": "→ ", "received": "← "}.get(e.direction, "")
        tip = f"SIP at {e.t:.2f} s: {arrow}{e.message}" + (f"\n{e.detail}" if e.detail else "")
        # The set-up (INVITE, 100, 180, 200, ACK...) comes within a second: those are
        # markers with hover text; the ending and any failure are labelled.
        first = e.message.split()[0] if e.message.strip() else ""  # a damaged log's ""
        ending = first in ("BYE", "CANCEL") or (e.status or 0) >= 300
        one_way = e.message in ("no RTP from the agent", "RTP from the agent again")
        label = f"{arrow}{e.message}" if ending or one_way else ""
        self.add(Item("line", e.t, e.t, label, tip, e))

    def _on_far_end_verdict(self, e: ev.FarEndVerdict) -> None:
        from console.report.table import far_end_text

        label = "CUT OFF by its BYE" if e.cut else ("hung up" if e.agent_hung_up else "no BYE")
        self.add(Item("action", e.t, e.t, label, f"the remote agent: {far_end_text(e)}", e))

    def _on_audio_gap(self, e: ev.AudioGap) -> None:
        from console.report.table import audio_gap_label, audio_gap_text

        end = e.t + max(0.0, e.length_s)
        tip = f"at {e.t:.2f} s: {audio_gap_text(e)}"
        self.add(Item("notes", e.t, end, audio_gap_label(e), tip, e))

    def _on_config_changed(self, e: ev.ConfigChanged) -> None:
        tip = f"config v{e.version} at {e.t:.2f} s:\n{e.field}: {e.old!r} -> {e.new!r}"
        self.add(Item("config", e.t, e.t, f"v{e.version}", tip, e))

    def _on_model_call(self, e: ev.ModelCall) -> None:
        from console.report.table import model_call_text

        label = f"{e.purpose}: {e.total_s:.2f} s" + (" ERROR" if e.error else "")
        tip = f"model call at {e.t:.2f} s:\n{model_call_text(e)}"
        self.add(Item("model", e.t, e.t + e.total_s, label, tip, e))
        if e.ttft_s is not None:
            self.latencies.append(
                Latency(
                    e.t,
                    e.t + e.ttft_s,
                    f"first token {ms(e.ttft_s)}",
                    "model",
                    "from the request to the model's first token",
                )
            )

    def _on_notice(self, e: ev.Notice) -> None:
        tip = f"{e.level} ({e.source}) at {e.t:.2f} s:\n{e.message}"
        self.add(Item("notes", e.t, e.t, f"{e.source} {e.level}", tip, e))  # "audio warning"

    def _on_reply_discarded(self, e: ev.ReplyDiscarded) -> None:
        who = "opening" if e.turn == 0 else f"reply to turn {e.turn}"
        said = f"\nit would have said: {e.text}" if e.text else ""
        tip = f"{who} discarded at {e.t:.2f} s: {e.reason}{said}"
        self.add(Item("notes", e.t, e.t, "discarded", tip, e))


def _heard(e: ev.CallerSpeech) -> str:
    """How long after the caller's last word the utterance was final (endpoint+decoding)."""
    if e.heard_at is None or e.heard_at < e.end:
        return ""
    return f", final {1000 * (e.heard_at - e.end):.0f} ms after the last word"
