"""A live call: engine, audio, recognition, synthesis, recording and session, wired.

Every part that can be missing degrades to a mode that still works, and says so on the
timeline: no audio device -> typed input with simulated speech timing; no speech model
-> the agent is heard but the caller types; no TTS engine -> agent lines timed, not
spoken. This is the object the terminal `call` command, the audio scenario runner and
the GUI all drive; it imports no Qt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.agent.offline import OfflineAgent
from console.audio.envelope import Envelope
from console.audio.io import BLOCK
from console.core import events as ev
from console.core.agent_port import Agent
from console.core.clock import MonotonicClock
from console.core.config import CallConfig, ConfigStore, EditResult
from console.core.engine import CallEngine
from console.core.host import CallHost
from console.core.text_voice import SimulatedVoice
from console.session.layout import RECORDING_FILE
from console.session.writer import SessionWriter, new_session_dir
from console.speech.models import LoadedModel


@dataclass
class LiveOptions:
    input_device: str | None = None
    output_device: str | None = None
    rate: int = 16000
    block: int = BLOCK  # frames per audio callback (console/audio/io.py)
    model_path: str | None = None
    text_only: bool = False  # no audio at all: typed input, simulated speech timing
    recognise: bool = True  # False: audio plays and records, the caller's turns are typed
    sessions_dir: Path | None = None
    name: str = "call"


class LiveCall:
    def __init__(
        self,
        store: ConfigStore,
        options: LiveOptions | None = None,
        agent: Agent | None = None,
        listeners: list[Callable[[ev.Event], None]] | None = None,
        on_partial: Callable[[str], None] | None = None,
        on_level: Callable[[float], None] | None = None,
        model: LoadedModel | None = None,
        transcript: Callable[[str], str] | None = None,
        hear: Callable[[tuple[Any, ...]], str] | None = None,
    ) -> None:
        self.store = store
        self.options = options or LiveOptions()
        self.agent = agent or OfflineAgent()
        self.listeners = list(listeners or [])
        self.on_partial = on_partial
        self.on_level = on_level
        self.model: LoadedModel | None = model  # the window preloads it; else loaded here
        # Replaces what vosk heard, keeping vosk's timing (benchmarks with a model that
        # cannot understand the caller's language).
        self.transcript = transcript
        # What the end-of-turn rule reads from the words so far (StreamingRecognizer's
        # `hear`): the benchmark gives it the script's words, aligned by time.
        self.hear = hear
        self.mode = "text"
        self.notices: list[tuple[str, str]] = []  # (source, message) met while starting
        self.session_dir: Path | None = None
        self.io: Any = None
        self.pump: Any = None
        self.synth: Any = None
        self.recognizer: Any = None
        self.clock: Any = None
        self.host: CallHost | None = None
        self.engine: CallEngine | None = None
        self.writer: SessionWriter | None = None
        self.devices: dict[str, str] = {}
        self.models: dict[str, str] = {}
        self._closed = False
        self.close_problems: list[str] = []  # what could not be written at the end
        self._muted = False
        self._lost_voice: SimulatedVoice | None = None  # the stand-in once a device is lost

    # -- starting ------------------------------------------------------------------------
    def start(self) -> None:
        opts = self.options
        if not opts.text_only:
            self._open_audio()
        if self.io is not None:
            from console.audio.clock import SampleClock

            self.clock = SampleClock(opts.rate)
        else:
            self.clock = MonotonicClock()
            if self.store.current.voicemail.detect:
                self.notices.append(
                    (
                        "voicemail",
                        "voicemail detection listens to the microphone: with typed input no "
                        "verdict comes, and the held opening plays when the hold expires",
                    )
                )
        self.host = CallHost(self.clock)
        self.models.update(self.agent.describe())  # e.g. a model's URL and name, never a key
        if opts.sessions_dir is not None:
            try:
                self.session_dir = new_session_dir(opts.sessions_dir, opts.name)
                self.writer = SessionWriter(
                    self.session_dir,
                    self.store,
                    {"name": opts.name, "clock": "samples" if self.io else "monotonic"},
                    on_error=self._disk_problem,
                )
            except OSError as exc:  # WriteFailed among them: the folder is full or read-only
                self.session_dir, self.writer = None, None
                self.notices.append(("session", f"{exc}: this call is not saved; it goes on"))
        voice: Any
        if self.io is not None and self.synth is not None:
            from console.live.voice import AudioVoice

            voice = AudioVoice(self.synth, self.io.player, self.host, self.store)
        else:
            voice = SimulatedVoice(self.host, lambda: self.engine)  # type: ignore[arg-type,return-value]
        listeners = [*([self.writer] if self.writer else []), self._on_event, *self.listeners]
        self.engine = CallEngine(self.store, self.agent, self.clock, voice, listeners)
        host = self.host
        # An agent that answers from its own threads (a language model) reports here.
        self.engine.post = lambda fn: host.submit(lambda _engine: fn())

        if self.io is not None:
            self._start_audio()
        self.host.start(self.engine)
        devices, models, mode = dict(self.devices), dict(self.models), self.mode
        self.host.submit(lambda e: e.place_call(mode=mode, devices=devices, models=models))
        for source, message in self.notices:
            self.host.submit(lambda e, s=source, m=message: e.fault(s, m))

    def _open_audio(self) -> None:
        from console.audio.devices import AudioUnavailable

        opts = self.options
        try:
            from console.audio.io import AudioIO

            self.io = AudioIO(opts.input_device, opts.output_device, opts.rate, opts.block)
        except AudioUnavailable as exc:
            self.notices.append(("audio", f"{exc} The call runs with typed input."))
            return
        self.devices = {"input": self.io.input.label, "output": self.io.output.label}
        try:
            from console.speech.synth import SpeechUnavailable, Synthesizer

            self.synth = Synthesizer(opts.rate)
            self.models["tts"] = self.synth.engine_name
            config = self.store.current
            lines = [] if config.end_call.skip_goodbye else self.agent.prepared_lines(config)
            if lines:
                self.synth.prepare(lines, config.agent.voice.name, config.agent.voice.rate_wpm)
        except SpeechUnavailable as exc:
            self.notices.append(("speech", f"{exc}; agent lines are timed but not spoken"))
            self.synth = None
        self.mode = "audio" if self.synth else "audio (agent not spoken)"
        if opts.recognise:
            self._load_model()
        else:
            self.mode += ", caller turns from the script"

    def _load_model(self) -> None:
        from console.speech.models import ModelError, load_model

        try:
            if self.model is None:
                self.model = load_model(
                    self.options.model_path, self.store.current.speech.model_path
                )
            self.models["stt"] = self.model.label()
        except ModelError as exc:
            self.notices.append(("speech", str(exc)))
            self.mode += ", typed caller"
            self.model = None

    def _start_audio(self) -> None:
        from console.audio.devices import AudioUnavailable
        from console.audio.recorder import CallRecorder
        from console.live.pump import AudioPump

        assert self.io is not None and self.host is not None
        self.pump = AudioPump(self.io, self.clock, self.host, self.on_level)
        self.pump.muted = self._muted
        self.pump.on_lost = self._audio_lost
        self._enable_processing()
        voicemail = self.store.current.voicemail
        if voicemail.detect:
            from console.audio.amd.detector import AnsweredByDetector, DetectorSettings

            settings = DetectorSettings.from_config(voicemail, rate=self.io.rate)
            self.pump.answered_by = AnsweredByDetector(settings)
        try:
            self.io.start()
        except AudioUnavailable as exc:
            self.notices.append(("audio", str(exc)))
        self.pump.start()
        if not self.pump.begin_call():
            self.notices.append(("audio", "the microphone delivered no audio to start on"))
            self.clock.start_at(0)
        if self.session_dir is not None:
            from console.audio.recorder import PROCESSED_FILE

            processed = self.session_dir / PROCESSED_FILE if self.pump.processor else None
            try:
                self.pump.recorder = CallRecorder(
                    self.session_dir / RECORDING_FILE,
                    self.io.rate,
                    processed_path=processed,
                    on_error=self._disk_problem,
                )
            except OSError as exc:
                self.notices.append(("session", f"{exc}: the recording is not saved"))
        if self.model is not None:
            from console.speech.recognizer import StreamingRecognizer

            host = self.host
            endpoint = self.store.current.agent.turn_taking.endpoint_silence_ms / 1000.0

            detector = self.pump.answered_by

            def final(r) -> None:
                text = self.transcript(r.text) if self.transcript else r.text
                if detector is not None:
                    detector.post_words(text, final=True)
                ended = r.ended.fields() if r.ended else {}  # which rule ended the turn
                host.submit(lambda e: e.caller_utterance(text, r.start, r.end, **ended))

            def partial(text: str, start: float) -> None:
                if detector is not None:
                    detector.post_words(text, final=False)
                host.submit(lambda e: e.caller_speech_started(start))
                if self.on_partial is not None:
                    self.on_partial(text)

            from console.speech.end_of_turn import rule_for

            store = self.store  # the rule in force at each utterance (mid-call edits apply)
            self.recognizer = StreamingRecognizer(
                self.model.model,
                self.io.rate,
                endpoint,
                final,
                partial,
                end_of_turn=lambda: rule_for(store.current.agent.turn_taking),
                hear=self.hear,
            )
            self.models["vad"] = self.recognizer.vad_label  # whether Silero ran, in session
            self.pump.recognizer = self.recognizer

    def _enable_processing(self) -> None:
        """Echo cancellation and noise suppression on the microphone, as the config's
        `audio` section says (mid-call edits apply at the next block); what runs is named
        among the call's models, so session.json and the report say it."""
        from console.audio.echo import ProcessingSettings, engine_label

        store = self.store
        problem = self.pump.enable_processing(lambda: ProcessingSettings.of(store.current.audio))
        settings = ProcessingSettings.of(store.current.audio)
        if problem:
            if settings.active:
                self.notices.append(("audio", f"{problem}; the microphone is not processed"))
            return
        self.models["audio_processing"] = f"{engine_label()}: {settings.describe()}"

    def _disk_problem(self, message: str) -> None:
        """A session file or the recording could not be written (a full disk): a timeline
        error a person can act on; the call itself never depends on the disk."""
        host = self.host
        if host is not None:
            host.submit(lambda e: e.fault("session", message, level="error"))

    def _audio_lost(self, message: str) -> None:
        """A device stopped mid-call (pump thread): from now on the agent's lines are
        timed text, so a call configured to go on (on_error: continue) really does."""
        host, engine = self.host, self.engine
        assert host is not None and engine is not None
        if self._lost_voice is None:  # input and output usually both report the loss
            self.mode = "text (audio lost)"
            self._lost_voice = SimulatedVoice(host, lambda: engine)
        voice = self._lost_voice
        host.submit(lambda e: e.voice_lost(voice, message))

    # -- the tester ----------------------------------------------------------------------
    def say(self, text: str, start: float | None = None, end: float | None = None) -> None:
        """Typed caller input (or the script's text in transcript mode)."""
        assert self.host is not None

        def typed(e: CallEngine) -> None:
            now = e.clock.now()
            s = now if start is None else start
            e.caller_speech_started(s)
            e.caller_utterance(text, s, now if end is None else end)

        self.host.submit(typed)

    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, value: bool) -> None:
        """A muted microphone: the line hears (and records) silence from the caller."""
        self._muted = value
        if self.pump is not None:
            self.pump.muted = value

    def speech_started(self) -> None:
        """The caller started speaking now (barge-in), when no recogniser says so."""
        if self.host is not None:
            self.host.submit(lambda e: e.caller_speech_started())

    def hang_up(self) -> None:
        """The caller hangs up (a script's hang_up step)."""
        if self.host is not None:
            self.host.submit(lambda e: e.hang_up())

    def tester_hang_up(self) -> None:
        """The person at the console hangs up (Hang up, Ctrl+C, closing the window)."""
        if self.host is not None:
            self.host.submit(lambda e: e.hang_up(by_tester=True))

    def edit(self, changes: dict[str, Any]) -> Future[EditResult]:
        """Submit a config edit to the engine's thread; never waits. What became of it is
        on the timeline (a config change, or a notice saying why it was refused) and in
        the returned future."""
        assert self.host is not None
        done: Future[EditResult] = Future()
        self.host.submit(lambda e: done.set_result(e.edit_config(changes)))
        return done

    def replace(self, config: CallConfig) -> Future[EditResult]:
        """Put a whole config in force mid-call (undo, loading a file); never waits."""
        assert self.host is not None
        done: Future[EditResult] = Future()
        self.host.submit(lambda e: done.set_result(e.replace_config(config)))
        return done

    def now(self) -> float:
        """Session time now, from any thread (the clocks are safe to read)."""
        return self.clock.now() if self.clock is not None else 0.0

    def live_waveforms(self) -> dict[str, Envelope]:
        """The caller's and the agent's audio recorded so far, as envelopes to draw (any
        thread; empty in a typed call). They trail the call by the recorder's hold."""
        recorder = self.pump.recorder if self.pump is not None else None
        return recorder.waveforms.snapshot() if recorder is not None else {}

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the line to drop and the recording to be complete."""
        assert self.host is not None
        if not self.host.wait_dropped(timeout):
            return False
        if self.pump is not None:
            self.pump.finished.wait(5.0)
        return True

    # -- ending --------------------------------------------------------------------------
    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.LineDropped) and self.pump is not None:
            self.pump.end_at(event.t)

    def close(self) -> None:
        """Hang up if needed and release devices, threads and files. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self.host is not None and self.engine is not None and not self.host.dropped.is_set():
            self.tester_hang_up()
            self.host.wait_dropped(3.0)
        if self.pump is not None:
            self.pump.finished.wait(3.0)
            self.pump.stop()
        if self.recognizer is not None:
            # Words still pending (the caller talking over the goodbye) become a last
            # utterance; the engine keeps it if it began before the drop.
            self.recognizer.close(flush=True)
        if self.io is not None:
            self.io.close()
        if self.synth is not None:
            self.synth.close()
        if self.host is not None:
            self.host.stop()
        self._measure_goodbye()
        if self.writer is not None:
            extra: dict[str, Any] = {"mode": self.mode}
            if self.io is not None:
                extra.update(
                    recording=RECORDING_FILE,
                    sample_rate=self.io.rate,
                    input_overflows=self.io.overflows,
                    output_underflows=self.io.underflows,
                )
            if self.pump is not None and self.pump.processor is not None:
                from console.audio.recorder import PROCESSED_FILE

                extra["audio_processing"] = self.pump.processor.summary()
                if self.session_dir is not None:
                    extra["processed_recording"] = PROCESSED_FILE
            self.close_problems += self.writer.close(**extra)

    def _measure_goodbye(self) -> None:
        """After the recording is complete: did the goodbye play to its end? The verdict
        joins the timeline (and the session) as one more event."""
        if self.engine is None or self.session_dir is None or self.io is None:
            return
        events = self.engine.events
        goodbye = next((e for e in events if isinstance(e, ev.Goodbye)), None)
        drop = next((e for e in events if isinstance(e, ev.LineDropped)), None)
        path = self.session_dir / RECORDING_FILE
        if goodbye is None or drop is None or not path.exists():
            return
        try:
            import soundfile as sf

            from console.audio.audibility import goodbye_audibility

            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
            verdict = goodbye_audibility(
                data[:, 1] if data.shape[1] > 1 else data[:, 0],  # the agent's channel
                rate,
                goodbye.start,
                goodbye.end,
                drop.t,
                goodbye.planned_s,
                goodbye.cut_short,
            )
        except Exception as exc:  # a damaged recording: say so, never fail the close
            self.notices.append(("audio", f"the goodbye could not be measured: {exc}"))
            return
        event = ev.GoodbyeAudibility(
            t=drop.t,
            config_version=drop.config_version,
            seq=max(e.seq for e in events) + 1,
            audible_to_end=verdict.audible_to_end,
            sound_end=verdict.sound_end,
            drop=verdict.drop,
            margin_s=verdict.margin_s,
            missing_s=verdict.missing_s,
            verdict=verdict.verdict,
        )
        events.append(event)
        for listener in [*([self.writer] if self.writer else []), *self.listeners]:
            with contextlib.suppress(Exception):
                listener(event)

    def __enter__(self) -> LiveCall:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.close()
