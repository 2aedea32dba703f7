"""The far end, judged from its audio: when the agent made a sound, and whether its
hang-up cut it off.

A remote agent is a black box: all the console has is the audio that came over RTP and
the moment its BYE arrived. `VoiceTrack` follows the agent's audio block by block (10 ms)
and keeps its voiced stretches on the session clock: when it started and stopped
speaking, how long it has been quiet, where its first sound after a caller line was.
`cut_verdict` decides whether the BYE cut the agent off: speech energy still present in
the last received frames, or the recognised words running up to the very end of the
audio (a word ending mid-sound). Energy is judged against an adaptive floor (the quietest
recent block), so comfort noise or a hiss on the line is not taken for speech.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from console.agent.intents import GOODBYE, analyse

BLOCK_S = 0.01
VOICE_MIN_RMS = 0.004  # about -48 dBFS: quieter is never speech (as the recogniser)
VOICE_OVER_FLOOR = 4.0  # louder than 4x the quietest recent block is speech
FLOOR_BLOCKS = 300  # 3 s
WORD_GAP_S = 0.25  # voiced blocks closer than this are one stretch of speech
CUT_WINDOW_S = 0.15  # "the last received frames": speech here when the BYE came = cut
WORD_EDGE_S = 0.08  # a last word ending this close to the end of the audio ran into it
FAREWELLS = (
    "thank you for calling",
    "thanks for calling",
    "thank you for your time",
    "thanks for your time",
    "have a wonderful day",
    "have a lovely day",
    "have a great one",
)


@dataclass(frozen=True)
class Stretch:
    """A voiced stretch of the agent's audio, in session seconds."""

    start: float
    end: float


