"""One SIP call's line: dial, the audio both ways as numpy blocks, and how it ended.

The clock. Session time is the sample index of the agent's audio at the console's rate
(16 kHz), as on a local call it is the recording's sample index. The agent's audio comes
over RTP only while the far end sends it (nothing while it rings, nothing when RTP
stops), so the pump thread fills silence whenever the received audio falls behind wall
time by more than `fill_slack_s`: the stream of agent samples, received or filled, never
stops, each sample is one recording sample, and every event is stamped with the stream's
position. Filled samples are marked as such (`received=False`), so they never count as
the agent's sound.

The caller's audio (a synthesised line, the microphone, or both mixed: a tester may
type a line while the microphone is on) is written to the stack a little ahead of need
(`tx_ahead_s`), and its position on the session clock is where it goes out: the stream
position when written plus what was still queued before it.

Everything the line reports goes to a `LineListener`, on the pump thread (audio, the
end) or the stack's threads (SIP messages, states); the listener stamps them with
`now()`.
"""

from __future__ import annotations

import contextlib
import errno
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from console.sip.account import SipAccount
from console.sip.resample import StreamResampler, to_mono, to_pcm
from console.sip.stack import SipUnavailable, StackSettings, get_stack
from console.sip.trace import SipMessage, listen

SESSION_RATE = 16000


@dataclass
class LineOptions:
    rate: int = SESSION_RATE
    tick_s: float = 0.01
    fill_slack_s: float = 0.1  # received audio may lag wall time this much before filling
    # Caller audio handed to the stack ahead of its sending: enough to ride out a stall of
    # the pump thread on a busy machine without a gap on the line.
    tx_ahead_s: float = 0.15
    no_answer_s: float = 8.0  # nothing at all answered the INVITE in this time: unreachable
    ring_timeout_s: float = 60.0  # it answered (100/180/183) but never connected
    no_rtp_s: float = 2.0  # connected, and no audio from the agent for this long: a row
    rtp_timeout_s: int = 0  # the stack itself ends a call without RTP this long (0: never)
    hangup_wait_s: float = 3.0  # after our BYE/CANCEL, how long to wait for the stack


@dataclass(frozen=True)
class LineEnd:
    """How the line ended."""

    by: str  # "agent" (BYE), "console" (we hung up), "refused" (4xx-6xx), "error"
    reason: str  # in words, for a person
    status: int | None = None  # the SIP status of a refusal
    established: bool = False
    index: int = 0  # session sample of the end


class LineListener(Protocol):
    def line_message(self, message: SipMessage) -> None: ...

    def line_state(self, state: str, detail: str) -> None: ...

    def agent_audio(self, samples: np.ndarray, received: bool) -> None: ...

    def caller_audio(self, index: int, samples: np.ndarray, mic: np.ndarray) -> None: ...

    def line_ended(self, end: LineEnd) -> None: ...


class SipLineError(RuntimeError):
    """The call could not be placed; the message says why in words."""


@dataclass
class _Outgoing:
    samples: np.ndarray  # at the session rate
    done: Callable[[int, int], None] | None  # (first, end) session sample indices
    sent: int = 0
    first: int | None = None
    end: int = 0  # session sample after its last sample (where it really went out)


