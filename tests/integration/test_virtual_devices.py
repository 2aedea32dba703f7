"""The virtual devices behave like a sound card where timing is concerned.

A PulseAudio null sink with no low-latency stream on it sleeps for two seconds between
renders, so a playback stream that ran dry came back only after that sleep: every stall
of the interpreter longer than the output latency became a 2 s hole, in the tests, the
benchmarks and the docs screenshots, which a sound card does not make. The virtual server
keeps its sinks ticking (console/audio/virtual.py); this test holds Python's interpreter
for about 150 ms while a call's streams run, and requires the playback stream to be back
within half a second of the stall's end.
"""

from __future__ import annotations

import queue
import re
import time
from itertools import pairwise

from console.audio.io import AudioIO, OutputBlock

RATE = 16000
WATCH_S = 3.0  # longer than the null sink's sleep, so a 2 s pause shows


def hold_the_interpreter(at_least_s: float) -> float:
    """Keep the GIL for at least `at_least_s` in one call that never lets it go (the regex
    engine backtracking), as a long C call from the GUI thread does. Returns the time."""
    text = "a" * 20
    start = time.monotonic()
    while time.monotonic() - start < at_least_s:
        re.match(r"(a|aa)+c", text)  # one match: thousands of backtracks, GIL held
        text += "a"
    return time.monotonic() - start


def test_a_stalled_playback_stream_is_back_within_the_stall(virtual_audio):
    io = AudioIO(virtual_audio.mic, virtual_audio.speaker, RATE)
    try:
        io.start()
        while not io.queue.empty():  # the start's own blocks: only the stall's are wanted
            io.queue.get()
        held = hold_the_interpreter(0.15)
        resumed = time.monotonic()
        blocks: list[OutputBlock] = []
        while time.monotonic() - resumed < WATCH_S:
            try:
                item = io.queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if isinstance(item, OutputBlock):
                blocks.append(item)
    finally:
        io.close()
    assert io.underflows >= 1, f"holding the interpreter {held:.3f} s did not starve playback"
    # How far the device's clock jumped between blocks beyond the audio between them: the
    # time playback was not running.
    jumps = [(b.dac_time - a.dac_time) - (b.frame - a.frame) / RATE for a, b in pairwise(blocks)]
    played = (blocks[-1].frame - blocks[0].frame) / RATE
    assert played > WATCH_S - 0.5, f"playback ran {played:.2f} s of the {WATCH_S} s after the stall"
    assert max(jumps) < 0.5, (
        f"playback paused {max(jumps):.2f} s after a {held:.2f} s stall of the interpreter"
    )
