"""The far end's goodbye judged at the BYE: two separate checks, speech energy in the
last received frames, and the recogniser's last word running to the end of the audio.

Driven through `SipCall.line_ended` (the line's last word) with audio fed to its voice
track and a recogniser whose last word end the test chooses: vosk cannot be made to
place a word edge on cue, and the energy check must not stand in for this one.
"""

from __future__ import annotations

import numpy as np
import pytest

from console.core import events as ev
from console.sip.account import SipAccount
from console.sip.call import SipCall, SipCallOptions
from console.sip.line import LineEnd
from console.speech.recognizer import Recognised, Word

RATE = 16000


class Recogniser:
    """Hands the call one final utterance when flushed, as vosk would at the BYE."""

    def __init__(self, call: SipCall, start: float, end: float) -> None:
        self.call, self.start, self.end = call, start, end

    def feed(self, samples) -> None:
        pass

    def close(self, flush: bool = False) -> None:
        if flush:
            words = (Word("goodbye", self.start, self.end),)
            self.call._on_final(Recognised("goodbye", self.start, self.end, words))


def ended_call(word_end: float) -> SipCall:
    """3 s of line: the agent speaks from 1.0 to 2.7 s (loud), then a soft tail to the
    BYE at 3.0 s that the energy check does not count as speech; vosk's last word ends
    at `word_end`."""
    call = SipCall(SipAccount.from_input("sip:agent@127.0.0.1:5099"), SipCallOptions())
    t = np.arange(3 * RATE) / RATE
    audio = np.where((t >= 1.0) & (t < 2.7), 0.2 * np.sin(2 * np.pi * 220 * t), 0.0)
    audio = audio + 0.0005 * np.random.default_rng(3).standard_normal(len(t))
    call.agent_audio(audio.astype(np.float32), True)
    call.recognizer = Recogniser(call, 1.05, word_end)
    call.line_ended(LineEnd("agent", "the agent hung up (BYE)", None, True, 3 * RATE))
    return call


def verdict_of(call: SipCall) -> ev.FarEndVerdict:
    return next(e for e in call.events if isinstance(e, ev.FarEndVerdict))


def test_a_last_word_that_runs_to_the_end_of_the_audio_is_cut_mid_word():
    verdict = verdict_of(ended_call(word_end=2.97))
    assert verdict.cut and verdict.agent_hung_up
    assert "ended mid-word" in verdict.cut_why


def test_a_last_word_that_ended_before_the_audio_did_is_not_cut():
    call = ended_call(word_end=2.68)
    verdict = verdict_of(call)
    assert not verdict.cut, verdict.cut_why
    assert "quiet at the end" in verdict.cut_why
    row = next(e for e in call.events if isinstance(e, ev.AgentSpeech))
    # The row itself is snapped to the agent's sound, not vosk's estimate.
    assert row.end == pytest.approx(2.7, abs=0.011) and not row.cut_short
