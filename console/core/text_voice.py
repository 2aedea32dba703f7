"""The agent's voice without audio: each line lasts as long as it takes to say."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from console.core.clock import SessionClock
from console.core.engine import CallEngine, Utterance
from console.core.speech_time import estimate_speech_seconds


class Timers(Protocol):
    """Timers on the session clock: the runner's virtual scheduler or a CallHost."""

    clock: SessionClock

    def at(self, t: float, fn: Callable[[], None]) -> int: ...

    def cancel(self, handle: int) -> None: ...


class SimulatedVoice:
    """The agent's audio path in text mode: each line lasts its estimated duration.

    Works with any scheduler offering at/cancel on the session clock: the runner's
    virtual Scheduler, or a CallHost for a typed-input call in real time.
    """

    def __init__(self, sched: Timers, get_engine: Callable[[], CallEngine]):
        self.sched = sched
        self.get_engine = get_engine
        self.started: dict[int, float] = {}
        self._handles: dict[int, int] = {}

    def play(self, utterance: Utterance) -> None:
        engine = self.get_engine()
        now = self.sched.clock.now()
        wpm = engine.store.current.agent.voice.rate_wpm
        duration = estimate_speech_seconds(utterance.text, wpm)
        engine.agent_audio_started(utterance.id, now, duration)
        self.started[utterance.id] = now
        end = now + duration
        self._handles[utterance.id] = self.sched.at(
            end, lambda: engine.agent_audio_finished(utterance.id, end)
        )

    def stop(self, utterance_id: int) -> None:
        handle = self._handles.pop(utterance_id, None)
        if handle is not None:
            self.sched.cancel(handle)

    def line_dropped(self) -> None:
        for uid in list(self._handles):
            self.stop(uid)
