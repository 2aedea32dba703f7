"""Echo cancellation and noise suppression on real speech, through the real WebRTC module.

The agent's and the caller's voices are made with espeak-ng; a room is simulated in
numpy (the agent's voice comes back late and quieter, over noise) and fed through
CaptureProcessor block by block, the way the audio pump feeds it: each speaker block
when the player hands it to the device, some blocks before it is heard, and each
microphone block as it is captured. The virtual-device tests (tests/integration/test_echo.py) do the
same through PulseAudio."""

from __future__ import annotations

import numpy as np
import pytest

from console.audio import echo
from console.audio.echo import (
    CaptureProcessor,
    ProcessingSettings,
    ProcessingUnavailable,
    module_delay,
)
from console.audio.echo_watch import EchoWatch, FarEnd, echo_message
from console.speech.synth import Synthesizer

RATE = 16000
BLOCK = 160
AHEAD = 4  # the speaker's blocks arrive this many blocks before the microphone's
AGENT = (
    "Hi Alex, this is Sam from Acme Solar. Do you have a minute to talk about your "
    "energy bill? We can cut it by a third with panels on your roof."
)
CALLER = "Yes, I have a minute. Tell me more."


@pytest.fixture(scope="module")
def voices():
    synth = Synthesizer(RATE)
    try:
        yield synth.render_now(AGENT), synth.render_now(CALLER, wpm=140)
    finally:
        synth.close()


def room(far: np.ndarray, delay_s: float, gain_db: float, noise_rms: float = 0.003):
    """The microphone of a speakerphone: the far end late and quieter, plus noise."""
    d = int(delay_s * RATE)
    mic = np.zeros(len(far) + RATE, np.float32)
    mic[d : d + len(far)] += far * 10 ** (gain_db / 20)
    mic += np.random.default_rng(3).normal(0, noise_rms, len(mic)).astype(np.float32)
    return mic


def run(mic: np.ndarray, far: np.ndarray, settings=None, ahead: int = AHEAD, switches=None):
    """Feed speaker and microphone blocks as the pump does; returns (processed, proc).
    Each speaker block is handed over `ahead` blocks before the microphone block that
    is captured as it is heard (negative: after). `switches`: {sample: settings} applied
    there, as a mid-call edit would be."""
    proc = CaptureProcessor(RATE, settings or ProcessingSettings())
    switches = switches or {}
    ref = np.zeros(len(mic) + abs(ahead) * BLOCK + BLOCK, np.float32)
    ref[: len(far)] = far[: len(ref)]
    out = []
    n = len(mic) // BLOCK * BLOCK
    for k in range(0, n, BLOCK):
        played = k + ahead * BLOCK
        if played >= 0:
            proc.render(ref[played : played + BLOCK])
        if k in switches:
            out.append(proc.configure(switches[k]))
        out.append(proc.push(mic[k : k + BLOCK]))
    return np.concatenate(out), proc


def whole(far: np.ndarray) -> FarEnd:
    """A far end holding all of `far` from session sample 0."""
    far_end = FarEnd(RATE, seconds=len(far) / RATE + 1)
    far_end.add(0, 0, far)
    return far_end


def power_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20))


def lag_of(a: np.ndarray, b: np.ndarray, span: int = 800) -> int:
    """The lag of a's correlation peak against b (positive: a is late)."""
    n = min(len(a), len(b))
    c = np.fft.irfft(np.fft.rfft(a[:n], 2 * n) * np.conj(np.fft.rfft(b[:n], 2 * n)))
    lags = np.concatenate([np.arange(0, span), np.arange(-span, 0)])
    values = np.concatenate([c[:span], c[-span:]])
    return int(lags[np.argmax(values)])


@pytest.mark.parametrize("delay_s", [0.0, 0.04, 0.2])
def test_the_agents_voice_is_removed_from_the_microphone(voices, delay_s):
    """A laptop (the echo at once), the virtual room (40 ms), a big room (200 ms)."""
    far, _ = voices
    mic = room(far, delay_s, -6.0)
    out, proc = run(mic, far)
    n = len(out)
    # After the first second (the canceller converges within it), the echo is 25 dB down.
    erle = power_db(mic[RATE:n]) - power_db(out[RATE:n])
    assert erle > 25, f"echo only {erle:.1f} dB down"
    assert proc.rendered == proc.consumed == n + proc.delay


