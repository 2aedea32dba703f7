"""The process's one SIP stack: a baresip runtime on an asyncio loop of its own thread.

baresip keeps process-global state, so one runtime serves every call this process
makes (one call at a time). Its network settings depend on the target: a loopback target
(a scripted agent, a local PBX) needs the stack bound to 127.0.0.1, since interface
discovery skips loopback; anything else listens on all interfaces with discovery. When
the next call needs the other setting, the runtime is closed and started again (seen
to work in one process; what does not work is dialling a public host from a
loopback-bound stack, which fails and then crashes the native stack on close, so the
setting is always chosen before dialling).

Calls into the stack from other threads go through `run`, which waits for the
coroutine's result on the loop; stack events arrive on the loop thread.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
START_TIMEOUT_S = 10.0


class SipUnavailable(RuntimeError):
    """The SIP stack cannot run here; the message says why and what to install."""


@dataclass(frozen=True)
class StackSettings:
    loopback: bool
    rtp_timeout_s: int = 0  # 0: the stack never closes a call for missing RTP

    def config(self) -> Any:
        from baresip import Config

        listen = "127.0.0.1:0" if self.loopback else "0.0.0.0:0"
        return Config(
            net_interface="127.0.0.1" if self.loopback else None,
            audio_driver="aumem",
            native_log_level="info",  # the codec lines (see trace.codec_of)
            sip_trace=True,
            rtp_timeout=self.rtp_timeout_s,
            extra_config_text=f"sip_listen {listen}\n",
        )


class SipStack:
    """One running baresip runtime and the loop thread that owns it."""

    def __init__(self, settings: StackSettings) -> None:
        try:
            import baresip  # noqa: F401
            from baresip import Runtime
        except ImportError as exc:
            raise SipUnavailable(
                f"the SIP stack is not installed ({exc}): pip install --pre baresip-python "
                "(Linux and macOS, Python 3.11+)"
            ) from None
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="sip-loop", daemon=True)
        self._thread.start()
        self.runtime = Runtime(native_log_level="info")
        self._user_agents: dict[str, Any] = {}
        try:
            self.run(self.runtime.start(settings.config()), START_TIMEOUT_S)
        except Exception as exc:
            self._stop_loop()
            raise SipUnavailable(f"the SIP stack did not start: {exc}") from None

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 10.0) -> T:
        """Run a coroutine on the stack's loop and wait for its result (any thread but
        the loop's own)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def call_soon(self, fn: Any, *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def user_agent(self, account: Any) -> Any:
        """The stack's user agent for an account (made once, reused by later calls)."""
        from baresip import UserAgent

        aor = account.aor()
        ua = self._user_agents.get(aor)
        if ua is None:
            ua = self.run(UserAgent.create(self.runtime, account))
            self._user_agents[aor] = ua
        return ua

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.run(self.runtime.close(), 10.0)
        with contextlib.suppress(Exception):
            self.run(_cancel_others(), 5.0)
        self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


async def _cancel_others() -> None:
    """Cancel what the runtime left on the loop (its watchdog), so nothing is destroyed
    pending when the loop stops."""
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


_lock = threading.Lock()
_stack: SipStack | None = None


def get_stack(settings: StackSettings) -> SipStack:
    """The running stack, restarted first if it runs with other settings."""
    global _stack
    with _lock:
        if _stack is not None and _stack.settings != settings:
            _stack.close()
            _stack = None
        if _stack is None:
            _quiet_native_logs()
            _stack = SipStack(settings)
            # After the runtime's own exit hook, so this one runs first (LIFO) and the
            # runtime is closed properly rather than forced.
            atexit.unregister(shutdown)
            atexit.register(shutdown)
        return _stack


def shutdown() -> None:
    """Close the stack (end of a command, end of a test session). Safe to call twice."""
    global _stack
    with _lock:
        if _stack is not None:
            _stack.close()
            _stack = None


def _quiet_native_logs() -> None:
    """The stack logs under `baresip.*`; the console keeps its own terminal output, so
    those records stay out of the root logger (the SIP trace is read by `trace`)."""
    for name in ("baresip", "baresip.native"):
        logging.getLogger(name).propagate = False


atexit.register(shutdown)
