"""The session clock of a live call, read off the capture stream's sample positions.

Session time t is the recording's sample index divided by the rate: t = 1.0 s is sample
16,000 of a 16 kHz recording, by definition. The audio API stamps every callback with
the time its first sample is captured (ADC) or heard (DAC); those stamps jitter, and
come in bursts while a stream starts, but frame counts do not. So each stream's
timestamps are reduced to one number, the time of its frame 0, by a running median of
(stamp - frame / rate): robust to bursts, and it follows any slow drift between the
sound card's clock and the system's. Output frames are placed on the session timeline
through it, which is how "the goodbye's last sample" gets a session time.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

WINDOW = 64  # blocks in the running median (about 0.64 s at 10 ms blocks)
JUMP_S = 0.05  # a stream whose timing moves this much at once stalled (or skipped)
DRIFT_S = 0.02  # the playback's place in the recording is corrected past this much drift
EARLY_CONFIRM = 25  # blocks (250 ms) that must agree before the playback moves earlier
STEADY_S = 0.02  # confirming timestamps agree this closely: the stream runs at real time


class FrameTimes:
    """The audio-API time of a stream's frame 0, estimated from many callbacks.

    Callbacks' timestamps jitter by some milliseconds, so the estimate is a running
    median (or, for callback times, which a late callback only ever makes later, a
    running minimum). But a stream can also stall: under CPU load the sound server's ALSA
    plugin pauses a playback stream that ran dry for about two seconds (seen on these
    machines), and every later frame is heard that much later. A running estimate would
    take half its window to follow, placing audio two seconds early in the meantime (on
    the timeline, and in the recording, where it then landed before what was already
    written and was lost). So a timestamp off by more than JUMP_S for `confirm` blocks in
    a row re-anchors the estimate at once, and `add` returns the jump, for the timeline
    to say how long the stall was.

    Confirming blocks must also agree with each other (within STEADY_S): a stream that
    delivers a backlog after a freeze (the capture, whose sound server kept the audio
    while the process was stopped) comes late at first and then catches up, one block
    earlier at every callback. That is no audio lost; taking its first late blocks for a
    jump gave a 300 ms freeze 260 ms of silence that was never missing, and session time
    ran ahead of real time from then on.
    """

    def __init__(
        self, rate: int, window: int = WINDOW, minimum: bool = False, confirm: int = 1
    ) -> None:
        self.rate = rate
        self._offsets: deque[float] = deque(maxlen=window)
        self.t0: float | None = None
        self.minimum = minimum
        self.confirm = confirm
        self._off: list[float] = []  # offsets beyond JUMP_S, waiting for confirmation
        self.jumps: list[tuple[int, float]] = []  # (frame, seconds) of each re-anchoring

    def restart(self) -> None:
        """Keep the estimate, but let the next timestamps replace the window at once."""
        self._offsets.clear()
        self._off.clear()
        if self.t0 is not None:
            self._offsets.append(self.t0)

    def add(self, frame: int, stamp: float, jump_s: float = JUMP_S) -> float:
        """Take one callback's timestamp; returns how far the stream's timing jumped
        (0.0 when it did not): moved by more than `jump_s` (less for a block the device
        flagged: then the move is a gap, not jitter)."""
        offset = stamp - frame / self.rate
        jump = 0.0
        if self.t0 is not None and abs(offset - self.t0) > jump_s:
            self._off = [*self._off[1 - self.confirm :], offset] if self.confirm > 1 else [offset]
            if len(self._off) < self.confirm or max(self._off) - min(self._off) > STEADY_S:
                return 0.0  # late callbacks (or a backlog catching up), until more agree
            settled = float(np.median(self._off)) if not self.minimum else min(self._off)
            jump = settled - self.t0
            self._offsets.clear()
            self._offsets.extend(self._off)
            self._off.clear()
            self.jumps.append((frame, jump))
        else:
            self._off.clear()
            self._offsets.append(offset)
        values = self._offsets
        self.t0 = float(min(values)) if self.minimum else float(np.median(values))
        return jump

    def time_of(self, frame: float) -> float:
        assert self.t0 is not None, "no timestamps yet"
        return self.t0 + frame / self.rate


class SampleClock:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        # The capture side is timed by its callbacks (PortAudio's capture timestamps on
        # PulseAudio lag by up to 0.7 s for the first second of a stream, then catch up;
        # the callbacks themselves come at real time): a late callback only adds delay,
        # so the minimum, and a jump must hold for 5 blocks to be lost audio.
        self.input = FrameTimes(rate, minimum=True, confirm=5)
        self.output = FrameTimes(rate)
        self._zero_frame: int | None = None  # input frame at session time 0
        self._latest: tuple[float, float] | None = None  # (stream time, monotonic) then
        self._last = 0.0
        self._lock = threading.Lock()
        # Where the playback stream lands in the recording: (output frame, session sample)
        # of an anchor; later frames follow it sample for sample (see output_index).
        self._anchor: tuple[int, int] | None = None
        self._stalled = False  # the playback's timing jumped: re-anchor at the next frame
        self._early = 0  # blocks in a row whose timestamps put them earlier than followed
        # Each move of the anchor: (session sample where it happened, samples it moved).
        self.shifts: list[tuple[int, int]] = []

    @property
    def started(self) -> bool:
        return self._zero_frame is not None

    def start_at(self, frame: int) -> None:
        """Session time 0 is the input frame `frame` (the first frame of the recording).
        Timestamps from before the call (a stream still settling) are forgotten."""
        self._zero_frame = frame
        self.input.restart()
        self.output.restart()

    def on_input_block(
        self, frame: int, adc_time: float, stream_time: float, mono: float, frames: int = 0
    ) -> float:
        """A capture block of `frames` frames from `frame` on, whose callback ran at
        `stream_time` (its last frame had been captured by then). Returns how far the
        capture's timing jumped at this block (0.0: not)."""
        jump = self.input.add(frame + frames, stream_time)
        self._latest = (stream_time, mono)
        return jump

    def on_output_block(self, frame: int, dac_time: float, underflow: bool = False) -> float:
        """Returns how far the playback stream's timing jumped (a stall), 0.0 if not.

        A block the device flagged as an underflow follows silence it inserted: its
        timestamp moving by more than DRIFT_S is that gap, and the audio from here on is
        placed after it at once. (Unflagged, a move under JUMP_S is taken for jitter and
        followed slowly; a 49 ms underflow was placed 49 ms early that way, the goodbye's
        first sample on the timeline before the action that asked for it.)"""
        jump = self.output.add(frame, dac_time, DRIFT_S if underflow else JUMP_S)
        if jump:
            self._stalled = True  # re-anchored at the next output_index: after the gap
        return jump

    def skip_input(self, seconds: float) -> int:
        """The capture lost `seconds` of audio (its timing jumped ahead): later input frames
        come that much later in the session. Returns the samples of silence to record."""
        samples = round(seconds * self.rate)
        if self._zero_frame is not None and samples > 0:
            self._zero_frame -= samples
            return samples
        return 0

    def session_of_frame(self, frame: int) -> float:
        assert self._zero_frame is not None
        return (frame - self._zero_frame) / self.rate

    def session_of_stream_time(self, stamp: float) -> float:
        """Session time of an audio-API timestamp."""
        if self._zero_frame is None or self.input.t0 is None:
            return 0.0
        return stamp - self.input.time_of(self._zero_frame)

    def session_of_output_frame(self, frame: float) -> float:
        """Session time at which output frame `frame` is heard, from the timestamps alone
        (jitters by some milliseconds from one block to the next)."""
        return self.session_of_stream_time(self.output.time_of(frame))

    def output_index(self, frame: int) -> int:
        """The session sample at which output frame `frame` is heard.

        The playback stream plays sample after sample, so consecutive frames land on
        consecutive samples: placed one block at a time from jittering timestamps, the
        agent's audio would overlap or leave holes in the recording by a few samples at
        every block. So frames follow an anchor exactly; the anchor moves only when the
        stream stalled (a jump, on the timeline as a gap) or when the two devices' clocks
        have drifted apart by more than DRIFT_S."""
        estimate = round(self.session_of_output_frame(frame) * self.rate)
        anchor = self._anchor
        if anchor is None:
            self._anchor = (frame, estimate)
            return estimate
        followed = anchor[1] + (frame - anchor[0])
        off = estimate - followed
        if not self._stalled and abs(off) <= DRIFT_S * self.rate:
            self._early = 0
            return followed
        if not self._stalled and off < 0:
            # Earlier than where it follows: audio already placed would be overwritten.
            # Timestamps glitch that way for a moment under load: believe it only when
            # it persists.
            self._early += 1
            if self._early < EARLY_CONFIRM:
                return followed
        self._stalled = False
        self._early = 0
        self._anchor = (frame, estimate)
        if estimate != followed:
            self.shifts.append((followed, estimate - followed))
        return estimate

    def now(self) -> float:
        latest = self._latest
        if latest is None or not self.started:
            return 0.0
        stream_time, mono = latest
        t = self.session_of_stream_time(stream_time + (time.monotonic() - mono))
        with self._lock:  # never decreasing, whichever thread asks
            self._last = max(self._last, t)
            return self._last
