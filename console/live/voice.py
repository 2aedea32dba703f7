"""The agent's voice through real audio: synthesise on the TTS thread, play in the callback.

Lines are streamed: each sentence goes to the player as soon as it is rendered, so a long
line starts after its first sentence instead of after the whole text. The player still
reports the line once, from its first sample to one past its last (console/audio/
player.py), so on the timeline it is one utterance however many pieces it came in.
Goodbyes are the exception: they play whole, so the player knows their length when they
start, and the goodbye's audibility verdict can say how much of it was missing.
"""

from __future__ import annotations

import numpy as np

from console.audio.player import Player
from console.core.config import ConfigStore
from console.core.engine import Utterance
from console.core.host import CallHost
from console.speech.synth import Synthesizer


class AudioVoice:
    """A VoicePort: the engine calls it from its thread; it never blocks that thread."""

    def __init__(self, synth: Synthesizer, player: Player, host: CallHost, store: ConfigStore):
        self.synth = synth
        self.player = player
        self.host = host
        self.store = store
        self._stopped: set[int] = set()
        self._dropped = False

    def play(self, utterance: Utterance) -> None:
        voice = self.store.current.agent.voice
        uid = utterance.id
        whole = utterance.kind == "goodbye"

        def piece(samples: np.ndarray, last: bool) -> None:  # the TTS thread
            if uid not in self._stopped and not self._dropped:
                self.player.play(uid, samples, more=not last)

        if whole:
            future = self.synth.render(utterance.text, voice.name, voice.rate_wpm)
        else:
            future = self.synth.render_stream(utterance.text, piece, voice.name, voice.rate_wpm)
        self.synth.on_ready(
            future, lambda samples, error: self._ready(utterance, samples, error, whole)
        )

    def _ready(
        self, utterance: Utterance, samples: np.ndarray | None, error: str, whole: bool
    ) -> None:
        uid = utterance.id
        if samples is not None:
            if whole and uid not in self._stopped and not self._dropped:
                self.player.play(uid, samples)
            return  # (streamed: every piece has gone to the player)
        self.player.stop(uid)  # pieces already playing end here

        def fail(engine) -> None:
            engine.fault("speech", error)
            engine.agent_audio_finished(uid)

        self.host.submit(fail)

    def stop(self, utterance_id: int) -> None:
        self._stopped.add(utterance_id)
        self.player.stop(utterance_id)

    def line_dropped(self) -> None:
        self._dropped = True
        self.player.drop_line()
