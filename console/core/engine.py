"""The call state machine: one call, from connect to line drop, with no Qt and no audio.

The engine is driven from outside, from one thread, by plain method calls:

- the caller: `caller_speech_started`, `caller_utterance` (text with start/end times),
  `hang_up`;
- the agent's audio path (a `VoicePort`): `agent_audio_started`, `agent_audio_finished`;
- the agent (console/core/agent_port.py): it asks with `Agent.begin` and the outputs come
  back through `post` onto this thread;
- who answered (voicemail detection): `answered_by`, `beep_heard`, `line_quiet`,
  defined with the rest of the screening in console/core/screening.py;
- time: `tick()` at or after `next_deadline()`;
- the tester: `edit_config`, and `fault` for device or backend trouble.

It answers by calling the VoicePort (play, stop, drop the line) and by emitting typed
events to its listeners. Because every input is an explicit call with explicit times,
the same engine serves typed input, the microphone, the scenario runner and the tests.

Every agent output names the caller turn it answers. The engine holds outputs until the
response delay has passed (for every agent alike), and drops output that answers a turn
the caller has moved past, with a `reply_discarded` event (invariant 9). An End Call
request the agent completed stands even when the speech before it is cut: the tool was
invoked.

The End Call rules it enforces are those of the semantics doc:
1. skip goodbye: no agent audio after the action; speech then playing is cut; the line
   drops at once;
2. otherwise the goodbye plays to its last sample, then the line drops after the guard;
4. config edits take effect at the agent's next decision and are logged with versions;
5. the action ends the call only under the name configured at that moment;
6. after the drop nothing more is heard, recognised or decided.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from console.core import events as ev
from console.core.agent_port import (
    Agent,
    AgentOutput,
    AgentRequest,
    EndRequest,
    GoodbyeDone,
    GoodbyeText,
    ModelCallRecord,
    Purpose,
    Say,
    TurnDone,
)
from console.core.call_records import (
    CallState,
    Ending,
    EndItem,
    Held,
    Listener,
    Playing,
    Queued,
    Request,
    Screening,
    SpeechItem,
    Utterance,
    VoicePort,
)
from console.core.clock import SessionClock
from console.core.config import ConfigStore, EditResult
from console.core.farewell import farewell_without_hangup
from console.core.hangup import END_CALL_PHRASE, fixed_goodbye, phrase_ending
from console.core.redact import redact_event
from console.core.screening import VoicemailScreening


class CallEngine(VoicemailScreening):
    def __init__(
        self,
        store: ConfigStore,
        agent: Agent,
        clock: SessionClock,
        voice: VoicePort,
        listeners: list[Listener] | None = None,
    ) -> None:
        self.store = store
        self.agent = agent
        self.clock = clock
        self.voice = voice
        self.listeners: list[Listener] = list(listeners or [])
        self.state = CallState.IDLE
        self.events: list[ev.Event] = []
        self.turn = 0
        self.drop_reason: str | None = None
        self.ending: Ending | None = None
        # Agents that answer over time (a language model) report from their own threads;
        # a host sets `post` to bring those reports onto the engine's thread.
        self.post: Callable[[Callable[[], None]], None] = lambda fn: fn()
        self._seq = 0
        self._next_utt = 1
        self._next_request = 1
        self._playing: Playing | None = None
        self._queue: deque[Queued] = deque()
        self._requests: dict[int, Request] = {}  # open: not done, not discarded
        self._held: list[Held] = []
        self._heard: dict[int, list[str]] = {}  # per caller turn: the agent lines played
        self._last_activity = 0.0
        self._dropped_at: float | None = None
        self.screening: Screening | None = None  # voicemail detection, when it is on

    # -- inputs: the call ----------------------------------------------------------------
    def place_call(
        self,
        mode: str = "text",
        devices: dict[str, str] | None = None,
        models: dict[str, str] | None = None,
    ) -> None:
        if self.state is not CallState.IDLE:
            raise RuntimeError("a call engine places one call; make a new engine per call")
        self._emit(
            ev.CallStarted(
                t=self.clock.now(),
                config_version=self.store.version,
                agent_backend=self.agent.backend,
                mode=mode,
                devices=dict(devices or {}),
                models=dict(models or {}),
            )
        )
        self._set_state(CallState.CONNECTED)
        now = self._last_activity = self.clock.now()
        if not self._start_screening(now):
            self._ask(Purpose.OPENING, 0, None)
        if self.state is CallState.CONNECTED:
            self._set_state(CallState.LISTENING)

    def caller_speech_started(self, t: float | None = None) -> None:
        """The caller began to speak (a partial result or voice activity): barge-in."""
        if not self.active:
            return
        t = self.clock.now() if t is None else t
        self._barge_in(t, self.turn + 1, "the caller barged in")

    def caller_utterance(
        self,
        text: str,
        start: float,
        end: float,
        *,
        end_rule: str = "",
        end_silence_s: float | None = None,
        end_why: str = "",
    ) -> bool:
        """One final caller utterance. Returns False when the call no longer listens.

        `end_rule`, `end_silence_s` and `end_why` say what ended the turn (the
        recogniser's end-of-turn rule), for the timeline.

        Speech that began before the line dropped but became final after it (the caller
        talking over the goodbye, recognised after the endpoint silence) is still logged,
        marked as after the action: it is evidence, though nothing answers it."""
        ended = {"end_rule": end_rule, "end_silence_s": end_silence_s, "end_why": end_why}
        if self.state is CallState.DROPPED and self._dropped_at is not None:
            if start < self._dropped_at and text.strip():
                self._log_caller_speech(text.strip(), start, min(end, self._dropped_at), ended)
            return False
        if not self.active:
            return False
        text = text.strip()
        if not text:
            return True
        self._last_activity = max(self._last_activity, end)
        self._log_caller_speech(text, start, end, ended)
        if self.screening is not None and self.screening.holding:
            return True  # who answered is not decided yet: the agent waits for the verdict
        self._barge_in(start, self.turn, "the caller spoke again")
        self._supersede(self.turn, "the caller spoke again")
        if self.ending is not None:
            return True  # the call is ending: words are logged, the agent decides no more
        self._ask(Purpose.REPLY, self.turn, end, caller_text=text)
        return True

    def _log_caller_speech(self, text: str, start: float, end: float, ended: dict) -> None:
        """One caller turn on the timeline (marked after the action once it fired)."""
        self.turn += 1
        self._emit(
            ev.CallerSpeech(
                t=start,
                config_version=self.store.version,
                text=text,
                start=start,
                end=end,
                turn=self.turn,
                heard_at=self.clock.now(),
                after_action=self.ending is not None,
                **ended,
            )
        )

    def hang_up(self, t: float | None = None, by_tester: bool = False) -> None:
        """The caller (or the tester at the console) hangs up: whatever plays is cut, the
        line drops now."""
        if not self.active:
            return
        if by_tester:
            self._drop(ev.TESTER_HUNG_UP, "the tester hung up", t)
        else:
            self._drop(ev.CALLER_HUNG_UP, "the caller hung up", t)

    def fault(
        self, source: str, message: str, fatal: bool = False, level: str | None = None
    ) -> None:
        """A device, model, disk or backend problem. Fatal ones end the call if so
        configured; `level` "error" marks a serious one that still lets the call go on."""
        if self.state is CallState.IDLE or self.state is CallState.DROPPED:
            return
        level = level or ("error" if fatal else "warning")
        self._notice(level, source, message)
        if fatal and self.store.current.agent.turn_taking.on_error == "end":
            self._drop(ev.ERROR, f"{source}: {message}")

    def audio_gap(
        self, stream: str, t: float, length_s: float, cause: str = "", blocks: int = 0
    ) -> None:
        """A stream's timing jumped (a playback stall under load, lost capture), or the
        device flagged an underflow or overflow (`cause`, over `blocks` blocks): on the
        timeline with its length, so a gap heard in the recording is explained."""
        if not self.active:
            return
        self._emit(
            ev.AudioGap(
                t=t,
                config_version=self.store.version,
                stream=stream,
                length_s=length_s,
                cause=cause,
                blocks=blocks,
            )
        )

    def voice_lost(self, voice: VoicePort, message: str) -> None:
        """The agent's audio path is gone (its device stopped). Unless the fault ends the
        call, what was playing ends cut short now and later lines go to `voice` (timed
        text): the call goes on instead of waiting for audio that will never play."""
        self.fault("audio", message, fatal=True)
        if not self.active or self.voice is voice:
            return
        self.voice = voice
        if self._playing is not None:
            self._finish_playing(self.clock.now(), cut_short=True)
            self._after_playing()

    # -- inputs: the agent's audio -------------------------------------------------------
    def agent_audio_started(
        self, utterance_id: int, t: float | None = None, planned_s: float | None = None
    ) -> None:
        p = self._playing
        if p is None or p.utt.id != utterance_id or p.started is not None or not self.active:
            return
        p.started = self.clock.now() if t is None else t
        p.planned_s = planned_s
        if p.utt.kind == "goodbye" and self.ending is not None:
            self.ending.goodbye_start = p.started
        self._emit(
            ev.SpeechStarted(
                t=p.started,
                config_version=self.store.version,
                utterance_id=p.utt.id,
                text=p.utt.text,
                speech=p.utt.kind,
                turn=p.utt.turn,
                planned_s=planned_s,
            )
        )

    def agent_audio_finished(
        self, utterance_id: int, t: float | None = None, cut_short: bool = False
    ) -> None:
        p = self._playing
        if p is None or p.utt.id != utterance_id or self.state is CallState.DROPPED:
            return  # a report for audio the engine already cut or a call already over
        end = self.clock.now() if t is None else t
        self._finish_playing(end, cut_short)
        self._after_playing()

    # -- inputs: the tester --------------------------------------------------------------
    def edit_config(self, changes: dict[str, Any]) -> EditResult:
        """Apply an edit; mid-call it is logged and reaches the agent's next decision."""
        result = self.store.edit(changes)
        self._log_edit(result)
        return result

    def replace_config(self, config: Any) -> EditResult:
        result = self.store.replace(config)
        self._log_edit(result)
        return result

    def _log_edit(self, result: EditResult) -> None:
        if not self.active:
            return  # between calls the store changes for the next call; no timeline
        if result.accepted:
            for field_name, old, new in result.changes:
                self._emit(
                    ev.ConfigChanged(
                        t=self.clock.now(),
                        config_version=result.version,
                        field=field_name,
                        old=old,
                        new=new,
                        version=result.version,
                    )
                )
            self.screening_edit_notices(result.changes)
        else:
            problems = "; ".join(str(p) for p in result.problems)
            self._notice(
                "warning",
                "config",
                f"edit refused: {problems}; version {result.version} stays in force",
            )

    # -- time ----------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """The session time at which `tick()` has something to do, if any."""
        if self.state is CallState.DROPPED or self.state is CallState.IDLE:
            return None
        times = [h.request.due for h in self._held]
        if self.ending is not None and self.ending.drop_at is not None:
            times.append(self.ending.drop_at)
        times += self._screening_deadlines()
        tt = self.store.current.agent.turn_taking
        if tt.max_call_s is not None:
            times.append(tt.max_call_s)
        if tt.silence_timeout_s is not None and self.awaiting_caller:
            times.append(self._last_activity + tt.silence_timeout_s)
        return min(times) if times else None

    def tick(self) -> None:
        now = self.clock.now()
        self._release_held(now)
        if not self.active:
            return
        ending = self.ending
        if ending is not None and ending.drop_at is not None and now >= ending.drop_at:
            self._drop(ending.reason, ending.drop_detail, ending.drop_at)
            return
        self._screening_tick(now)
        tt = self.store.current.agent.turn_taking
        if tt.max_call_s is not None and now >= tt.max_call_s:
            self._drop(
                ev.TIMEOUT, f"maximum call length {tt.max_call_s:g} s reached", tt.max_call_s
            )
            return
        if tt.silence_timeout_s is not None and self.awaiting_caller:
            limit = self._last_activity + tt.silence_timeout_s
            if now >= limit:
                self._drop(ev.TIMEOUT, f"no caller speech for {tt.silence_timeout_s:g} s", limit)

    # -- state ---------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state not in (CallState.IDLE, CallState.DROPPED)

    @property
    def awaiting_caller(self) -> bool:
        """Listening, with nothing asked, decided or playing: the caller's turn."""
        return (
            self.state is CallState.LISTENING
            and not self._requests
            and not self._held
            and self.ending is None
            and not (self.screening is not None and self.screening.holding)
        )

    @property
    def agent_busy(self) -> bool:
        """The agent is still working on a request (a model call in flight); outputs
        that only wait out the response delay do not count."""
        return any(not r.answered for r in self._requests.values())

    @property
    def playing(self) -> Utterance | None:
        return self._playing.utt if self._playing is not None else None

    def _set_state(self, state: CallState) -> None:
        if state is self.state:
            return
        previous, self.state = self.state, state
        self._emit(
            ev.StateChanged(
                t=self.clock.now(),
                config_version=self.store.version,
                state=state.value,
                previous=previous.value,
            )
        )

    def _emit(self, event: ev.Event) -> None:
        self._seq += 1
        # No secret (an API key echoed in an error, URL user-info) reaches any listener.
        event = redact_event(dataclasses.replace(event, seq=self._seq))
        self.events.append(event)
        for listener in self.listeners:
            listener(event)

    def _notice(self, level: str, source: str, message: str) -> None:
        self._emit(
            ev.Notice(
                t=self.clock.now(),
                config_version=self.store.version,
                level=level,
                source=source,
                message=message,
            )
        )

    # -- asking the agent ----------------------------------------------------------------
    def _ask(
        self,
        purpose: Purpose,
        turn: int,
        caller_end: float | None,
        caller_text: str = "",
        end: EndRequest | None = None,
    ) -> None:
        """Put one request to the agent with the config in force now."""
        cfg = self.store.current
        now = self.clock.now()
        # The thinking time belongs to answers; a goodbye follows the action at once.
        delay = 0.0 if purpose is Purpose.GOODBYE else cfg.agent.turn_taking.response_delay_ms
        request = Request(self._next_request, purpose, turn, now, now + delay / 1000.0, caller_end)
        self._next_request += 1
        self._requests[request.id] = request

        def emit(output: AgentOutput) -> None:
            self.post(lambda: self._receive(request, output))

        try:
            self.agent.begin(AgentRequest(purpose, turn, cfg, caller_text, end), emit)
        except Exception as exc:  # an agent bug must not take the call down silently
            self._close_request(request)
            if purpose is Purpose.GOODBYE:
                self._receive(request, GoodbyeDone(turn, None, error=repr(exc)))
            else:
                self.fault("agent", f"the agent failed to answer: {exc!r}", fatal=True)

    def _receive(self, request: Request, output: AgentOutput) -> None:
        """An output arrived (on this thread): hold it for the delay, drop it if stale."""
        if isinstance(output, TurnDone | GoodbyeDone):
            request.answered = True
        if not self.active:
            return
        if request.discarded:
            self._log_model_call(request, output, superseded=True)
            if isinstance(output, TurnDone | GoodbyeDone):
                request.done = True
            return
        if self.clock.now() < request.due or any(h.request is request for h in self._held):
            self._held.append(Held(request, output))
            return
        self._apply(request, output)

    def _release_held(self, now: float) -> None:
        while self.active:
            due = [h for h in self._held if h.request.due <= now]
            if not due:
                return
            first = min(due, key=lambda h: h.request.due)  # stable: arrival order kept
            self._held.remove(first)
            if first.request.discarded:
                continue
            self._apply(first.request, first.output)

    def _close_request(self, request: Request) -> None:
        request.done = request.answered = True
        self._requests.pop(request.id, None)

    def _log_model_call(
        self, request: Request, output: AgentOutput, superseded: bool = False
    ) -> None:
        record: ModelCallRecord | None = getattr(output, "model_call", None)
        if record is None:
            return
        fields = record.event_fields()
        if superseded:
            fields["outcome"] = (
                f"discarded: the caller moved past turn {request.turn} before it was spoken"
            )
        self._emit(ev.ModelCall(t=request.started, config_version=self.store.version, **fields))

    def _apply(self, request: Request, output: AgentOutput) -> None:
        self._log_model_call(request, output)
        if isinstance(output, Say):
            if self.ending is None and output.text.strip():
                request.said.append(output.text.strip())
                self._enqueue_speech(output.text, "speech", output.why, request.turn)
                self._advance()
        elif isinstance(output, TurnDone):
            self._turn_done(request, output)
        elif isinstance(output, GoodbyeDone):
            self._goodbye_done(request, output)

    def _turn_done(self, request: Request, out: TurnDone) -> None:
        self._close_request(request)
        self._last_activity = max(self._last_activity, self.clock.now())
        for message in out.notices:
            self._notice("warning", "agent", message)
        if out.error:
            self.fault("backend", out.error, fatal=True)
            if self.active:
                self._advance()
            return
        if out.end is not None and self.ending is None:
            # What this reply says before the action is said first; anything older that
            # is still playing (barge-in off) is cut by the action.
            playing = self._playing is not None and self._playing.utt.turn == request.turn
            speaking = playing or any(
                isinstance(item, SpeechItem) and item.utt.turn == request.turn
                for item in self._queue
            )
            if speaking:
                self._queue.append(EndItem(out.end, request.turn, request.caller_end))
                self._advance()
            else:
                self._invoke(out.end, request.turn, request.caller_end)
            return
        self._advance()

    def _supersede(self, turn: int, reason: str) -> None:
        """The caller moved on to `turn`: answers to earlier turns are never spoken."""
        stale: dict[int, list[str]] = {}
        for request in list(self._requests.values()):
            if request.turn < turn and request.purpose is not Purpose.GOODBYE:
                request.discarded = True
                self._requests.pop(request.id, None)
                waiting = [
                    h.output.text
                    for h in self._held
                    if h.request is request and isinstance(h.output, Say)
                ]
                stale.setdefault(request.turn, []).extend(waiting)
        self._held = [h for h in self._held if not h.request.discarded]
        kept: deque[Queued] = deque()
        for item in self._queue:
            if isinstance(item, SpeechItem) and item.utt.turn < turn:
                stale.setdefault(item.utt.turn, []).append(item.utt.text)
            else:
                kept.append(item)
        self._queue = kept
        self._cancel_turns(stale)
        for old_turn in sorted(stale):
            self._emit(
                ev.ReplyDiscarded(
                    t=self.clock.now(),
                    config_version=self.store.version,
                    turn=old_turn,
                    superseded_by=turn,
                    reason=reason,
                    text=" ".join(t.strip() for t in stale[old_turn] if t.strip()),
                )
            )

    def _cancel_turns(self, turns: Iterable[int]) -> None:
        """Tell the agent which turns' answers will not (all) be spoken, and what of each
        the caller did hear: an agent that keeps a conversation remembers only that. A
        line still playing (barge-in off) is heard to its end."""
        playing = self._playing.utt if self._playing is not None else None
        for turn in sorted(set(turns)):
            heard = list(self._heard.get(turn, ()))
            if playing is not None and playing.turn == turn and playing.kind == "speech":
                heard.append(playing.text)
            self.agent.cancel(turn, tuple(heard))

    # -- speaking ------------------------------------------------------------------------
    def _enqueue_speech(self, text: str, kind: str, why: str, turn: int) -> None:
        utt = Utterance(self._next_utt, text, kind, why, turn)
        self._next_utt += 1
        self._queue.append(SpeechItem(utt))

    def _advance(self) -> None:
        """Start the next queued item once nothing is playing."""
        while self.active and self._playing is None and self._queue:
            item = self._queue.popleft()
            if isinstance(item, SpeechItem):
                self._play(item.utt)
            else:
                self._invoke(item.end, item.turn, item.caller_end)
        if self.active and self._playing is None and not self._queue and self.ending is None:
            self._set_state(CallState.LISTENING)

    def _play(self, utt: Utterance) -> None:
        self._playing = Playing(utt, self.clock.now())
        self._set_state(CallState.ENDING if utt.kind == "goodbye" else CallState.AGENT_SPEAKING)
        self.voice.play(utt)

    def _finish_playing(self, end: float, cut_short: bool) -> None:
        p = self._playing
        assert p is not None
        self._playing = None
        start = p.started if p.started is not None else p.requested
        self._last_activity = max(self._last_activity, end)
        cfg_version = self.store.version
        ending = self.ending
        if p.utt.kind == "goodbye" and ending is not None:
            if ending.goodbye_start is None:  # a voice that never said (cut before it did)
                ending.goodbye_start = start
            ending.goodbye_end = end
            goodbye = ending.goodbye or GoodbyeText(p.utt.text, "", "")
            self._emit(
                ev.Goodbye(
                    t=start,
                    config_version=cfg_version,
                    text=p.utt.text,
                    source=goodbye.source,
                    detail=goodbye.detail,
                    start=start,
                    end=end,
                    cut_short=cut_short,
                    generation_ms=ending.goodbye_ms,
                    since_action_s=start - ending.action_at,
                    planned_s=p.planned_s,
                    utterance_id=p.utt.id,
                )
            )
        else:
            self._heard.setdefault(p.utt.turn, []).append(p.utt.text)
            self._emit(
                ev.AgentSpeech(
                    t=start,
                    config_version=cfg_version,
                    text=p.utt.text,
                    start=start,
                    end=end,
                    cut_short=cut_short,
                    why=p.utt.why,
                    utterance_id=p.utt.id,
                    turn=p.utt.turn,
                )
            )
            hit = None if cut_short else phrase_ending(self.store.current, p.utt.text)
            if hit is not None:  # the agent said a platform's end-call phrase
                self._drop(END_CALL_PHRASE, hit.detail, end)

    def _after_playing(self) -> None:
        ending = self.ending
        if ending is not None and ending.goodbye_end is not None and ending.drop_at is None:
            guard = self.store.current.agent.turn_taking.drop_guard_ms / 1000.0
            ending.drop_at = ending.goodbye_end + guard
            ending.drop_detail = f"guard {guard:g} s"
            if guard <= 0:
                self._drop(ending.reason, ending.drop_detail, ending.drop_at)
            return
        self._advance()

    def _give_way(self, now: float) -> None:
        """The call is ending: nothing queued, held or being answered will be said, and
        whatever is playing stops."""
        turns = {i.utt.turn for i in self._queue if isinstance(i, SpeechItem)}
        self._queue.clear()
        self._held.clear()
        for request in list(self._requests.values()):
            request.discarded = True
            turns.add(request.turn)
        self._requests.clear()
        self._cut(now)
        self._cancel_turns(turns)

    def _cut(self, t: float) -> None:
        """Stop whatever the agent is saying, at `t`."""
        p = self._playing
        if p is None:
            return
        self.voice.stop(p.utt.id)
        self._finish_playing(max(t, p.started or p.requested), cut_short=True)

    def _barge_in(self, t: float, turn: int, reason: str) -> None:
        """The caller spoke (from t on; their turn `turn`) over the agent. The cut happens
        now: audio played between t and now was heard, and the timeline must say so."""
        tt = self.store.current.agent.turn_taking
        p = self._playing
        if self.ending is not None:
            # A voicemail message is never cut: a machine's sound is not a caller.
            cuts = tt.barge_in_cuts_goodbye and self.ending.reason != ev.VOICEMAIL
            if p is not None and p.utt.kind == "goodbye" and cuts:
                self._cut(max(t, self.clock.now()))
                self._after_playing()
            return
        if not tt.barge_in:
            return
        if p is not None:
            self._cut(max(t, self.clock.now()))
        # Whatever answered the caller's earlier turns is no longer wanted.
        self._supersede(turn, reason)
        self._advance()

    # -- the End Call action -------------------------------------------------------------
    def _invoke(self, end: EndRequest, turn: int, caller_end: float | None) -> None:
        cfg = self.store.current
        configured = cfg.end_call.name
        if end.action_name != configured:
            self._notice(
                "warning",
                "agent",
                f"the agent invoked '{end.action_name}' but the End Call action is "
                f"named '{configured}': nothing happens and the call goes on",
            )
            self._advance()
            return
        if not cfg.end_call.enabled:
            self._notice(
                "warning",
                "agent",
                f"the agent invoked '{configured}', but End Call is switched off "
                "(end_call.enabled): nothing happens and the call goes on",
            )
            self._advance()
            return
        now = self.clock.now()
        self.ending = ending = Ending(action_at=now, end=end, turn=turn, caller_end=caller_end)
        skip = cfg.end_call.skip_goodbye
        latency = None if caller_end is None else max(0.0, now - caller_end)
        self._emit(
            ev.ActionInvoked(
                t=now,
                config_version=self.store.version,
                action_name=configured,
                why=end.why,
                rule=end.rule,
                trigger_words=end.trigger_words,
                turn=turn,
                latency_s=latency,
                skip_goodbye=skip,
            )
        )
        # Whatever the agent was saying or about to say gives way to the ending.
        self._give_way(now)
        if skip:
            self._drop(ev.END_CALL_ACTION, "skip goodbye is on: dropped at the action", now)
            return
        if end.silent:
            self._drop(
                ev.END_CALL_ACTION,
                f"no goodbye: the prompt says to end {end.silent!r}; dropped at the action",
                now,
            )
            return
        self._set_state(CallState.ENDING)
        text = fixed_goodbye(cfg)
        if text:  # a platform's fixed end-call message: spoken word for word
            ending.goodbye = GoodbyeText(text, "goodbye_message", "the fixed End Call message")
        elif end.farewell.strip():  # the agent chose its goodbye with the call (ElevenLabs)
            text = end.farewell.strip()
            ending.goodbye = GoodbyeText(
                text, "tool_message", f"the message the agent passed with {end.action_name}"
            )
        if text:
            self._enqueue_speech(text, "goodbye", end.why, turn)
            self._advance()
            return
        ending.awaiting_goodbye = True
        self._ask(Purpose.GOODBYE, turn, caller_end, end=end)

    def _goodbye_done(self, request: Request, out: GoodbyeDone) -> None:
        self._close_request(request)
        ending = self.ending
        if ending is None or not ending.awaiting_goodbye:
            return
        ending.awaiting_goodbye = False
        for message in out.notices:
            self._notice("warning", "agent", message)
        if out.goodbye is None or not out.goodbye.text.strip():
            why = out.error or "empty reply"
            self._notice(
                "warning",
                "agent",
                f"no goodbye could be produced ({why}); the line drops without one",
            )
            ending.goodbye_end = self.clock.now()
            self._after_playing()
            return
        ending.goodbye = out.goodbye
        if out.model_call is not None:
            ending.goodbye_ms = 1000.0 * out.model_call.total_s
        else:
            ending.goodbye_ms = out.generation_ms
        self._enqueue_speech(out.goodbye.text, "goodbye", ending.end.why, request.turn)
        self._advance()

    def _drop(self, reason: str, detail: str, t: float | None = None) -> None:
        if not self.active:
            return
        now = self.clock.now() if t is None else t
        self._cut(now)
        self._queue.clear()
        self._held.clear()
        for request in self._requests.values():
            request.discarded = True
        self._requests.clear()
        self.drop_reason = reason
        self._dropped_at = now
        ending = self.ending
        since_action = None if ending is None else now - ending.action_at
        since_goodbye = (
            None if ending is None or ending.goodbye_end is None else now - ending.goodbye_end
        )
        drop = ev.LineDropped(
            t=now,
            config_version=self.store.version,
            reason=reason,
            detail=detail,
            since_action_s=since_action,
            since_goodbye_end_s=since_goodbye,
        )
        unfinished = farewell_without_hangup([*self.events, drop])
        if unfinished:  # the agent said goodbye, then never hung up: the other End Call bug
            self._notice("warning", "agent", unfinished)
        self._emit(drop)
        self._set_state(CallState.DROPPED)
        self.voice.line_dropped()
        self.agent.close()
