"""The device side of an audio pump for tests that feed it blocks by hand: a stand-in for
`AudioIO` with its queue, rates and counters, and the pump wired to a sample clock."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from console.audio.clock import SampleClock
from console.live.pump import AudioPump


def hand_fed_pump(rate: int, host: Any) -> tuple[SimpleNamespace, SampleClock, AudioPump]:
    """(io, clock, pump): put InputBlock/OutputBlock items on `io.queue` to drive it."""
    io = SimpleNamespace(
        rate=rate,
        queue=queue.SimpleQueue(),
        input=SimpleNamespace(label="test microphone"),
        overflows=0,
        underflows=0,
    )
    clock = SampleClock(rate)
    return io, clock, AudioPump(io, clock, host(clock))  # type: ignore[arg-type]


def begin_call(pump: AudioPump, first_block: Callable[[], None]) -> None:
    """Start the pump and its call: `begin_call` waits for the call's first block, which
    `first_block` puts on the queue once the pump asks for it."""
    pump.start()
    done: list[bool] = []
    waiter = threading.Thread(target=lambda: done.append(pump.begin_call()))
    waiter.start()
    while not pump._zero_wanted:
        time.sleep(0.001)
    first_block()
    waiter.join(5)
    assert done == [True]