def test_a_reference_that_comes_after_its_echo_is_useless(voices):
    """Why the speaker's blocks are fed as they are handed over, never later: handed to
    the canceller after the microphone block that holds their echo, they cancel nothing."""
    far, _ = voices
    mic = room(far, 0.0, -6.0)
    out, _ = run(mic, far, ahead=-2)
    assert power_db(mic[RATE : len(out)]) - power_db(out[RATE:]) < 10


def test_without_cancellation_the_echo_stays(voices):
    far, _ = voices
    mic = room(far, 0.04, -6.0)
    out, _ = run(mic, far, ProcessingSettings(echo_cancellation=False))
    assert power_db(mic[RATE : len(out)]) - power_db(out[RATE:]) < 3


def test_the_caller_is_kept_in_double_talk(voices):
    """The caller speaks over the agent: the caller's voice comes through."""
    far, near = voices
    mic = room(far, 0.04, -6.0)
    at = 2 * RATE
    mic[at : at + len(near)] += near
    out, _ = run(mic, far)
    span = slice(at, at + len(near))
    caller_kept = power_db(out[span]) - power_db(near)
    echo_left = power_db(out[RATE:at]) - power_db(mic[RATE:at])
    print(f"caller {caller_kept:.1f} dB, echo {echo_left:.1f} dB")
    assert caller_kept > -6, f"the caller came through {caller_kept:.1f} dB down"
    assert caller_kept - echo_left > 20


