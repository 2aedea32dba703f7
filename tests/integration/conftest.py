"""Virtual audio devices for real-audio tests: a PulseAudio server the session owns
(see console/audio/virtual.py for the wiring)."""

from __future__ import annotations

import pytest

from console.audio.virtual import VirtualAudioServer, VirtualAudioUnavailable
from tests.parts import korean_model_path, require


@pytest.fixture(scope="session")
def virtual_audio(tmp_path_factory):
    server = VirtualAudioServer(tmp_path_factory.mktemp("pulse-runtime"))
    try:
        audio = server.start()
    except VirtualAudioUnavailable as exc:
        require(f"AUDIO DEVICES MISSING: {exc}")
    except Exception as exc:  # PortAudio itself unusable
        require(f"AUDIO DEVICES MISSING: PortAudio/sounddevice unusable ({exc})")
    yield audio
    server.stop()


@pytest.fixture(scope="session")
def korean_model():
    import vosk

    vosk.SetLogLevel(-1)
    return vosk.Model(str(korean_model_path()))