class SipLine:
    """Dial with `dial()`; then `send()` audio, `send_dtmf()`, `hang_up()`; `now()` reads
    the clock from any thread. The listener hears everything."""

    def __init__(
        self, account: SipAccount, listener: LineListener, options: LineOptions | None = None
    ) -> None:
        self.account = account
        self.listener = listener
        self.options = options or LineOptions()
        self.rate = self.options.rate
        self.position = 0  # session samples so far (received + filled)
        self.received = 0  # of which came over RTP
        self.stack: Any = None
        self.call: Any = None
        self.codec = ""  # e.g. "PCMU 8000 Hz" once connected
        self.state = "idle"  # idle, calling, ringing, connected, ended
        self.ended: LineEnd | None = None
        self._t0 = 0.0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._closed_text: str | None = None  # the stack's CALL_CLOSED text
        self._closed_seen = threading.Event()
        self._hangup_asked: str = ""  # why we hung up ("" if we did not)
        self._hangup_at = 0.0
        self._bye_received = False
        self._any_response = False
        self._refusal: SipMessage | None = None
        self._rx_format: tuple[int, int] | None = None
        self._rx_resampler: StreamResampler | None = None
        self._tx_format: tuple[int, int] | None = None
        self._tx_resampler: StreamResampler | None = None
        self._last_rx_at = 0.0
        self._rtp_missing_reported = False
        self._rtp_started = False
        self._outgoing: deque[_Outgoing] = deque()
        self._live_input: deque[np.ndarray] = deque()  # microphone blocks, session rate
        self._lock = threading.Lock()
        self.tx_dropped_bytes = 0
        self.max_stall_s = 0.0  # the pump's longest delay past a tick (a busy machine)

    # -- the clock -----------------------------------------------------------------------
    def now(self) -> float:
        return self.position / self.rate

    # -- placing the call ----------------------------------------------------------------
    def dial(self) -> None:
        """Register if asked, send the INVITE and start the pump. SipLineError (in words)
        if no INVITE could be sent; everything after that is reported to the listener."""
        from baresip import Account as BaresipAccount
        from baresip.errors import BaresipError, NoLocalAddressError, RegistrationError

        acc = self.account
        target = acc.target
        settings = StackSettings(loopback=target.loopback, rtp_timeout_s=self.options.rtp_timeout_s)
        try:
            self.stack = get_stack(settings)
        except SipUnavailable as exc:
            raise SipLineError(str(exc)) from None
        domain = acc.domain or ("127.0.0.1" if target.loopback else target.host)
        try:
            ua_account = BaresipAccount(
                user=acc.user,
                domain=domain,
                password=acc.password,
                registrar=acc.registrar or None,
                reg_interval=600 if acc.registrar else 0,
                transport=target.transport,  # type: ignore[arg-type]
                audio_codecs=acc.codecs,
                dtmf_mode=acc.dtmf_mode,  # type: ignore[arg-type]
                auth_user=acc.auth_user or None,
            )
        except ValueError as exc:
            raise SipLineError(f"the SIP account is not usable: {exc}") from None
        listen(self._on_message, self._on_codec)
        self._t0 = time.monotonic()
        self._start_pump()
        try:
            ua = self.stack.user_agent(ua_account)
            if acc.registrar:
                self.listener.line_state("registering", acc.registrar)
                self.stack.run(ua.register(timeout=10.0), 15.0)
                self.listener.line_state("registered", acc.registrar)
            self.state = "calling"
            # baresip-python builds the Call (which then hears its events) only after the
            # dial command returns; a far end that answers within that moment (a 486 on
            # loopback) went unheard, and the line waited forever. So every stack event
            # is kept from before the INVITE until this line listens to the call.
            early: list[Any] = []
            self.stack.runtime.subscribe(early.append)
            try:
                self.call = self.stack.run(ua.dial(target.uri))
            except BaseException:
                self.stack.runtime.unsubscribe(early.append)
                raise
        except RegistrationError as exc:
            self._abort()
            raise SipLineError(_registration_words(exc, acc.registrar)) from None
        except NoLocalAddressError:
            self._abort()
            raise SipLineError(
                f"no network route from this machine to {target.host}: no INVITE was sent"
            ) from None
        except (BaresipError, TimeoutError, OSError) as exc:
            self._abort()
            raise SipLineError(f"the call to {target.uri} could not be placed: {exc}") from None
        heard: set[int] = set()

        def on_event(event: Any) -> None:
            heard.add(id(event))
            self._on_stack_event(event)

        self.call.on(on_event)
        self.call.on_dtmf(self._on_dtmf)
        self.call.on_audio_warning(self._on_audio_warning)
        self.stack.runtime.unsubscribe(early.append)
        # What this call's listener missed (it came before it listened), in order.
        for event in list(early):
            if event.call == self.call.handle and id(event) not in heard:
                self._on_stack_event(event)

    def _abort(self) -> None:
        self.state = "ended"
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        listen(None)

    def _start_pump(self) -> None:
        self._thread = threading.Thread(target=self._pump, name="sip-pump", daemon=True)
        self._thread.start()

    # -- the tester's side ----------------------------------------------------------------
    def send(self, samples: np.ndarray, done: Callable[[int, int], None] | None = None) -> None:
        """Queue caller audio (session rate) to go out after what is queued already;
        `done(first, end)` gets its session sample span once it is all written."""
        with self._lock:
            self._outgoing.append(_Outgoing(np.asarray(samples, dtype=np.float32), done))

    def feed_live(self, samples: np.ndarray) -> None:
        """Microphone audio (session rate), sent as it comes (dropped until connected)."""
        if self.state != "connected":
            return
        with self._lock:
            self._live_input.append(np.asarray(samples, dtype=np.float32))

    def stop_sending(self) -> None:
        """Drop queued caller audio (the tester stops a line mid-way)."""
        with self._lock:
            self._outgoing.clear()

    @property
    def sending(self) -> bool:
        with self._lock:
            return bool(self._outgoing)

    def send_dtmf(self, digits: str) -> None:
        """Send DTMF digits (RTP events or SIP INFO, as the account says); no wait."""
        if self.call is None or self.state != "connected":
            raise SipLineError("DTMF needs a connected call")
        import asyncio

        future = asyncio.run_coroutine_threadsafe(self.call.send_dtmf(digits), self.stack.loop)

        def done(f: Any) -> None:
            exc = f.exception()
            if exc is None:
                self.listener.line_state("dtmf_sent", digits)
            else:
                self.listener.line_state("dtmf_failed", f"{digits}: {exc}")

        future.add_done_callback(done)

    def hang_up(self, why: str = "tester") -> None:
        """BYE (connected) or CANCEL (still ringing); the end is reported as `console`."""
        if self.state == "ended" or self._hangup_asked:
            return
        self._hangup_asked = why
        self._hangup_at = time.monotonic()
        if self.call is None:
            return
        import asyncio

        from baresip.errors import BaresipError

        future = asyncio.run_coroutine_threadsafe(self.call.hangup(), self.stack.loop)
        with contextlib.suppress(BaresipError, TimeoutError, Exception):
            future.result(5)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the line has ended and its last audio is delivered."""
        return self._finished.wait(timeout)

    def close(self) -> None:
        if self.state != "ended":
            self.hang_up("closing")
            self._finished.wait(self.options.hangup_wait_s + 1.0)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3)
        listen(None)

    # -- the stack's threads --------------------------------------------------------------
    def _on_message(self, message: SipMessage) -> None:
        call_id = getattr(self.call, "call_id", None) if self.call is not None else None
        if call_id and message.call_id and message.call_id != call_id:
            return  # another dialog (a stray retransmission)
        if message.direction == "received":
            if message.status is not None and message.method == "INVITE":
                self._any_response = True
                if message.status >= 300 and self._refusal is None:
                    self._refusal = message
            elif message.status is None and message.method == "BYE":
                self._bye_received = True  # the agent's BYE (not the answer to ours)
        self.listener.line_message(message)

    def _on_codec(self, direction: str, codec: str) -> None:
        if direction == "received":
            self.codec = codec
        self.listener.line_state(f"codec_{direction}", codec)

    def _on_stack_event(self, event: Any) -> None:
        from baresip import Event

        kind = event.event
        if kind in (Event.CALL_RINGING, Event.CALL_PROGRESS):
            self._any_response = True
            if self.state == "calling":
                self.state = "ringing"
            self.listener.line_state("ringing" if kind is Event.CALL_RINGING else "progress", "")
        elif kind is Event.CALL_ESTABLISHED:
            self._any_response = True
            self.state = "connected"
            self._last_rx_at = time.monotonic()
            self.listener.line_state("connected", "")
        elif kind is Event.CALL_RTPESTAB:
            self.listener.line_state("rtp", event.text or "")
        elif kind is Event.CALL_CLOSED:
            self._closed_text = event.text or ""
            self._closed_seen.set()
        elif kind is Event.AUDIO_ERROR:
            self.listener.line_state("audio_error", event.text or "")

    def _on_dtmf(self, digit: Any) -> None:
        self.listener.line_state("dtmf_received", f"{digit.digit} ({digit.duration_ms} ms)")

    def _on_audio_warning(self, warning: Any) -> None:
        if warning.direction == "tx" and not self._outgoing:
            return  # our own idle pauses are not faults
        self.listener.line_state("audio_warning", warning.message)

    # -- the pump ---------------------------------------------------------------------------
    def _pump(self) -> None:
        opts = self.options
        next_tick = time.monotonic()
        try:
            while not self._stop.is_set():
                next_tick += opts.tick_s
                delay = next_tick - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
                    self.max_stall_s = max(self.max_stall_s, -delay)
                    next_tick = time.monotonic()
                if self._closed_seen.is_set():
                    self._read_agent()
                    self._fill()
                    self._end(self._classify())
                    return
                if self.state == "connected":
                    self._read_agent()
                    self._write_caller()
                self._fill()
                self._check_timers()
        except Exception as exc:  # the pump never dies silently: the line ends in words
            if self.ended is None:
                self._end(LineEnd("error", f"the line failed ({type(exc).__name__}: {exc})"))
        finally:
            self._finished.set()

    def _fill(self) -> None:
        """Silence for the time no audio came, so the clock keeps wall pace."""
        due = int((time.monotonic() - self._t0 - self.options.fill_slack_s) * self.rate)
        if due > self.position:
            gap = np.zeros(due - self.position, dtype=np.float32)
            self.position = due
            self.listener.agent_audio(gap, False)

    def _audio(self) -> Any:
        return self.call.audio if self.call is not None else None

    def _read_agent(self) -> None:
        from baresip.errors import AudioNotActive, AudioRestarted

        audio = self._audio()
        if audio is None:
            return
        chunks = []
        for _ in range(8):
            try:
                if self._rx_format is None:
                    info = audio.info()
                    if not info.rx_ready or not info.rx_sample_rate:
                        return
                    self._set_rx_format(info.rx_sample_rate, max(1, info.rx_channels))
                data = audio.read(65536)
            except AudioRestarted:
                # A re-INVITE replaced the streams (the trace shows it; the codec may
                # have changed): bind to the new ones.
                self._rx_format = None
                continue
            except AudioNotActive:
                self._rx_format = None
                break
            if not data:
                break
            chunks.append(data)
        if not chunks or self._rx_format is None or self._rx_resampler is None:
            if self.state == "connected":
                self._check_rtp_gap()
            return
        mono = to_mono(b"".join(chunks), self._rx_format[1])
        samples = self._rx_resampler.process(mono)
        if not len(samples):
            return
        now = time.monotonic()
        if self._rtp_missing_reported:
            self._rtp_missing_reported = False
            self.listener.line_state("rtp_resumed", f"{now - self._last_rx_at:.1f}")
        self._last_rx_at = now
        self.position += len(samples)
        self.received += len(samples)
        self.listener.agent_audio(samples, True)

    def _set_rx_format(self, rate: int, channels: int) -> None:
        if self._rx_format != (rate, channels):
            self._rx_resampler = StreamResampler(rate, self.rate)
            if not self.codec:
                self.codec = f"{rate} Hz, {channels} channel{'s' if channels > 1 else ''}"
        self._rx_format = (rate, channels)

    def _check_rtp_gap(self) -> None:
        quiet = time.monotonic() - self._last_rx_at
        if quiet >= self.options.no_rtp_s and not self._rtp_missing_reported:
            self._rtp_missing_reported = True
            self.listener.line_state("rtp_missing", f"{quiet:.1f}")

    def _write_caller(self) -> None:
        from baresip.errors import AudioNotActive, AudioRestarted

        audio = self._audio()
        if audio is None:
            return
        try:
            info = audio.info()
        except AudioNotActive:
            return
        if not info.tx_ready or not info.tx_sample_rate:
            return
        channels = max(1, info.tx_channels)
        if self._tx_format != (info.tx_sample_rate, channels):
            self._tx_format = (info.tx_sample_rate, channels)
            self._tx_resampler = StreamResampler(self.rate, info.tx_sample_rate)
        bytes_per_s = info.tx_sample_rate * channels * 2
        queued_s = info.tx_buffered / bytes_per_s
        room = int((self.options.tx_ahead_s - queued_s) * self.rate)
        if room <= 0:
            return
        index = self.position + int(queued_s * self.rate)
        block, mic, finished = self._take_caller(room, index)
        if block is None:
            return
        assert self._tx_resampler is not None
        pcm = to_pcm(self._tx_resampler.process(block), channels)
        try:
            accepted = audio.write(pcm)
        except (AudioNotActive, AudioRestarted):
            accepted = 0
        self.tx_dropped_bytes += len(pcm) - accepted
        self.listener.caller_audio(index, block, mic)
        for item in finished:
            if item.done is not None and item.first is not None:
                item.done(item.first, item.end)

    def _take_caller(
        self, room: int, index: int
    ) -> tuple[np.ndarray | None, np.ndarray, list[_Outgoing]]:
        """Up to `room` samples of caller audio: the microphone's and the queued lines'
        mixed (either may be absent). Returns the block, the microphone's part of it
        (zeros where it had none: what the caller's recogniser hears) and the lines
        that finished."""
        with self._lock:
            mic_parts = []
            while self._live_input and sum(len(p) for p in mic_parts) < room:
                mic_parts.append(self._live_input.popleft())
            line, finished = self._take_lines(room, index)
        mic = np.concatenate(mic_parts) if mic_parts else np.zeros(0, np.float32)
        if line is None:
            return (mic if len(mic) else None), mic, finished
        n = max(len(mic), len(line))
        block = np.zeros(n, np.float32)
        block[: len(line)] = line
        block[: len(mic)] += mic
        np.clip(block, -1.0, 1.0, out=block)
        heard = np.zeros(n, np.float32)
        heard[: len(mic)] = mic
        return block, heard, finished

    def _take_lines(self, room: int, index: int) -> tuple[np.ndarray | None, list[_Outgoing]]:
        """Up to `room` samples of the queued lines (call with the lock held)."""
        if not self._outgoing:
            return None, []
        parts, finished, taken = [], [], 0
        while self._outgoing and taken < room:
            item = self._outgoing[0]
            if item.first is None:
                item.first = index + taken
            piece = item.samples[item.sent : item.sent + room - taken]
            item.sent += len(piece)
            taken += len(piece)
            item.end = index + taken  # a stall of this thread leaves a real gap
            parts.append(piece)
            if item.sent >= len(item.samples):
                finished.append(self._outgoing.popleft())
        return np.concatenate(parts), finished

    def _check_timers(self) -> None:
        opts = self.options
        elapsed = time.monotonic() - self._t0
        if self._hangup_asked:
            if time.monotonic() - self._hangup_at > opts.hangup_wait_s:
                self._end(self._classify(forced=True))
            return
        if self.state in ("calling",) and not self._any_response and elapsed > opts.no_answer_s:
            self._unanswered = (
                f"nothing answered the INVITE at {self.account.target.host}"
                f"{':' + str(self.account.target.port) if self.account.target.port else ''}"
                f" within {opts.no_answer_s:g} s: is the address right, and is the agent's "
                "SIP endpoint up and reachable from here?"
            )
            self.hang_up("unanswered")
        elif self.state in ("calling", "ringing") and elapsed > opts.ring_timeout_s:
            self._unanswered = (
                f"the agent's endpoint did not answer within {opts.ring_timeout_s:g} s"
            )
            self.hang_up("unanswered")

    _unanswered = ""

    def _classify(self, forced: bool = False) -> LineEnd:
        text = self._closed_text or ""
        established = self.state == "connected"
        if self._hangup_asked == "unanswered":
            return LineEnd("error", self._unanswered, None, established)
        if self._bye_received or (established and not self._hangup_asked and _is_reset(text)):
            return LineEnd("agent", "the agent hung up (BYE)", None, True)
        if self._hangup_asked:
            verb = "BYE" if established else "CANCEL"
            note = " (the stack did not confirm)" if forced else ""
            return LineEnd("console", f"hung up from the console ({verb}){note}", None, established)
        refusal = self._refusal
        if refusal is not None and refusal.status is not None:
            return LineEnd(
                "refused",
                _refusal_words(refusal.status, refusal.reason, self.account),
                refusal.status,
                established,
            )
        status = _status_of(text)
        if status is not None:
            return LineEnd(
                "refused", _refusal_words(status, text[4:], self.account), status, established
            )
        if "rtp" in text.lower():
            return LineEnd(
                "error",
                f"no audio (RTP) from the agent for {self.options.rtp_timeout_s} s: the stack "
                "ended the call",
                None,
                established,
            )
        return LineEnd("error", _closed_words(text, self.account), None, established)

    def _end(self, end: LineEnd) -> None:
        if self.ended is not None:
            return
        end = LineEnd(end.by, end.reason, end.status, end.established, self.position)
        self.ended = end
        self.state = "ended"
        self.listener.line_ended(end)


def _is_reset(text: str) -> bool:
    return "reset by peer" in text.lower() or f"[{errno.ECONNRESET}]" in text


def _status_of(text: str) -> int | None:
    head = text[:3]
    return int(head) if len(text) >= 3 and head.isdigit() and 300 <= int(head) <= 699 else None


def _refusal_words(status: int, reason: str, account: SipAccount) -> str:
    reason = reason.strip() or "no reason given"
    base = f"the agent's endpoint refused the call: {status} {reason}"
    if status in (401, 407):
        if account.password:
            return f"{base}: authentication failed (check the SIP user and password)"
        return f"{base}: it asks for a password (set {_env()} or use the password field)"
    if status == 403:
        return f"{base}: not allowed (check the user, password and the platform's allow-list)"
    if status in (404, 484, 604):
        return f"{base}: no such agent at this address (check the URI's user part)"
    if status in (486, 600):
        return f"{base}: busy"
    if status in (603,):
        return f"{base}: declined"
    if status == 488:
        return f"{base}: no common codec (offered {', '.join(account.codecs)})"
    if status >= 500:
        return f"{base}: a server error on the platform's side"
    return base


def _closed_words(text: str, account: SipAccount) -> str:
    target = account.target
    if "destination address required" in text.lower() or "[89]" in text:
        return f"cannot find {target.host} (no DNS answer for it): check the host name"
    if "refused" in text.lower():
        return f"{target.host} refused the connection ({target.transport}): is the port right?"
    return f"the call ended: {text or 'no reason given by the stack'}"


def _registration_words(exc: Any, registrar: str) -> str:
    status = getattr(exc, "status", None)
    if status in (401, 403, 407):
        return (
            f"registration at {registrar} failed: {status} {getattr(exc, 'reason', '')}: "
            "authentication failed (check the SIP user and password)"
        ).replace("  ", " ")
    return f"registration at {registrar} failed: {exc}"


def _env() -> str:
    from console.sip.account import PASSWORD_ENV

    return PASSWORD_ENV
