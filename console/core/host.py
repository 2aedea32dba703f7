"""Run a CallEngine in real time on a thread of its own.

The engine is single-threaded by design: its state needs no locks because only this
host's thread ever touches it. Every other thread (audio pump, recogniser, synthesiser,
GUI, terminal) hands it work with `submit()`, and timers fire on the same thread. The
host sleeps until the next command, timer or engine deadline, so an idle call costs no
CPU.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
from collections.abc import Callable

from console.core.clock import SessionClock
from console.core.engine import CallEngine

_IDLE_WAKE_S = 0.25  # bound on any wait, so a stuck clock can never hang the host


class CallHost:
    def __init__(self, clock: SessionClock, name: str = "call-engine") -> None:
        self.clock = clock
        self.engine: CallEngine | None = None
        self._commands: queue.SimpleQueue[Callable[[CallEngine], object] | None] = (
            queue.SimpleQueue()
        )
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._ids = itertools.count()
        self._cancelled: set[int] = set()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.dropped = threading.Event()
        self.errors: list[BaseException] = []

    # -- from any thread -----------------------------------------------------------------
    def start(self, engine: CallEngine) -> None:
        self.engine = engine
        engine.listeners.append(self._watch)
        self._thread.start()

    def submit(self, fn: Callable[[CallEngine], object]) -> None:
        """Run fn(engine) on the engine's thread, in order of submission (work submitted
        before start() waits for it)."""
        self._commands.put(fn)

    def stop(self, timeout: float = 5.0) -> None:
        self._commands.put(None)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def wait_dropped(self, timeout: float | None = None) -> bool:
        return self.dropped.wait(timeout)

    # -- from the engine's thread (voices, timers) ---------------------------------------
    def at(self, t: float, fn: Callable[[], None]) -> int:
        handle = next(self._ids)
        heapq.heappush(self._timers, (t, handle, fn))
        return handle

    def cancel(self, handle: int) -> None:
        self._cancelled.add(handle)

    # -- the loop ------------------------------------------------------------------------
    def _watch(self, event: object) -> None:
        from console.core.events import LineDropped

        if isinstance(event, LineDropped):
            self.dropped.set()

    def _next_time(self) -> float | None:
        while self._timers and self._timers[0][1] in self._cancelled:
            self._cancelled.discard(heapq.heappop(self._timers)[1])
        times = [self._timers[0][0]] if self._timers else []
        assert self.engine is not None
        deadline = self.engine.next_deadline()
        if deadline is not None:
            times.append(deadline)
        return min(times) if times else None

    def _loop(self) -> None:
        engine = self.engine
        assert engine is not None
        while True:
            nxt = self._next_time()
            wait = _IDLE_WAKE_S if nxt is None else min(_IDLE_WAKE_S, nxt - self.clock.now())
            try:
                command = self._commands.get(timeout=max(0.0, wait))
            except queue.Empty:
                command = _wake_up
            if command is None:
                return
            try:
                command(engine)
                now = self.clock.now()
                while (
                    self._next_time() is not None and self._timers and (self._timers[0][0] <= now)
                ):
                    _, handle, fn = heapq.heappop(self._timers)
                    if handle in self._cancelled:
                        self._cancelled.discard(handle)
                        continue
                    fn()
                engine.tick()
            except Exception as exc:  # keep the call alive and say what went wrong
                self.errors.append(exc)
                engine.fault("console", f"internal error: {exc!r}")


def _wake_up(engine: CallEngine) -> None:
    """Nothing to do: the loop woke for a timer or a deadline."""