class VoiceTrack:
    """The agent's voice activity on the session clock, fed in order from sample 0."""

    def __init__(
        self,
        rate: int,
        utterance_gap_s: float = 0.5,
        on_utterance: Callable[[Stretch], None] | None = None,
    ) -> None:
        self.rate = rate
        self.block = max(1, round(rate * BLOCK_S))
        self.utterance_gap_s = utterance_gap_s
        self.on_utterance = on_utterance  # an utterance ended (quiet for utterance_gap_s)
        self.position = 0  # samples fed
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_received = True
        self._levels: deque[float] = deque(maxlen=FLOOR_BLOCKS)
        self.stretches: list[Stretch] = []  # voiced stretches (word gaps bridged)
        self._open: list[float] | None = None  # the stretch being voiced now [start, end]
        self._utterance_start: float | None = None
        self._recent: deque[tuple[float, float, bool]] = deque(maxlen=200)  # (end t, rms, voiced)
        self.received_end = 0.0  # session time of the last sample that came over RTP
        self.received_samples = 0

    @property
    def t(self) -> float:
        return self.position / self.rate

    # -- feeding ----------------------------------------------------------------------
    def feed(self, samples: np.ndarray, received: bool = True) -> None:
        """The agent's next samples; `received` False for silence the console filled in
        while no RTP came (it advances the clock but is never the agent's sound)."""
        if not len(samples):
            return
        if received != self._pending_received and len(self._pending):
            self._flush_partial()
        self._pending_received = received
        data = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        whole = len(data) // self.block * self.block
        for i in range(0, whole, self.block):
            self._block(data[i : i + self.block], received)
        self._pending = data[whole:]

    def _flush_partial(self) -> None:
        self._block(self._pending, self._pending_received)
        self._pending = np.zeros(0, dtype=np.float32)

    def _block(self, block: np.ndarray, received: bool) -> None:
        start = self.position / self.rate
        self.position += len(block)
        end = self.position / self.rate
        rms = float(np.sqrt(np.mean(block.astype(np.float64) ** 2))) if len(block) else 0.0
        voiced = False
        if received:
            self.received_end = end
            self.received_samples += len(block)
            self._levels.append(rms)
            voiced = rms > self.threshold()
        self._recent.append((end, rms, received))
        if voiced:
            if self._open is not None and start - self._open[1] <= WORD_GAP_S:
                self._open[1] = end
            else:
                self._close_stretch()
                self._open = [start, end]
            if self._utterance_start is None:
                self._utterance_start = start
        elif self._open is not None and end - self._open[1] > WORD_GAP_S:
            self._close_stretch()
        last = self.last_voice_end
        if (
            self._utterance_start is not None
            and last is not None
            and end - last >= self.utterance_gap_s
        ):
            utterance = Stretch(self._utterance_start, last)
            self._utterance_start = None
            if self.on_utterance is not None:
                self.on_utterance(utterance)

    def _close_stretch(self) -> None:
        if self._open is not None:
            self.stretches.append(Stretch(self._open[0], self._open[1]))
            self._open = None

    def threshold(self) -> float:
        floor = min(self._levels) if self._levels else 0.0
        return max(VOICE_MIN_RMS, VOICE_OVER_FLOOR * floor)

    # -- reading ----------------------------------------------------------------------
    def all_stretches(self) -> list[Stretch]:
        out = list(self.stretches)
        if self._open is not None:
            out.append(Stretch(self._open[0], self._open[1]))
        return out

    @property
    def last_voice_end(self) -> float | None:
        if self._open is not None:
            return self._open[1]
        return self.stretches[-1].end if self.stretches else None

    @property
    def speaking(self) -> bool:
        """Voiced within the last word gap."""
        last = self.last_voice_end
        return last is not None and self.t - last <= WORD_GAP_S

    def quiet_for(self) -> float:
        """Seconds since the agent's last sound (since the call started if none)."""
        last = self.last_voice_end
        return self.t - (last if last is not None else 0.0)

    def first_sound_after(self, t: float) -> float | None:
        """Start of the agent's first sound that begins after `t`."""
        for s in self.all_stretches():
            if s.start >= t:
                return s.start
        return None

    def sound_since(self, t: float) -> bool:
        return any(s.end > t for s in self.all_stretches())

    def span_of(self, start: float, end: float) -> Stretch:
        """The voiced extent of the words between `start` and `end` (recognised word
        times): the stretches they fall in, so a row's start and end are the agent's
        first and last sound, not the recogniser's estimate (vosk's word edges stray by
        tens of milliseconds either way)."""
        inside = [s for s in self.all_stretches() if s.end >= start - 0.1 and s.start <= end + 0.1]
        if not inside:
            return Stretch(start, end)
        return Stretch(inside[0].start, inside[-1].end)

    def tail_level(self, window_s: float = CUT_WINDOW_S) -> tuple[float, float]:
        """(loudest block rms, threshold) over the last `window_s` of received audio."""
        blocks = [r for r in self._recent if r[2] and r[0] > self.received_end - window_s]
        loudest = max((r[1] for r in blocks), default=0.0)
        return loudest, self.threshold()


@dataclass(frozen=True)
class CutVerdict:
    cut: bool
    why: str


def cut_verdict(track: VoiceTrack, last_word_end: float | None = None) -> CutVerdict:
    """Whether the agent was cut off where its audio ended (at its BYE)."""
    if track.received_samples == 0:
        return CutVerdict(False, "no audio came from the agent")
    loudest, threshold = track.tail_level()
    if loudest > threshold:
        return CutVerdict(
            True,
            f"speech energy in the last {CUT_WINDOW_S * 1000:.0f} ms of the agent's audio "
            f"({_dbfs(loudest):.0f} dBFS, speech is above {_dbfs(threshold):.0f} dBFS)",
        )
    if last_word_end is not None and last_word_end >= track.received_end - WORD_EDGE_S:
        return CutVerdict(
            True, "the recognised words run to the very end of the audio (ended mid-word)"
        )
    quiet = track.quiet_for() if track.last_voice_end is not None else None
    why = "the agent's audio was quiet at the end"
    if quiet is not None:
        why += f" ({track.received_end - track.last_voice_end:.2f} s of silence before it ended)"
    return CutVerdict(False, why)


def is_farewell(text: str) -> bool:
    """Whether an agent's line says goodbye ("Thanks for calling, goodbye!")."""
    if not text.strip():
        return False
    if analyse(text).has(GOODBYE):
        return True
    lowered = " ".join(text.lower().replace(",", " ").replace(".", " ").split())
    return any(phrase in lowered for phrase in FAREWELLS)


def _dbfs(rms: float) -> float:
    return 20 * math.log10(max(rms, 1e-6))
