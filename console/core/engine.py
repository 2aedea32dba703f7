"""The call state machine: one call, from connect to line drop, with no Qt and no audio.

The engine is driven from outside, from one thread, by plain method calls:

- the caller: `caller_speech_started`, `caller_utterance` (text with start/end times),
  `hang_up`;
- the agent's audio path (a `VoicePort`): `agent_audio_started`, `agent_audio_finished`;
- time: `tick()` at or after `next_deadline()`;
- the tester: `edit_config`, and `fault` for device or backend trouble.

It answers by calling the VoicePort (play, stop, drop the line) and by emitting typed
events to its listeners. Because every input is an explicit call with explicit times,
the same engine serves typed input, the microphone, the scenario runner and the tests.

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
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from console.agent.base import Agent, Decision, EndRequest, Final, GoodbyeReady, Say
from console.core import events as ev
from console.core.clock import SessionClock
from console.core.config import ConfigStore, EditResult


class CallState(str, Enum):
    IDLE = "idle"
    CONNECTED = "connected"
    LISTENING = "listening"
    AGENT_SPEAKING = "agent_speaking"
    ENDING = "ending"
    DROPPED = "dropped"


@dataclass(frozen=True)
class Utterance:
    id: int
    text: str
    kind: str  # "speech" or "goodbye"
    why: str = ""


class VoicePort(Protocol):
    """The agent's audio path. It reports back through the engine's agent_audio_* calls."""

    def play(self, utterance: Utterance) -> None: ...

    def stop(self, utterance_id: int) -> None: ...

    def line_dropped(self) -> None: ...


Listener = Callable[[ev.Event], None]


@dataclass
class _Playing:
    utt: Utterance
    requested: float
    started: float | None = None


@dataclass
class _Pending:
    """A decision made, waiting for the agent's response delay to pass."""

    due: float
    decision: Decision
    turn: int
    caller_end: float | None


