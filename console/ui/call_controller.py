"""The call, for the window: place it, talk to it, finish it, without ever waiting on it.

A LiveCall starts (audio warm-up, model and device checks) and closes (thread joins,
the recording's last write) on worker threads; everything it reports arrives as queued
Qt signals through the CallBridge. The window sees only signals and this controller's
small command set: place, hang up, say, mute, and the session clock's time for the
timer. It never reads the engine: only the engine's thread touches that.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.core import events as ev
from console.core.agent_port import Agent
from console.core.config import ConfigStore
from console.live.call import LiveCall, LiveOptions
from console.speech.models import LoadedModel
from console.ui.bridge import CallBridge
from console.ui.config_controller import ConfigController


class CallController(QObject):
    placing = Signal()  # a call is being set up
    started = Signal(object)  # the LiveCall, connected
    failed = Signal(str)  # it could not start
    closed = Signal(object)  # the LiveCall, finished and saved
    waveforms = Signal(object)  # {"caller": Envelope, "agent": Envelope} of its recording

    def __init__(
        self, store: ConfigStore, config: ConfigController, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.config = config
        self.bridge = CallBridge(self)
        # The call in progress, from placing to closed (a LiveCall, or a SipCall to a
        # remote agent: both offer start, say, tester_hang_up, muted, now, close).
        self.call: Any = None
        self.last_call: Any = None  # the last finished call
        self._connected = False  # the call in progress has started (commands reach it)
        self._hang_up_when_started = False  # Hang up was pressed while it was connecting
        self.bridge.event.connect(self._on_event)
        self.bridge.started.connect(self._on_started)
        self.bridge.failed.connect(self._on_failed)
        self.bridge.closed.connect(self._on_closed)

    @property
    def calling(self) -> bool:
        return self.call is not None

    def place(self, options: LiveOptions, agent: Agent | None, model: LoadedModel | None) -> bool:
        """Start a call on a worker thread; False if one is already in progress."""
        if self.call is not None:
            return False
        return self._place(
            LiveCall(
                self.store,
                options,
                agent=agent,
                listeners=[self.bridge.on_event],
                on_partial=self.bridge.on_partial,
                on_level=self.bridge.on_level,
                model=model,
            )
        )

    def place_sip(self, account: Any, options: Any) -> bool:
        """Dial a remote agent over SIP (console/sip): the same timeline and commands."""
        from console.sip.call import SipCall

        if self.call is not None:
            return False
        return self._place(SipCall(account, options, listeners=[self.bridge.on_event]))

    def _place(self, call: Any) -> bool:
        self.call = call
        self.config.call = call
        self._connected = False
        self._hang_up_when_started = False
        self.placing.emit()

        def start() -> None:
            try:
                call.start()
                self.bridge.started.emit(call)
            except Exception as exc:
                self.bridge.failed.emit(f"The call could not start: {exc}")

        threading.Thread(target=start, name="call-start", daemon=True).start()
        return True

    # -- commands (all return at once) ---------------------------------------------------
    def hang_up(self) -> None:
        """Hang up now, or as soon as a call still connecting is up."""
        if self.call is None:
            return
        if self._connected:
            self.call.tester_hang_up()
        else:
            self._hang_up_when_started = True

    def say(self, text: str) -> None:
        if self.call is not None and self._connected and text.strip():
            self.call.say(text.strip())

    def set_muted(self, muted: bool) -> None:
        if self.call is not None:
            self.call.muted = muted

    def now(self) -> float | None:
        """Session time of the call in progress (the clocks are safe to read)."""
        return self.call.now() if self.call is not None else None

    def live_waveforms(self) -> dict:
        """The call's audio so far as envelopes ({} with no call or no audio)."""
        return self.call.live_waveforms() if self.call is not None else {}

    def close_now(self) -> None:
        """The window is closing: end the call in progress (waits for it)."""
        if self.call is not None:
            self.call.close()

    # -- what the call reports -----------------------------------------------------------
    def _on_event(self, event: Any) -> None:
        if isinstance(event, ev.LineDropped):
            self._finish()

    def _finish(self) -> None:
        call = self.call
        if call is None:
            return

        def close() -> None:
            call.close()
            self.bridge.closed.emit(call)
            self._read_waveforms(call)

        threading.Thread(target=close, name="call-close", daemon=True).start()

    def _read_waveforms(self, call: LiveCall) -> None:
        """The recording's channels as envelopes, read on the closing thread."""
        from console.audio.envelope import recording_envelopes
        from console.session.layout import RECORDING_FILE

        if call.session_dir is None or not (call.session_dir / RECORDING_FILE).exists():
            return
        try:
            self.waveforms.emit(recording_envelopes(call.session_dir / RECORDING_FILE))
        except Exception:  # a recording that cannot be read: the timeline simply has none
            return

    def _on_started(self, call: LiveCall) -> None:
        if call is not self.call:
            return
        self._connected = True
        self.started.emit(call)
        if self._hang_up_when_started:
            call.tester_hang_up()

    def _on_failed(self, message: str) -> None:
        self.call = None
        self.config.call = None
        self.failed.emit(message)

    def _on_closed(self, call: LiveCall) -> None:
        self.last_call = call
        if self.call is call:
            self.call = None
            self.config.call = None
        self.closed.emit(call)
