"""The agent's voice through real audio: synthesise on the TTS thread, play in the callback."""

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
        future = self.synth.render(utterance.text, voice.name, voice.rate_wpm)
        self.synth.on_ready(future, lambda samples, error: self._ready(utterance, samples, error))

    def _ready(self, utterance: Utterance, samples: np.ndarray | None, error: str) -> None:
        if samples is None:
            uid = utterance.id

            def fail(engine) -> None:
                engine.fault("speech", error)
                engine.agent_audio_finished(uid)

            self.host.submit(fail)
            return
        if utterance.id not in self._stopped and not self._dropped:
            self.player.play(utterance.id, samples)

    def stop(self, utterance_id: int) -> None:
        self._stopped.add(utterance_id)
        self.player.stop(utterance_id)

    def line_dropped(self) -> None:
        self._dropped = True
        self.player.drop_line()
