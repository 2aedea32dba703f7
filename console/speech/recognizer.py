"""Streaming recognition with vosk on a worker thread.

Audio is fed from the recording's sample 0, so vosk's word times *are* session times.

An utterance ends when the caller's audio has been quiet for the configured
end-of-utterance silence. Quiet is judged on the audio itself (block energy against an
adaptive noise floor), not on vosk's word times: vosk's partial results lag the audio by
a second or more, and its own endpointer is fixed by the model. Segments vosk ends on its
own are held and joined until the silence is long enough; then the decoder is flushed
and the whole utterance is delivered. So the tester controls how quickly the agent takes
its turn, in both directions.

Flushing the decoder is the expensive part of an utterance's end: vosk decodes in chunks,
so at the end 0.3-0.7 s of audio is still undecoded and `FinalResult()` decodes it then,
which measured 100-280 ms on the Korean model. The flush therefore starts early, after
EARLY_FLUSH_S of quiet, and overlaps the rest of the endpoint silence; its words are held.
If the caller speaks again before the endpoint, the held words are joined with what
follows, exactly as for a segment vosk ended on its own, so the early flush costs only a
segment boundary inside a pause, never words.

How much silence ends the turn is the end-of-turn rule's call (console/speech/
end_of_turn.py, `turn_taking.end_of_turn`): a fixed silence, or `adaptive`, which reads
the words the flush delivered ("no thanks" ends soon, "yes I am" waits for more). The
rule is asked once per pause, after the flush (so it judges every word said so far), and
again after the caller's next sound; it is read from the config at each utterance, so a
mid-call edit applies to the next one. Each final result says which rule ended the turn,
after how much silence, and why.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from console.speech.end_of_turn import EndOfTurn, SilenceRule, TurnEnd, TurnEnding
from console.speech.vad import CONFIRM_S, QUIET, VOICE, VOICE_MIN_RMS, CallerVAD, EnergyVAD

__all__ = [
    "EARLY_FLUSH_S",
    "VOICE_MIN_RMS",
    "EnergyVAD",
    "Recognised",
    "StreamingRecognizer",
    "Word",
]

PARTIAL_EVERY_S = 0.1
EARLY_FLUSH_S = 0.08  # quiet this long: flush the decoder while the endpoint silence runs


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float = 1.0


@dataclass(frozen=True)
class Recognised:
    text: str
    start: float
    end: float
    words: tuple[Word, ...]
    ended: TurnEnd | None = None  # which rule ended the turn, after how much silence


def _words(items: list[dict[str, Any]]) -> tuple[Word, ...]:
    return tuple(
        Word(w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
        for w in items
    )


class StreamingRecognizer:
    def __init__(
        self,
        model: Any,
        rate: int,
        endpoint_silence_s: float,
        on_final: Callable[[Recognised], None],
        on_partial: Callable[[str, float], None] | None = None,
        early_flush_s: float = EARLY_FLUSH_S,
        end_of_turn: Callable[[], EndOfTurn] | None = None,
        hear: Callable[[tuple[Word, ...]], str] | None = None,
        vad: CallerVAD | None = None,
    ) -> None:
        """`end_of_turn` gives the rule in force (called at each utterance's start; by
        default `endpoint_silence_s` of silence). `hear` turns the words so far into the
        text the rule reads (by default vosk's words; a benchmark whose model cannot
        understand the caller's language substitutes the script, aligned by time). `vad`
        judges speech vs silence (by default the energy rule with Silero's veto when
        Silero is installed; `vad_label` says which)."""
        import vosk

        self.rate = rate
        self.endpoint_silence_s = endpoint_silence_s
        self._rule_now = end_of_turn or (lambda: SilenceRule(endpoint_silence_s))
        self._early_flush_s = early_flush_s
        self._hear = hear or (lambda words: " ".join(w.word for w in words))
        self._ending: TurnEnding | None = None  # the rule judging the utterance under way
        self._flushed = False  # the decoder has been flushed since the caller's last sound
        self.flushes = 0  # decoder flushes so far, early or at the end (for tests and bench)
        self.on_final = on_final
        self.on_partial = on_partial
        self._rec = vosk.KaldiRecognizer(model, rate)
        self._rec.SetWords(True)
        self._rec.SetPartialWords(True)
        self._queue: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self.fed = 0  # samples fed: the recogniser's position on the session clock
        self._since_partial = 0
        self._partial_text = ""
        self._held: list[Word] = []  # words of segments vosk ended, awaiting the silence
        if vad is None:
            vad, self.vad_label = CallerVAD.best(rate)
        else:
            self.vad_label = "energy + Silero VAD" if vad.silero else "energy only"
        self._vad = vad
        self.cpu_s = 0.0
        self._thread = threading.Thread(target=self._loop, name="vosk", daemon=True)
        self._thread.start()

    @property
    def position(self) -> float:
        return self.fed / self.rate

    @property
    def early_flush_s(self) -> float:
        """Quiet after which the decoder is flushed: never later than the rule could end
        the turn."""
        if self._ending is None:
            return self._early_flush_s
        return min(self._early_flush_s, self._ending.rule.shortest_s)

    def feed(self, samples: np.ndarray) -> None:
        self._queue.put(samples)

    def close(self, flush: bool = False) -> None:
        """Stop. With flush, words still pending become a last utterance."""
        self._flush_on_close = flush
        self._queue.put(None)
        self._thread.join(10)

    _flush_on_close = False

    def _loop(self) -> None:
        import time

        while True:
            samples = self._queue.get()
            if samples is None:
                if self._flush_on_close:
                    self._hold(json.loads(self._rec.FinalResult()))
                    speaking = self._voice_start is not None
                    quiet = self.position - self._last_voice if speaking else 0.0
                    self._emit(TurnEnd("call end", quiet, "words pending when the call ended"))
                return
            t0 = time.thread_time()
            self._accept(samples)
            self.cpu_s += time.thread_time() - t0

    def _accept(self, samples: np.ndarray) -> None:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        self.fed += len(samples)
        self._voice_activity(samples)
        if self._rec.AcceptWaveform(pcm):
            self._hold(json.loads(self._rec.Result()))
        self._since_partial += len(samples)
        if self._since_partial >= PARTIAL_EVERY_S * self.rate:
            self._since_partial = 0
            partial = json.loads(self._rec.PartialResult())
            text = " ".join([*(w.word for w in self._held), partial.get("partial", "")]).strip()
            if text and text != self._partial_text and self.on_partial is not None:
                start = self._voice_start if self._voice_start is not None else self.position
                self.on_partial(text, start)
            self._partial_text = text
        if self._voice_start is None:
            return
        quiet = self.position - self._last_voice - self._unconfirmed()
        if not self._flushed and quiet >= self.early_flush_s:
            self._hold(json.loads(self._rec.FinalResult()))
            self._flushed = True
            self.flushes += 1
        if self._flushed:
            self._decide(quiet)

    def _decide(self, quiet: float) -> None:
        """After the flush, every word said so far is held: does this much quiet end the
        turn, by the rule in force?"""
        assert self._ending is not None  # set when the caller's voice started
        ended = self._ending.check(quiet, lambda: self._hear(tuple(self._held)))
        if ended is not None:
            self._voice_start = None
            self._ending = None
            self._emit(ended)

    def _unconfirmed(self) -> float:
        """Loud blocks just now that Silero has not (yet) called speech: held out of the
        silence until they have lasted CONFIRM_S (then they were noise)."""
        return self._unsure_run if self._unsure_run <= CONFIRM_S else 0.0

    def _voice_activity(self, samples: np.ndarray) -> None:
        """Track when the caller last spoke (console/speech/vad.py: a loud block Silero
        takes for noise does not restart the silence)."""
        if not len(samples):
            return
        verdict = self._vad.judge(samples)
        seconds = len(samples) / self.rate
        if verdict == QUIET:
            self._unsure_run = 0.0
            return
        if verdict != VOICE:
            self._unsure_run += seconds
            return
        onset = self._unconfirmed()  # loud blocks just before Silero was sure: speech too
        self._unsure_run = 0.0
        self._last_voice = self.position
        self._flushed = False
        if self._ending is not None:
            self._ending.sound()
        if self._voice_start is None:
            self._voice_start = self.position - seconds - onset
            self._ending = TurnEnding(self._rule_now())  # the rule in force now

    _unsure_run = 0.0
    _voice_start: float | None = None
    _last_voice = 0.0

    def _hold(self, result: dict[str, Any]) -> None:
        self._held.extend(_words(result.get("result") or []))

    def _emit(self, ended: TurnEnd | None = None) -> None:
        words, self._held = tuple(self._held), []
        self._partial_text = ""
        text = " ".join(w.word for w in words)
        if words and text.strip():
            self.on_final(Recognised(text, words[0].start, words[-1].end, words, ended))
