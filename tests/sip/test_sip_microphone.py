"""The tester's own microphone on a SIP call: what they say goes to the agent over RTP, is
recorded on the caller channel, and is recognised into caller rows with their turns, as
on a local call (a turn count of 0 left the verdict's "at which caller turn" empty).

Real parts: the virtual microphone (PulseAudio), the Korean vosk model (English speech
comes out as Korean words: the timing and the turn are tested, not the words), and the
scripted agent on 127.0.0.1, which answers only once it has heard the caller speak.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from console.audio.inject import Injector
from console.core import events as ev
from console.session.layout import RECORDING_FILE
from console.sip.account import SipAccount
from console.sip.call import SipCall, SipCallOptions, wait_until
from tests.conftest import EventWaiter
from tests.sip.conftest import loud_runs

pytestmark = pytest.mark.usefixtures("sip_required")
SAID = "No, that's all, thanks."


@pytest.fixture
def caller_voice():
    from console.speech.synth import Synthesizer

    synth = Synthesizer(16000)
    try:
        yield synth.render_now(SAID, wpm=170)
    finally:
        synth.close()


def test_what_the_tester_says_into_the_microphone_is_a_caller_turn(
    far_agent, virtual_audio, korean_model, caller_voice, tmp_path
):
    far = far_agent("normal", bye_after_s=0.5)
    events = EventWaiter()
    call = SipCall(
        SipAccount.from_input(far.uri),
        SipCallOptions(
            sessions_dir=tmp_path,
            model=korean_model,
            input_device=virtual_audio.mic,
            output_device=virtual_audio.speaker,
        ),
        [events],
    )
    injector = Injector(virtual_audio.caller_sink)
    call.start()
    try:
        injector.wait_steady()
        assert wait_until(
            lambda: call.track.sound_since(0.0) and call.track.quiet_for() >= 0.7, 20
        ), "the agent's greeting never ended"
        injector.play(caller_voice)[1].result(20)
        far.wait_for("caller_spoke")  # the agent heard it over RTP
        said = events.wait(ev.CallerSpeech, 20)
        assert call.wait(30), "the agent never hung up"
    finally:
        call.close()
        injector.close()
    assert said.text.strip() and said.turn == 1
    assert said.end_rule == "silence" and said.end_silence_s is not None
    assert said.heard_at is not None and said.heard_at >= said.end
    assert len([e for e in call.events if isinstance(e, ev.CallerSpeech)]) == 1
    verdict = next(e for e in call.events if isinstance(e, ev.FarEndVerdict))
    assert verdict.agent_hung_up and verdict.caller_turn == 1
    agent = [e for e in call.events if isinstance(e, ev.AgentSpeech)]
    assert [a.turn for a in agent] == [0, 1]  # the goodbye answers caller turn 1
    # The row is where the caller channel has the speech (vosk's word times are session
    # times: the recogniser heard the channel from sample 0).
    data, rate = sf.read(call.session_dir / RECORDING_FILE)
    runs = loud_runs(data[:, 0], rate)
    assert len(runs) == 1, runs
    start, end = runs[0]
    assert start - 0.3 <= said.start <= end and start <= said.end <= end + 0.3
    assert np.abs(data[: int(start * rate) - 1600, 0]).max() < 0.02  # nothing before it