class CallEngine:
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
        self._seq = 0
        self._next_utt = 1
        self._playing: _Playing | None = None
        self._queue: deque[tuple[str, Any]] = deque()  # ("speech", Utterance) | ("end", ...)
        self._pending: list[_Pending] = []
        self._last_caller_end: float | None = None
        self._last_activity = 0.0
        self._action_at: float | None = None
        self._goodbye_end: float | None = None
        self._drop_at: float | None = None
        self._drop_detail = ""
        # Agents that answer over time (a language model) report from their own threads;
        # a host sets `post` to bring those reports onto the engine's thread.
        self.post: Callable[[Callable[[], None]], None] = lambda fn: fn()
        self._request = 0
        self._request_started: dict[int, float] = {}
        self._awaiting_goodbye = False

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
        self._last_activity = self.clock.now()
        if hasattr(self.agent, "begin_start"):
            self._begin("opening", lambda cfg, sink: self.agent.begin_start(cfg, sink), 0, None)
        else:
            self._decide(lambda cfg: self.agent.start(cfg), turn=0, caller_end=None)
        if self.state is CallState.CONNECTED:
            self._set_state(CallState.LISTENING)

    def caller_speech_started(self, t: float | None = None) -> None:
        """The caller began to speak (a partial result or voice activity): barge-in."""
        if not self.active:
            return
        t = self.clock.now() if t is None else t
        self._barge_in(t)

    def caller_utterance(self, text: str, start: float, end: float) -> bool:
        """One final caller utterance. Returns False when the call no longer listens."""
        if not self.active:
            return False
        text = text.strip()
        if not text:
            return True
        self.turn += 1
        self._last_caller_end = end
        self._last_activity = max(self._last_activity, end)
        self._emit(
            ev.CallerSpeech(
                t=start,
                config_version=self.store.version,
                text=text,
                start=start,
                end=end,
                turn=self.turn,
                heard_at=self.clock.now(),
            )
        )
        self._barge_in(start)
        if self.state is CallState.ENDING or self._action_at is not None:
            return True  # the call is ending: words are logged, the agent decides no more
        turn = self.turn
        if hasattr(self.agent, "begin_respond"):
            self._begin(
                "reply",
                lambda cfg, sink: self.agent.begin_respond(cfg, text, turn, sink),
                turn,
                end,
            )
        else:
            self._decide(lambda cfg: self.agent.respond(cfg, text, turn), turn=turn, caller_end=end)
        return True

    def hang_up(self, t: float | None = None) -> None:
        """The caller hangs up: whatever plays is cut, the line drops now."""
        if not self.active:
            return
        self._drop(ev.CALLER_HUNG_UP, "the caller hung up", t)

    def fault(self, source: str, message: str, fatal: bool = False) -> None:
        """A device, model or backend problem. Fatal ones end the call if so configured."""
        if self.state is CallState.IDLE or self.state is CallState.DROPPED:
            return
        level = "error" if fatal else "warning"
        self._notice(level, source, message)
        if fatal and self.store.current.agent.turn_taking.on_error == "end":
            self._drop(ev.ERROR, f"{source}: {message}")

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
    def agent_audio_started(self, utterance_id: int, t: float | None = None) -> None:
        p = self._playing
        if p is not None and p.utt.id == utterance_id and p.started is None:
            p.started = self.clock.now() if t is None else t

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
            for field, old, new in result.changes:
                self._emit(
                    ev.ConfigChanged(
                        t=self.clock.now(),
                        config_version=result.version,
                        field=field,
                        old=old,
                        new=new,
                        version=result.version,
                    )
                )
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
        times = [p.due for p in self._pending]
        if self._drop_at is not None:
            times.append(self._drop_at)
        tt = self.store.current.agent.turn_taking
        if tt.max_call_s is not None:
            times.append(tt.max_call_s)
        if tt.silence_timeout_s is not None and self.awaiting_caller:
            times.append(self._last_activity + tt.silence_timeout_s)
        return min(times) if times else None

    def tick(self) -> None:
        now = self.clock.now()
        while self.active:
            due = [p for p in self._pending if p.due <= now]
            if not due:
                break
            p = min(due, key=lambda p: p.due)
            self._pending.remove(p)
            self._apply(p)
        if not self.active:
            return
        if self._drop_at is not None and now >= self._drop_at:
            self._drop(ev.END_CALL_ACTION, self._drop_detail, self._drop_at)
            return
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
        """Listening, with nothing decided or playing: the caller's turn."""
        return self.state is CallState.LISTENING and not self._pending and self._action_at is None

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
        event = _with_seq(event, self._seq)
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

    # -- decisions -----------------------------------------------------------------------
    def _decide(self, ask: Callable[[Any], Decision], turn: int, caller_end: float | None) -> None:
        """Ask the agent now (with the config in force now) and apply after its delay."""
        cfg = self.store.current
        try:
            decision = ask(cfg)
        except Exception as exc:  # an agent bug must not take the call down silently
            self.fault("agent", f"the agent failed to decide: {exc!r}", fatal=True)
            return
        delay = cfg.agent.turn_taking.response_delay_ms / 1000.0
        pending = _Pending(self.clock.now() + delay, decision, turn, caller_end)
        if delay <= 0:
            self._apply(pending)
        else:
            self._pending.append(pending)

    def _begin(
        self, purpose: str, begin: Callable[[Any, Any], None], turn: int, caller_end: float | None
    ) -> None:
        """Start an agent turn that reports over time; its outputs come back through post."""
        self._request += 1
        rid = self._request
        self._request_started[rid] = self.clock.now()

        def sink(out: Any) -> None:
            self.post(lambda: self._agent_output(rid, out, turn, caller_end))

        try:
            begin(self.store.current, sink)
        except Exception as exc:
            self.fault("backend", f"the agent could not start its {purpose}: {exc!r}", fatal=True)

    def _agent_output(self, rid: int, out: Any, turn: int, caller_end: float | None) -> None:
        if not self.active:
            return
        model_call = getattr(out, "model_call", None)
        if model_call:
            t = self._request_started.get(rid, self.clock.now())
            self._emit(ev.ModelCall(t=t, config_version=self.store.version, **model_call))
        if isinstance(out, Say):
            if self._action_at is None and out.text.strip():
                self._enqueue_speech(out.text, "speech", out.why)
                self._advance()
        elif isinstance(out, Final):
            for message in out.notices:
                self._notice("warning", "backend", message)
            if out.error:
                self.fault("backend", out.error, fatal=True)
                return
            if out.end is not None and self._action_at is None:
                speaking = self._playing is not None or any(k == "speech" for k, _ in self._queue)
                if speaking:  # what the model said beside its tool call is said first
                    self._queue.append(("end", (out.end, turn, caller_end)))
                    self._advance()
                else:
                    self._invoke(out.end, turn, caller_end)
            else:
                self._advance()
        elif isinstance(out, GoodbyeReady) and self._awaiting_goodbye:
            self._awaiting_goodbye = False
            if out.goodbye is None or not out.goodbye.text.strip():
                self._notice(
                    "warning",
                    "backend",
                    f"no goodbye could be generated ({out.error or 'empty reply'}); "
                    "the line drops without one",
                )
                self._goodbye_end = self.clock.now()
                self._after_playing()
                return
            self._goodbye_source, self._goodbye_detail = out.goodbye.source, out.goodbye.detail
            self._goodbye_ms = 1000.0 * float((model_call or {}).get("total_s", 0.0))
            self._enqueue_speech(out.goodbye.text, "goodbye", "goodbye")
            self._advance()

    def _apply(self, p: _Pending) -> None:
        d = p.decision
        for message in d.notices:
            self._notice("warning", "agent", message)
        if d.say:
            self._enqueue_speech(d.say, "speech", d.why)
        if d.end is not None:
            if d.say:
                self._queue.append(("end", (d.end, p.turn, p.caller_end)))
            else:
                self._invoke(d.end, p.turn, p.caller_end)
                return
        self._advance()

    def _enqueue_speech(self, text: str, kind: str, why: str) -> None:
        utt = Utterance(self._next_utt, text, kind, why)
        self._next_utt += 1
        self._queue.append(("speech", utt))

    def _advance(self) -> None:
        """Start the next queued item once nothing is playing."""
        while self.active and self._playing is None and self._queue:
            kind, item = self._queue.popleft()
            if kind == "speech":
                self._play(item)
            else:
                end, turn, caller_end = item
                self._invoke(end, turn, caller_end)
        if self.active and self._playing is None and not self._queue and self._action_at is None:
            self._set_state(CallState.LISTENING)

    def _play(self, utt: Utterance) -> None:
        self._playing = _Playing(utt, self.clock.now())
        self._set_state(CallState.ENDING if utt.kind == "goodbye" else CallState.AGENT_SPEAKING)
        self.voice.play(utt)

    def _finish_playing(self, end: float, cut_short: bool) -> None:
        p = self._playing
        assert p is not None
        self._playing = None
        start = p.started if p.started is not None else p.requested
        self._last_activity = max(self._last_activity, end)
        cfg_version = self.store.version
        if p.utt.kind == "goodbye":
            self._goodbye_end = end
            since = start - self._action_at if self._action_at is not None else 0.0
            self._emit(
                ev.Goodbye(
                    t=start,
                    config_version=cfg_version,
                    text=p.utt.text,
                    source=self._goodbye_source,
                    detail=self._goodbye_detail,
                    start=start,
                    end=end,
                    cut_short=cut_short,
                    generation_ms=self._goodbye_ms,
                    since_action_s=since,
                )
            )
        else:
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
                )
            )

    def _after_playing(self) -> None:
        if self._goodbye_end is not None and self._drop_at is None:
            guard = self.store.current.agent.turn_taking.drop_guard_ms / 1000.0
            self._drop_at = self._goodbye_end + guard
            self._drop_detail = f"guard {guard:g} s"
            if guard <= 0:
                self._drop(ev.END_CALL_ACTION, self._drop_detail, self._drop_at)
            return
        self._advance()

    def _cut(self, t: float) -> None:
        """Stop whatever the agent is saying, at `t`."""
        p = self._playing
        if p is None:
            return
        self.voice.stop(p.utt.id)
        self._finish_playing(max(t, p.started or p.requested), cut_short=True)

    def _barge_in(self, t: float) -> None:
        """The caller spoke (from t on) over the agent. The cut happens now: audio played
        between t and now was heard, and the timeline must say so."""
        p = self._playing
        if p is None:
            return
        t = max(t, self.clock.now())
        tt = self.store.current.agent.turn_taking
        if p.utt.kind == "speech" and tt.barge_in:
            self._cut(t)
            self._queue = deque(item for item in self._queue if item[0] != "speech")
            self._advance()
        elif p.utt.kind == "goodbye" and tt.barge_in_cuts_goodbye:
            self._cut(t)
            self._after_playing()

    # -- the End Call action -------------------------------------------------------------
    _goodbye_source = ""
    _goodbye_detail = ""
    _goodbye_ms = 0.0

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
        now = self.clock.now()
        self._action_at = now
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
        self._queue.clear()
        self._pending.clear()
        self._cut(now)
        if skip:
            self._drop(ev.END_CALL_ACTION, "skip goodbye is on: dropped at the action", now)
            return
        if hasattr(self.agent, "begin_goodbye"):
            self._awaiting_goodbye = True
            self._set_state(CallState.ENDING)
            self._begin(
                "goodbye", lambda c, sink: self.agent.begin_goodbye(c, end, sink), turn, caller_end
            )
            return
        t0 = time.perf_counter()
        try:
            goodbye = self.agent.goodbye(cfg, end)
        except Exception as exc:
            self.fault("agent", f"goodbye generation failed: {exc!r}")
            goodbye = None
        self._goodbye_ms = (time.perf_counter() - t0) * 1000.0
        if goodbye is None or not goodbye.text.strip():
            self._notice("warning", "agent", "the goodbye came out empty: nothing was said")
            self._goodbye_end = now
            self._after_playing()
            return
        self._goodbye_source, self._goodbye_detail = goodbye.source, goodbye.detail
        self._enqueue_speech(goodbye.text, "goodbye", end.why)
        self._advance()

    def _drop(self, reason: str, detail: str, t: float | None = None) -> None:
        if not self.active:
            return
        now = self.clock.now() if t is None else t
        self._cut(now)
        self._queue.clear()
        self._pending.clear()
        self.drop_reason = reason
        since_action = None if self._action_at is None else now - self._action_at
        since_goodbye = None if self._goodbye_end is None else now - self._goodbye_end
        self._emit(
            ev.LineDropped(
                t=now,
                config_version=self.store.version,
                reason=reason,
                detail=detail,
                since_action_s=since_action,
                since_goodbye_end_s=since_goodbye,
            )
        )
        self._set_state(CallState.DROPPED)
        self.voice.line_dropped()


def _with_seq(event: ev.Event, seq: int) -> ev.Event:
    return dataclasses.replace(event, seq=seq)
