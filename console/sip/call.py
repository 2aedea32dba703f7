"""A call to a remote agent over SIP, wired to the console's session, recorder,
recogniser and synthesiser: the same evidence as a local call, from the outside.

What happens on the line becomes timeline rows: every SIP message (`SipEvent`), the
agent's speech as vosk heard it (`AgentSpeech`, timed by the audio's energy), the
caller's lines (`CallerSpeech`: typed lines timed by the samples that went out; the
tester's microphone recognised by a second vosk recogniser on the caller channel, its
turns ended by the end-of-turn rule as on a local call), warnings
(`Notice`), the drop (`LineDropped`: `agent_hung_up` for the agent's BYE) and, at the
drop, the far-end verdict (`FarEndVerdict`: the agent's last utterance, the gap from its
last sound to the BYE, whether the BYE cut it off, and "said goodbye but never hung up"
when a farewell was followed by `farewell_wait_s` of nothing).

The remote agent's End Call settings are not the console's to edit: a SIP call has no
config editor, and the session records the line (URI, codecs), never the password.

Threads: the line's pump thread delivers audio and the end; vosk's thread delivers
recognised speech; the stack's threads deliver SIP messages. Rows are stamped with the
line's clock and emitted under one lock, in order, to the listeners (the session
writer first).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from console.audio.envelope import Envelope
from console.core import events as ev
from console.core.config import CallConfig, ConfigStore, EditResult, FieldProblem
from console.session.layout import RECORDING_FILE
from console.session.writer import SessionWriter, new_session_dir
from console.sip.account import SipAccount
from console.sip.analysis import Stretch, VoiceTrack, cut_verdict, is_farewell
from console.sip.line import LineEnd, LineOptions, SipLine, SipLineError
from console.sip.recording import LineRecorder
from console.sip.trace import SipMessage

BACKEND = "remote SIP"  # "connected (remote SIP agent, ...)" on the timeline
# Why the console hung up -> the drop reason on the timeline.
HANGUP_REASONS = {
    "tester": ev.TESTER_HUNG_UP,
    "caller": ev.CALLER_HUNG_UP,
    "timeout": ev.TIMEOUT,
    "error": ev.ERROR,
}


@dataclass
class SipCallOptions:
    sessions_dir: Path | None = None
    name: str = "sip call"
    model: Any = None  # a LoadedModel the caller loaded already
    model_path: str | None = None
    recognise: bool = True  # vosk on the agent's audio (False: rows timed, no words)
    speak: bool = True  # pyttsx3 for the caller's typed or scripted lines
    voice: str = ""
    wpm: int = 170
    utterance_gap_s: float = 0.5  # the agent's quiet that ends one of its utterances
    farewell_wait_s: float = 5.0  # a farewell, then no BYE this long: "never hung up"
    max_call_s: float | None = None  # the console hangs up (reason timeout)
    # Devices as `console.audio.devices.resolve` reads them ("" is the default device).
    output_device: str | None = None  # play the agent here (None: not played)
    input_device: str | None = None  # send this microphone (None: typed/scripted lines)
    line: LineOptions = field(default_factory=LineOptions)
    # The agent's platform config, where the tester imported it: shown read-only and
    # saved with the session (which agent was called); never edited from here.
    config: CallConfig | None = None
    # Replaces what vosk heard with known words, keeping vosk's timing (tests and
    # benchmarks with a model that cannot understand the agent's language): (n, heard).
    agent_transcript: Callable[[int, str], str] | None = None


class SipCall:
    """Place with `start()`; `say()` lines, `send_dtmf()`, `hang_up()`; `wait()` for the
    drop; `close()` releases everything. `events` holds the timeline so far."""

    def __init__(
        self,
        account: SipAccount,
        options: SipCallOptions | None = None,
        listeners: list[Callable[[ev.Event], None]] | None = None,
    ) -> None:
        self.account = account
        self.options = options or SipCallOptions()
        self.listeners = list(listeners or [])
        self.store = ConfigStore(self.options.config or CallConfig())
        self.events: list[ev.Event] = []
        self.session_dir: Path | None = None
        self.writer: SessionWriter | None = None
        self.recorder: LineRecorder | None = None
        self.recognizer: Any = None
        self.caller_recognizer: Any = None  # the microphone's words, when one is used
        self._caller_fed = 0  # caller-channel samples the caller recogniser has heard
        self._model: Any = None
        self.synth: Any = None
        self.local: Any = None
        self.line: SipLine | None = None
        self.models: dict[str, str] = {}
        self.devices: dict[str, str] = {}
        self.mode = "sip"
        self.editable = False  # the remote agent's End Call fields are not the console's
        self.dropped = threading.Event()
        self.drop: ev.LineDropped | None = None
        self.verdict: ev.FarEndVerdict | None = None
        self._emit_lock = threading.RLock()
        self._track_lock = threading.Lock()
        self._seq = 0
        self._turn = 0
        self._agent_rows: list[ev.AgentSpeech] = []
        self._utterances = 0
        self._hangup_why = ""
        self._farewell_end: float | None = None
        self._farewell_text = ""
        self._farewell_reported = False
        self._never_hung_up = False
        self._final_rows: list[ev.AgentSpeech] | None = None  # collected while flushing
        self._last_word_end: float | None = None  # where vosk says the agent's last word ended
        self._codecs: dict[str, str] = {}
        self._caller_ends: list[float] = []  # when each caller line ended
        self._muted = False
        self._closed = False
        self._monitor: threading.Thread | None = None
        rate = self.options.line.rate
        self.track = VoiceTrack(rate, self.options.utterance_gap_s, self._on_utterance)

    # -- the clock and the rows ----------------------------------------------------------
    def now(self) -> float:
        return self.line.now() if self.line is not None else 0.0

    def _emit(self, event: ev.Event) -> None:
        with self._emit_lock:
            if self.drop is not None and not isinstance(event, ev.FarEndVerdict):
                return  # after the drop nothing more is logged (invariant 6)
            self._seq += 1
            import dataclasses

            event = dataclasses.replace(event, seq=self._seq)
            self.events.append(event)
            for listener in self.listeners:
                with contextlib.suppress(Exception):  # a broken listener never breaks a call
                    listener(event)

    def notice(self, level: str, message: str, source: str = "sip") -> None:
        self._emit(
            ev.Notice(t=self.now(), config_version=1, level=level, source=source, message=message)
        )

    def _sip(self, message: str, direction: str = "", status: int | None = None, detail=""):
        self._emit(
            ev.SipEvent(
                t=self.now(),
                config_version=1,
                message=message,
                direction=direction,
                status=status,
                detail=detail,
            )
        )

    # -- starting ------------------------------------------------------------------------
    def start(self) -> None:
        """Open the session, the speech parts and the line, and dial. Never raises for
        the call itself: a call that cannot be placed is a notice and a drop (reason
        `error`) on the timeline, and `dropped` is set."""
        opts = self.options
        notices: list[tuple[str, str]] = []
        if opts.sessions_dir is not None:
            self.session_dir = new_session_dir(opts.sessions_dir, opts.name)
            meta = {"name": opts.name, "clock": "samples (SIP line)", **self.account.describe()}
            self.writer = SessionWriter(self.session_dir, self.store, meta)
            self.listeners.insert(0, self.writer)
            self.recorder = LineRecorder(self.session_dir / RECORDING_FILE, opts.line.rate)
        if opts.speak:
            try:
                from console.speech.synth import SpeechUnavailable, Synthesizer

                self.synth = Synthesizer(opts.line.rate)
                self.models["tts"] = self.synth.engine_name
            except SpeechUnavailable as exc:
                notices.append(("speech", f"{exc}; the caller's lines cannot be spoken"))
        if opts.recognise:
            self._start_recognizer(notices)
        if opts.output_device is not None or opts.input_device is not None:
            self._start_local_audio(notices)
        if self._model is not None and self.local is not None and "input" in self.local.labels:
            self._start_caller_recognizer()
        self.mode = "sip" + ("" if self.recognizer else ", agent words not recognised")
        self.line = SipLine(self.account, self, opts.line)
        if self.local is not None and opts.input_device is not None:
            self.local.on_input = self.microphone
        self._emit(
            ev.CallStarted(
                t=0.0,
                config_version=1,
                agent_backend=BACKEND,
                mode=self.mode,
                devices={"line": self.account.uri, **self.devices},
                models=dict(self.models),
            )
        )
        for source, message in notices:
            self.notice("warning", message, source)
        try:
            self.line.dial()
        except SipLineError as exc:
            self.notice("error", str(exc))
            self._drop(ev.ERROR, str(exc), 0)
            return
        self._monitor = threading.Thread(target=self._watch, name="sip-watch", daemon=True)
        self._monitor.start()

    def _start_recognizer(self, notices: list[tuple[str, str]]) -> None:
        from console.speech.models import ModelError, load_model
        from console.speech.recognizer import StreamingRecognizer

        model = self.options.model
        if model is None:
            try:
                model = load_model(self.options.model_path)
            except ModelError as exc:
                notices.append(("speech", f"{exc}; the agent's speech is timed, not recognised"))
                return
        self.models["stt"] = model.label()
        self._model = model
        self.recognizer = StreamingRecognizer(
            model.model, self.options.line.rate, self.options.utterance_gap_s, self._on_final
        )

    def _start_caller_recognizer(self) -> None:
        """The tester's microphone, recognised as on a local call: the caller's turns are
        rows, ended by the end-of-turn rule in force (`turn_taking`)."""
        from console.speech.end_of_turn import rule_for
        from console.speech.recognizer import StreamingRecognizer

        turn_taking = self.store.current.agent.turn_taking
        self.caller_recognizer = StreamingRecognizer(
            self._model.model,
            self.options.line.rate,
            turn_taking.endpoint_silence_ms / 1000.0,
            self._on_caller_final,
            end_of_turn=lambda: rule_for(self.store.current.agent.turn_taking),
        )
        self.models["vad"] = self.caller_recognizer.vad_label

    def _start_local_audio(self, notices: list[tuple[str, str]]) -> None:
        from console.sip.local_audio import LocalAudio, LocalAudioUnavailable

        try:
            self.local = LocalAudio(
                self.options.output_device, self.options.input_device, self.options.line.rate
            )
            self.devices.update(self.local.labels)
        except LocalAudioUnavailable as exc:
            notices.append(("audio", f"{exc}; the call goes on without it"))

    # -- the tester ----------------------------------------------------------------------
    def say(self, text: str) -> Future[tuple[float, float]]:
        """Speak a caller line into the call (pyttsx3); the future gets its (start, end)
        on the session clock once it has all gone out, and its row is on the timeline."""
        done: Future[tuple[float, float]] = Future()
        if self.synth is None or self.line is None or self.dropped.is_set():
            done.set_exception(RuntimeError("the caller's lines cannot be spoken on this call"))
            return done
        future = self.synth.render(text, self.options.voice, self.options.wpm)

        def rendered(f: Future) -> None:
            if f.exception() is not None:
                self.notice("warning", f"speech synthesis failed: {f.exception()}", "speech")
                done.set_exception(f.exception())  # type: ignore[arg-type]
                return
            assert self.line is not None
            self.line.send(f.result(), lambda a, b: self._caller_line(text, a, b, done))

        future.add_done_callback(rendered)
        return done

    def _caller_line(self, text: str, first: int, end: int, done: Future) -> None:
        rate = self.options.line.rate
        start_t, end_t = first / rate, end / rate
        self._caller_row(text, start_t, end_t)
        done.set_result((start_t, end_t))

    def _caller_row(self, text: str, start: float, end: float, **fields: Any) -> None:
        """One caller turn (a typed line, or what the microphone said) on the timeline."""
        with self._emit_lock:  # the pump thread and the caller's vosk thread both count
            if self.drop is not None:
                return
            self._turn += 1
            self._caller_ends.append(end)
            self._emit(
                ev.CallerSpeech(
                    t=start,
                    config_version=1,
                    text=text,
                    start=start,
                    end=end,
                    turn=self._turn,
                    **fields,
                )
            )

    def _on_caller_final(self, r: Any) -> None:
        """The caller's recogniser finished an utterance (its thread)."""
        ended = r.ended.fields() if r.ended is not None else {}
        self._caller_row(r.text, r.start, r.end, heard_at=self.now(), **ended)

    @property
    def turn(self) -> int:
        return self._turn

    def microphone(self, samples: np.ndarray) -> None:
        """The tester's microphone (its callback): sent unless muted; muted, the agent
        hears silence and the caller channel records it."""
        if not self._muted and self.line is not None:
            self.line.feed_live(samples)

    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self._muted = bool(value)

    def edit(self, changes: dict[str, Any]) -> Future[EditResult]:
        """A remote agent's End Call settings are not the console's: every edit is
        refused (the same call shape as a local call's, so a window can hold either)."""
        return _refused()

    def replace(self, config: CallConfig) -> Future[EditResult]:
        return _refused()

    def send_dtmf(self, digits: str) -> None:
        if self.line is None:
            return
        try:
            self.line.send_dtmf(digits)
        except (SipLineError, ValueError) as exc:
            self.notice("warning", f"DTMF {digits!r} not sent: {exc}")

    def hang_up(self, by: str = "caller") -> None:
        """The console hangs up: `by` is "tester" (a person), "caller" (a script's
        step), "timeout" or "error"; it becomes the drop reason."""
        if self.line is None or self.dropped.is_set():
            return
        if not self._hangup_why:
            self._hangup_why = by
        threading.Thread(target=self.line.hang_up, args=(by,), daemon=True).start()

    def tester_hang_up(self) -> None:
        self.hang_up("tester")

    def live_waveforms(self) -> dict[str, Envelope]:
        """Both channels recorded so far, as envelopes to draw (any thread)."""
        recorder = self.recorder
        return recorder.waveforms.snapshot() if recorder is not None else {}

    def wait(self, timeout: float | None = None) -> bool:
        return self.dropped.wait(timeout)

    # -- the line's listener (pump thread, stack threads) --------------------------------
    def line_message(self, message: SipMessage) -> None:
        # The request URI says where a request went; the addresses (a random local
        # port) add nothing a tester needs.
        self._sip(message.label, message.direction, message.status, message.request_uri)

    def line_state(self, state: str, detail: str) -> None:
        line = self.line
        if state == "connected":
            self._sip("connected", detail=line.codec if line is not None else "")
        elif state == "rtp":
            self._sip("first RTP from the agent", "received")
        elif state == "rtp_missing":
            # Never any audio, or audio that stopped mid-call: one-way audio, either way.
            heard = self.track.received_samples > 0
            since = f"since {self.track.received_end:.2f} s" if heard else "since it answered"
            self._sip("no RTP from the agent", "", detail=f"nothing for {detail} s ({since})")
            stopped = "stopped coming from the agent" if heard else "come from the agent"
            self.notice(
                "warning",
                f"no audio (RTP) has {stopped} for {detail} s: the agent may be speaking and "
                "not heard (one-way audio)",
            )
        elif state == "rtp_resumed":
            self._sip("RTP from the agent again", "received", detail=f"after {detail} s without")
            self.notice(
                "warning",
                f"audio (RTP) from the agent came back after {detail} s without: whatever it "
                "said in that time never arrived",
            )
        elif state == "dtmf_sent":
            self._sip(f"DTMF {detail}", "sent")
        elif state == "dtmf_received":
            self._sip(f"DTMF {detail}", "received")
        elif state == "dtmf_failed":
            self.notice("warning", f"DTMF not sent: {detail}")
        elif state in ("audio_warning", "audio_error"):
            self.notice("warning", detail, "audio")
        elif state.startswith("codec_"):
            direction = state.removeprefix("codec_")
            if self._codecs.get(direction) != detail:
                self._codecs[direction] = detail
                whose = "the agent's audio" if direction == "received" else "the caller's audio"
                self._sip(f"codec of {whose}: {detail}")
        elif state in ("registering", "registered"):
            self._sip(state, "", detail=detail)

    def agent_audio(self, samples: np.ndarray, received: bool) -> None:
        if self.recorder is not None:
            self.recorder.write_agent(samples)
        with self._track_lock:
            self.track.feed(samples, received)
        if self.recognizer is not None:
            self.recognizer.feed(samples)
        if self.local is not None and received:
            self.local.play(samples)
        if self.caller_recognizer is not None and self.line is not None:
            self._hear_caller(self.line.position, np.zeros(0, np.float32))

    def caller_audio(self, index: int, samples: np.ndarray, mic: np.ndarray) -> None:
        if self.recorder is not None:
            self.recorder.put_caller(index, samples)
        if self.caller_recognizer is not None:
            self._hear_caller(index, mic)

    def _hear_caller(self, index: int, mic: np.ndarray) -> None:
        """Feed the caller's recogniser the microphone from session sample `index` on,
        with silence for the time nothing was sent, so its word times are session times
        and a pause ends a turn even when nothing more goes out (pump thread)."""
        rec = self.caller_recognizer
        if index > self._caller_fed:
            rec.feed(np.zeros(index - self._caller_fed, np.float32))
            self._caller_fed = index
        mic = mic[self._caller_fed - index :]
        if len(mic):
            rec.feed(mic)
            self._caller_fed += len(mic)

    def line_ended(self, end: LineEnd) -> None:
        """The pump's last word: flush what vosk holds, judge the end, drop."""
        rate = self.options.line.rate
        if self.caller_recognizer is not None:  # the caller's words still pending
            self.caller_recognizer.close(flush=True)
        if self.recognizer is not None:
            self._final_rows = []
            self.recognizer.close(flush=True)
            rows, self._final_rows = self._final_rows, None
        else:
            rows = self._rows_without_words(end.index / rate)
        # Two checks: speech energy in the last frames, and vosk's own end of the last
        # word (not the row's end, which is snapped to the energy and would only repeat
        # the first check).
        with self._track_lock:
            verdict = cut_verdict(self.track, self._last_word_end)
        cut = verdict.cut and end.by == "agent"
        for row in rows:
            touches_end = row.end >= self.track.received_end - 0.2
            self._agent_row(row.text, Stretch(row.start, row.end), cut and touches_end)
        if end.by == "agent":
            reason, detail = ev.AGENT_HUNG_UP, end.reason
        elif end.by == "console":
            why = self._hangup_why or "tester"
            reason, detail = HANGUP_REASONS.get(why, ev.TESTER_HUNG_UP), end.reason
        else:
            reason, detail = ev.ERROR, end.reason
            self.notice("error", end.reason)
        bye_t = end.index / rate if end.by == "agent" else None
        self._drop(reason, detail, end.index)
        self._judge(end, bye_t, cut, verdict.why)

    # -- the agent's speech --------------------------------------------------------------
    def _on_final(self, r: Any) -> None:
        """vosk finished an utterance (its thread)."""
        with self._track_lock:
            span = self.track.span_of(r.start, r.end)
        self._last_word_end = max(self._last_word_end or 0.0, r.end)  # vosk's, unsnapped
        self._utterances += 1
        text = r.text
        if self.options.agent_transcript is not None:
            text = self.options.agent_transcript(self._utterances, r.text)
        row = ev.AgentSpeech(
            t=span.start,
            config_version=1,
            text=text,
            start=span.start,
            end=span.end,
            utterance_id=self._utterances,
        )
        if self._final_rows is not None:
            self._final_rows.append(row)
            return
        self._agent_row(text, span, False)

    def _on_utterance(self, stretch: Stretch) -> None:
        """An utterance ended by its audio (pump thread): a row when nothing recognises."""
        if self.recognizer is None:
            self._utterances += 1
            text = "[speech]"
            if self.options.agent_transcript is not None:
                text = self.options.agent_transcript(self._utterances, text)
            self._agent_row(text, stretch, False)

    def _rows_without_words(self, end_t: float) -> list[ev.AgentSpeech]:
        """The utterance still open at the end, when there is no recogniser."""
        stretches = self.track.all_stretches()
        last_row_end = max((r.end for r in self._agent_rows), default=-1.0)
        rest = [s for s in stretches if s.start > last_row_end]
        if not rest:
            return []
        self._utterances += 1
        text = "[speech]"
        if self.options.agent_transcript is not None:
            text = self.options.agent_transcript(self._utterances, text)
        return [
            ev.AgentSpeech(
                t=rest[0].start,
                config_version=1,
                text=text,
                start=rest[0].start,
                end=min(rest[-1].end, end_t),
                utterance_id=self._utterances,
            )
        ]

    def _agent_row(self, text: str, span: Stretch, cut: bool) -> None:
        row = ev.AgentSpeech(
            t=span.start,
            config_version=1,
            text=text,
            start=span.start,
            end=span.end,
            cut_short=cut,
            why="heard over SIP",
            utterance_id=self._utterances,
            turn=sum(1 for end in self._caller_ends if end <= span.start + 0.05),
        )
        self._agent_rows.append(row)
        self._emit(row)
        if is_farewell(text):
            self._farewell_end = span.end
            self._farewell_text = text
        else:
            self._farewell_end = None

    # -- the end -------------------------------------------------------------------------
    def _drop(self, reason: str, detail: str, index: int) -> None:
        rate = self.options.line.rate
        if self.recorder is not None:
            self.recorder.end_at(index)
        self._emit(ev.LineDropped(t=index / rate, config_version=1, reason=reason, detail=detail))
        with self._emit_lock:
            self.drop = next(e for e in reversed(self.events) if isinstance(e, ev.LineDropped))

    def _judge(self, end: LineEnd, bye_t: float | None, cut: bool, why: str) -> None:
        last = self._agent_rows[-1] if self._agent_rows else None
        last_sound = self.track.last_voice_end
        gap = None
        if bye_t is not None and last_sound is not None:
            gap = round(max(0.0, bye_t - last_sound), 3)
        verdict = ev.FarEndVerdict(
            t=end.index / self.options.line.rate,
            config_version=1,
            agent_hung_up=end.by == "agent",
            bye_t=bye_t,
            last_utterance=last.text if last is not None else "",
            last_sound_t=last_sound,
            gap_s=gap,
            cut=cut,
            cut_why=why if end.by == "agent" else "",
            farewell=bool(last is not None and is_farewell(last.text)),
            never_hung_up=self._never_hung_up,
            waited_s=self.options.farewell_wait_s if self._never_hung_up else None,
            caller_turn=self._turn,
        )
        self._emit(verdict)
        self.verdict = next(e for e in reversed(self.events) if isinstance(e, ev.FarEndVerdict))
        self.dropped.set()

    def _watch(self) -> None:
        """Farewell without a BYE, and the longest call: checked ten times a second."""
        opts = self.options
        while not self.dropped.wait(0.1):
            now = self.now()
            if opts.max_call_s is not None and now >= opts.max_call_s and not self._hangup_why:
                self.notice("warning", f"the call reached {opts.max_call_s:g} s: hanging up")
                self.hang_up("timeout")
            farewell = self._farewell_end
            if farewell is None or self._farewell_reported:
                continue
            with self._track_lock:
                quiet = not self.track.sound_since(farewell + 0.05)
            if quiet and now - farewell >= opts.farewell_wait_s:
                self._farewell_reported = True
                self._never_hung_up = True
                self.notice(
                    "warning",
                    f"the agent said goodbye ({self._farewell_text!r}) {now - farewell:.1f} s ago "
                    "and has not hung up",
                )

    @property
    def farewell_pending(self) -> bool:
        """The agent's last utterance was a farewell (and it has not hung up yet)."""
        return self._farewell_end is not None

    @property
    def farewell_waited(self) -> bool:
        """A farewell was followed by `farewell_wait_s` of nothing (no BYE, no sound)."""
        return self._never_hung_up

    def close(self) -> None:
        """Hang up if needed; release the line, speech parts and files. Safe twice."""
        if self._closed:
            return
        self._closed = True
        if self.line is not None and not self.dropped.is_set():
            self.hang_up("tester")
            self.dropped.wait(self.options.line.hangup_wait_s + 2.0)
        if self.line is not None:
            self.line.close()
        if self.recognizer is not None and not self.dropped.is_set():
            self.recognizer.close()
        if self.caller_recognizer is not None and not self.dropped.is_set():
            self.caller_recognizer.close()
        if self.synth is not None:
            self.synth.close()
        if self.local is not None:
            self.local.close()
        if self.recorder is not None:
            self.recorder.close()
        if self.writer is not None:
            extra: dict[str, Any] = {"mode": self.mode}
            if self.recorder is not None:
                extra.update(recording=RECORDING_FILE, sample_rate=self.options.line.rate)
            if self.line is not None:
                extra.update(
                    sip_codec=self.line.codec,
                    sip_tx_dropped_bytes=self.line.tx_dropped_bytes,
                    sip_pump_max_stall_s=round(self.line.max_stall_s, 3),
                )
            with contextlib.suppress(Exception):
                self.writer.close(**extra)

    def __enter__(self) -> SipCall:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.close()


REMOTE_NOT_EDITABLE = (
    "this call dials a remote agent over SIP: its End Call settings are on its platform "
    "and cannot be edited from the console"
)


def _refused() -> Future[EditResult]:
    done: Future[EditResult] = Future()
    done.set_result(
        EditResult(accepted=False, version=1, problems=[FieldProblem("", REMOTE_NOT_EDITABLE)])
    )
    return done


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.01) -> bool:
    """Poll `predicate` until true or `timeout` (for drivers waiting on the far end)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
