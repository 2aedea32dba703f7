"""The real vosk engine, streaming, on English speech made with espeak-ng.

The model is Korean (the only one a package ships): the words come out Korean, so the
tests check streaming, partial and final results, word times and endpointing, not the
English words."""

from __future__ import annotations

import queue
import time

import numpy as np
import pytest

from console.speech.recognizer import Recognised, StreamingRecognizer
from console.speech.synth import Synthesizer, split_sentences
from tests.parts import korean_model_path

RATE = 16000


@pytest.fixture(scope="module")
def model():
    import vosk

    vosk.SetLogLevel(-1)
    return vosk.Model(str(korean_model_path()))


@pytest.fixture(scope="module")
def synth():
    s = Synthesizer(RATE)
    yield s
    s.close()


def stream(rec: StreamingRecognizer, audio: np.ndarray, block: int = 320) -> None:
    for i in range(0, len(audio), block):
        rec.feed(audio[i : i + block])


def run(model, audio: np.ndarray, endpoint_s: float) -> tuple[list[Recognised], list[str]]:
    finals: queue.SimpleQueue[Recognised] = queue.SimpleQueue()
    partials: list[str] = []
    rec = StreamingRecognizer(
        model, RATE, endpoint_s, finals.put, lambda text, start: partials.append(text)
    )
    stream(rec, audio)
    rec.close()
    out = []
    while not finals.empty():
        out.append(finals.get())
    return out, partials


def test_streaming_gives_partials_then_finals_with_word_times(model, synth):
    speech = synth.render_now("Yes, I have a minute to talk about my energy bill.", wpm=160)
    lead, gap = np.zeros(RATE // 2, np.float32), np.zeros(RATE * 2, np.float32)
    audio = np.concatenate([lead, speech, gap, speech, gap])
    finals, partials = run(model, audio, endpoint_s=1.0)
    assert partials, "no partial results while speaking"
    assert len(finals) == 2, [f.text for f in finals]
    first_start, first_end = 0.5, 0.5 + len(speech) / RATE
    second_start = first_end + 2.0
    a, b = finals
    # Word times are positions in the stream: they fall where the speech was.
    assert first_start - 0.2 <= a.start < a.end <= first_end + 0.2
    assert second_start - 0.2 <= b.start < b.end <= second_start + len(speech) / RATE + 0.2
    assert all(w.start <= w.end for w in a.words) and a.words[0].start == a.start


def test_end_of_utterance_silence_is_configurable(model, synth):
    speech = synth.render_now("Hello, who is calling please?", wpm=170)
    audio = np.concatenate(
        [np.zeros(RATE // 4, np.float32), speech, np.zeros(RATE * 3, np.float32)]
    )

    def final_position(endpoint_s: float) -> float:
        seen: list[float] = []
        rec = StreamingRecognizer(model, RATE, endpoint_s, lambda r: seen.append(rec.position))
        stream(rec, audio)
        rec.close()
        assert seen, f"no final with endpoint {endpoint_s}"
        return seen[0]

    quick, slow = final_position(0.3), final_position(1.5)
    speech_end = 0.25 + len(speech) / RATE
    assert quick < slow
    assert quick - speech_end < 0.9


def test_decoder_is_flushed_early_while_the_endpoint_silence_runs(model, synth):
    speech = synth.render_now("Yes, I am ready.", wpm=170)
    lead = np.zeros(RATE // 2, np.float32)
    finals: list[Recognised] = []
    rec = StreamingRecognizer(model, RATE, 1.0, finals.append, early_flush_s=0.1)
    stream(rec, np.concatenate([lead, speech, np.zeros(int(RATE * 0.3), np.float32)]))
    deadline = time.monotonic() + 10
    while rec.position < 0.5 + len(speech) / RATE + 0.29 and time.monotonic() < deadline:
        time.sleep(0.01)
    # 0.3 s of quiet: flushed (also at the comma's pause), nothing delivered yet: the
    # endpoint is 1.0 s.
    flushed = rec.flushes
    assert flushed >= 1 and finals == []
    stream(rec, np.zeros(RATE, np.float32))
    rec.close()
    # The endpoint delivers the held words without flushing again.
    assert len(finals) == 1 and rec.flushes == flushed


def test_a_pause_shorter_than_the_endpoint_keeps_one_utterance(model, synth):
    first = synth.render_now("Yes, I am ready.", wpm=170)
    second = synth.render_now("Tell me about the offer.", wpm=170)
    lead, pause = np.zeros(RATE // 2, np.float32), np.zeros(int(RATE * 0.3), np.float32)
    audio = np.concatenate([lead, first, pause, second, np.zeros(RATE * 2, np.float32)])
    finals, _ = run(model, audio, endpoint_s=0.8)
    assert len(finals) == 1, [f.text for f in finals]
    second_start = 0.5 + (len(first) + len(pause)) / RATE
    (only,) = finals
    assert only.start < 0.5 + len(first) / RATE < second_start - 0.1 < only.end


def test_close_without_flush_drops_pending_words(model, synth):
    speech = synth.render_now("One two three four five", wpm=170)
    finals, _ = run(model, speech, endpoint_s=5.0)  # never silent long enough
    assert finals == []


def test_recognition_keeps_up_with_real_time(model, synth):
    speech = synth.render_now("This is a longer line of speech for the speed check. " * 3)
    finals: list[Recognised] = []
    rec = StreamingRecognizer(model, RATE, 0.5, finals.append)
    t0 = time.perf_counter()
    stream(rec, np.concatenate([speech, np.zeros(RATE, np.float32)]))
    rec.close()
    assert rec.cpu_s > 0
    # Not a speed budget (that is bench/); a sanity check that it streams at all.
    assert time.perf_counter() - t0 < 10 * len(speech) / RATE


def test_synth_renders_trims_and_caches(synth):
    a = synth.render_now("Thanks for your time.")
    assert 0.6 < len(a) / RATE < 2.5
    assert abs(a[:40]).max() > 0 or abs(a[40:400]).max() > 0.001  # starts with speech
    assert synth.render_now("Thanks for your time.") is a  # cached
    slow = synth.render_now("Thanks for your time.", wpm=110)
    assert len(slow) > len(a) * 1.2


def test_synth_long_text_is_split_and_complete(synth):
    long = "Hello there. " * 30
    samples = synth.render_now(long)
    assert len(samples) / RATE > 15
    assert all(len(p) <= 180 for p in split_sentences("word " * 200))