def test_the_processed_stream_lines_up_with_the_raw_one(voices):
    """The module's own delay (14 ms) is taken back out: sample i is raw sample i, so word
    times stay session times and the two recordings agree."""
    _, near = voices
    mic = np.concatenate([np.zeros(RATE // 2, np.float32), near, np.zeros(RATE, np.float32)])
    out, proc = run(mic, np.zeros(1, np.float32))
    assert module_delay(RATE, ProcessingSettings()) == proc.delay > 0
    assert abs(lag_of(out, mic)) <= 2  # the delay is measured on a chirp, to a sample or two
    assert proc.emitted == len(out) == proc.received - proc.delay
    assert proc.added_latency_s() == pytest.approx(proc.delay / RATE)


def test_settings_change_mid_stream_without_a_gap(voices):
    """Off mid-call: what the old module still held comes out raw, then raw follows; on
    again: processed again. The stream never loses or repeats a sample."""
    far, _ = voices
    mic = room(far, 0.04, -6.0)
    third = len(mic) // 3 // BLOCK * BLOCK
    off, aec_only = ProcessingSettings(False, False), ProcessingSettings(True, False)
    stream, proc = run(mic[: 3 * third], far, switches={third: off, 2 * third: aec_only})
    assert len(stream) == 3 * third - proc.delay == proc.emitted
    middle = slice(third, 2 * third)
    np.testing.assert_allclose(stream[middle], mic[middle], atol=1e-6)  # off: raw, in place
    assert (
        power_db(mic[third - RATE // 2 : third]) - power_db(stream[third - RATE // 2 : third]) > 20
    )
    late = slice(2 * third + RATE // 2, len(stream))
    assert power_db(mic[late]) - power_db(stream[late]) > 20  # on again: cancelled


def test_a_rate_the_module_cannot_take_is_said_in_words():
    with pytest.raises(ProcessingUnavailable, match=r"8,000 to 48,000 Hz.*22,050 Hz"):
        CaptureProcessor(22050, ProcessingSettings())


def test_a_module_that_fails_mid_call_falls_back_to_the_raw_microphone(voices, monkeypatch):
    """The native module raising (it cannot be made to fail on purpose): one message, and
    the stream goes on raw, aligned, without a gap."""
    far, _ = voices
    mic = room(far, 0.04, -6.0)[: 2 * RATE]
    told: list[str] = []
    proc = CaptureProcessor(RATE, ProcessingSettings(), on_failure=told.append)
    out = [proc.push(mic[k : k + BLOCK]) for k in range(0, RATE, BLOCK)]

    def broken(near, far):
        raise RuntimeError("apm error -11")

    monkeypatch.setattr(proc._module, "process", broken)
    out += [proc.push(mic[k : k + BLOCK]) for k in range(RATE, 2 * RATE, BLOCK)]
    stream = np.concatenate(out)
    assert told == ["echo cancellation stopped working (apm error -11); the raw microphone is used"]
    assert len(stream) == 2 * RATE
    np.testing.assert_allclose(stream[RATE:], mic[RATE : 2 * RATE], atol=1e-6)


def test_the_far_end_follows_drift_but_not_jitter():
    far_end = FarEnd(RATE)
    block = np.ones(BLOCK, np.float32)
    for k in range(0, 50 * BLOCK, BLOCK):
        far_end.add(k, k + 1000 + (k // BLOCK) % 5 - 2, block)  # +-2 samples of jitter
    assert far_end.reanchors == 0 and far_end.end == 50 * BLOCK + 1000 - 2
    far_end.add(50 * BLOCK, 50 * BLOCK + 1000 + 200, block)  # the clock moved 12 ms
    assert far_end.reanchors == 1
    got = far_end.get(50 * BLOCK + 900, 600)
    assert got[:98].all() and not got[98:300].any() and got[300:460].all()  # gap is silence


def test_the_echo_watch_hears_the_agent_on_the_microphone(voices):
    far, _ = voices
    watch = EchoWatch(RATE, whole(far))
    mic = room(far, 0.04, -6.0)
    heard = [h for k in range(0, len(far), BLOCK) if (h := watch.feed(mic[k : k + BLOCK]))]
    assert len(heard) == 1  # once per call
    h = heard[0]
    assert h.level_db == pytest.approx(-6.0, abs=1.5) and h.delay_s == pytest.approx(
        0.04, abs=0.002
    )
    assert h.t < 2.0
    message = echo_message(h, cancelling=False)
    assert message.startswith("the microphone hears the agent: use echo cancellation or a headset")
    assert "6 dB below what was played, 40 ms later" in message


@pytest.mark.parametrize(
    "case", ["caller over the agent, no echo", "echo below the recogniser's floor", "silence"]
)
def test_the_echo_watch_stays_quiet_without_audible_echo(voices, case):
    far, near = voices
    watch = EchoWatch(RATE, whole(far))
    if case == "caller over the agent, no echo":
        mic = np.zeros(len(far), np.float32)
        for at in range(0, len(far) - len(near), len(near)):
            mic[at : at + len(near)] += near
    elif case == "echo below the recogniser's floor":
        mic = room(far, 0.04, -40.0, noise_rms=0.0005)
    else:
        mic = np.zeros(len(far), np.float32)
    assert not [k for k in range(0, len(far), BLOCK) if watch.feed(mic[k : k + BLOCK])]


def test_what_runs_is_said_for_the_session(voices):
    _, near = voices
    _, proc = run(near, np.zeros(1, np.float32), ProcessingSettings(True, False))
    summary = proc.summary()
    assert summary["engine"].startswith("WebRTC APM (livekit ")
    assert summary["echo_cancellation"] is True and summary["noise_suppression"] is False
    assert summary["module_delay_ms"] == pytest.approx(8.0, abs=0.2)
    assert 0 < summary["cpu_per_audio_s"] < 0.5 and summary["failure"] == ""
    assert ProcessingSettings(True, False).describe() == (
        "echo cancellation on, noise suppression off"
    )
    assert echo.engine_label() == summary["engine"]


CHILD = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s %(message)s")
import numpy as np
from console.audio.echo import CaptureProcessor, ProcessingSettings
proc = CaptureProcessor(16000, ProcessingSettings())
proc.render(np.zeros(1600, np.float32))
print("processed", len(proc.push(np.zeros(1600, np.float32))))
"""


def test_the_native_runtime_never_calls_into_python(tmp_path):
    """LiveKit's runtime forwards its logs to Python from a native thread; one forwarded
    while the interpreter shuts down aborts the process. The console starts the runtime
    with forwarding off: even with every native log asked for, none reaches Python, and
    the process exits cleanly."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEKIT_RTC_DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "processed 1376" in done.stdout
    assert "livekit" not in done.stdout, done.stdout  # no native log record crossed over
