"""The tester's own devices on a SIP call: the agent heard on the speaker, the
microphone sent over RTP (virtual PulseAudio devices the test session starts)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from console.audio.devices import open_stream, resolve
from console.audio.inject import Injector
from console.core import events as ev
from console.session.layout import RECORDING_FILE
from console.sip.account import SipAccount
from console.sip.call import SipCall, SipCallOptions, wait_until
from tests.sip.conftest import espeak, loud_runs

RATE = 16000
pytestmark = pytest.mark.usefixtures("sip_required")


class Monitor:
    """What the console's speaker played (the virtual sink's monitor)."""

    def __init__(self, device: str) -> None:
        self.blocks: list[np.ndarray] = []
        self.stream = open_stream(
            "input", resolve(device, "input"), samplerate=RATE, blocksize=160, callback=self._cb
        )
        self.stream.start()

    def _cb(self, indata, frames, t, status) -> None:
        self.blocks.append(indata[:, 0].copy())

    def loud_seconds(self) -> float:
        data = np.concatenate(self.blocks) if self.blocks else np.zeros(0)
        runs = loud_runs(data, RATE)
        return sum(b - a for a, b in runs)

    def close(self) -> None:
        self.stream.abort()
        self.stream.close()


def test_speaker_and_microphone_on_a_sip_call(virtual_audio, far_agent, voice_lines, tmp_path):
    import soxr

    far = far_agent("normal")
    line, rate = sf.read(
        espeak("No, that's all, thanks.", tmp_path / "caller.wav"), dtype="float32"
    )
    line = soxr.resample(line, rate, RATE).astype(np.float32)
    monitor = Monitor(virtual_audio.speaker_monitor)
    injector = Injector(virtual_audio.caller_sink, RATE)
    call = SipCall(
        SipAccount.from_input(far.uri),
        SipCallOptions(
            sessions_dir=tmp_path,
            recognise=False,
            speak=False,
            input_device=virtual_audio.mic,
            output_device=virtual_audio.speaker,
        ),
    )
    try:
        injector.wait_steady()
        call.start()
        assert wait_until(lambda: call.track.sound_since(0.0) and call.track.quiet_for() >= 0.7, 20)
        injector.play(line)[1].result(15)
        far.wait_for("caller_spoke", 20)  # the agent heard the microphone over RTP
        assert call.wait(30)
    finally:
        call.close()
        injector.close()
        monitor.close()
    assert next(e for e in call.events if isinstance(e, ev.LineDropped)).reason == "agent_hung_up"
    assert set(call.devices) == {"output", "input"}
    # The speaker played the agent's two lines (as long as the recording holds them).
    data, rate = sf.read(call.session_dir / RECORDING_FILE)
    agent_s = sum(b - a for a, b in loud_runs(data[:, 1], rate))
    assert agent_s > 3.0 and abs(monitor.loud_seconds() - agent_s) <= 0.3 * agent_s
    # The microphone's words are on the caller channel, about as long as they were said.
    caller = loud_runs(data[:, 0], rate)
    assert len(caller) == 1, caller
    said = loud_runs(line, RATE)
    assert abs((caller[0][1] - caller[0][0]) - (said[-1][1] - said[0][0])) <= 0.1
