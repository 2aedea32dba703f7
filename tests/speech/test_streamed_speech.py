"""Speak sooner: a long line plays from its first rendered sentence, and is still one
utterance, sample-exact, to the player, the timeline and the recording."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np
import pytest

from console.audio.io import AudioIO, OutputBlock
from console.audio.player import Player
from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.core.engine import Utterance
from console.live.call import LiveCall
from console.live.voice import AudioVoice
from console.speech.synth import Synthesizer, split_sentences
from tests.conftest import EventWaiter, on_virtual_devices
from tests.recording_checks import assert_recording_matches_timeline

RATE = 16000
BLOCK = 160
LONG_LINE = " ".join(
    f"This is sentence number {n} of a long answer that the agent reads out." for n in range(12)
)
LINE = ". ".join(LONG_LINE.split(". ")[:4]) + "."  # four sentences, about 14 s


def play_out(player: Player, blocks: int, frame: int = 0) -> tuple[list, np.ndarray, int]:
    events, out = [], []
    buf = np.zeros(BLOCK, np.float32)
    for _ in range(blocks):
        events += player.fill(buf, frame)
        out.append(buf.copy())
        frame += BLOCK
    return events, np.concatenate(out), frame


def test_pieces_of_one_utterance_are_reported_once_from_first_to_last_sample():
    player = Player(RATE)
    a, b, c = (np.full(n, v, np.float32) for n, v in ((1000, 0.1), (2500, 0.2), (777, 0.3)))
    player.play(5, a, more=True)
    player.play(5, b, more=True)
    player.play(5, c)
    events, out, _ = play_out(player, 40)
    assert [(e.kind, e.utterance_id, e.frame) for e in events] == [
        ("started", 5, 0),
        ("finished", 5, 1000 + 2500 + 777),
    ]
    assert events[0].length == 0  # its length is not known when it starts
    assert np.array_equal(out[:4277], np.concatenate([a, b, c]))
    assert not out[4277:].any()


def test_a_late_piece_leaves_silence_inside_the_utterance_not_a_second_one():
    player = Player(RATE)
    player.play(9, np.full(800, 0.5, np.float32), more=True)
    first, out1, frame = play_out(player, 10)  # 800 samples, then 800 of waiting
    player.play(9, np.full(400, 0.5, np.float32))
    rest, out2, _ = play_out(player, 10, frame)
    assert [e.kind for e in first + rest] == ["started", "finished"]
    assert rest[0].frame == 1600 + 400  # the gap is inside the utterance
    assert not out1[800:].any() and out2[:400].all()
    whole = Player(RATE)
    whole.play(1, np.ones(300, np.float32))  # a whole line still says its length
    started = play_out(whole, 2)[0][0]
    assert (started.kind, started.length) == ("started", 300)


def test_stopping_between_pieces_ends_the_utterance_there():
    player = Player(RATE)
    player.play(3, np.ones(200, np.float32), more=True)
    _, _, frame = play_out(player, 3)
    player.stop(3)
    events, _, frame = play_out(player, 1, frame)
    assert [(e.kind, e.frame) for e in events] == [("stopped", 480)]
    player.play(4, np.ones(100, np.float32))  # the next line starts normally
    events, _, _ = play_out(player, 1, frame)
    assert [e.kind for e in events] == ["started", "finished"]


@pytest.fixture(scope="module")
def synth():
    s = Synthesizer(RATE)
    yield s
    s.close()


def test_streamed_pieces_are_the_sentences_and_join_to_the_whole_line(synth):
    text = "Hello there. This is the second sentence! And the third one, a little longer?"
    pieces: list[tuple[np.ndarray, bool]] = []
    whole = synth.render_stream(text, lambda s, last: pieces.append((s, last))).result(30)
    assert len(pieces) == len(split_sentences(text)) == 3
    assert [last for _, last in pieces] == [False, False, True]
    assert np.array_equal(np.concatenate([p for p, _ in pieces]), whole)
    again: list[tuple[np.ndarray, bool]] = []  # cached now: one piece, at once
    assert synth.render_stream(text, lambda s, last: again.append((s, last))).done()
    assert len(again) == 1 and again[0][1] and again[0][0] is whole


class GatedSynth(Synthesizer):
    """The real synthesiser, holding its second sentence until the test says so: if the
    line were rendered whole before playing, its first sample could never come first."""

    def __init__(self, rate: int) -> None:
        self.gate = threading.Event()
        self.rendered = 0
        super().__init__(rate)

    def _render_piece(self, engine, text, path):
        if self.rendered == 1:
            # Until the test saw the first sample played; the limit only keeps a broken
            # player from hanging the run (15 s was passed once on a loaded CI machine).
            self.gate.wait(90)
        self.rendered += 1
        return super()._render_piece(engine, text, path)


def test_a_long_line_starts_playing_before_its_rendering_is_done(virtual_audio):
    synth = GatedSynth(RATE)
    io = AudioIO(virtual_audio.mic, virtual_audio.speaker, RATE, BLOCK)
    store = ConfigStore(parse_config({}))
    voice = AudioVoice(synth, io.player, host=None, store=store)  # type: ignore[arg-type]
    try:
        io.start()
        finished_rendering = threading.Event()
        voice.play(Utterance(1, LINE, "speech"))
        future = synth.render(LINE)  # queued behind the line: done once it is
        future.add_done_callback(lambda _: finished_rendering.set())
        reports, rendering_done_at_start, pieces_at_start = [], None, None
        deadline = time.monotonic() + 120  # (a loaded machine plays slower than real time)
        while time.monotonic() < deadline and not any(r.kind == "finished" for r in reports):
            try:
                item = io.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if not isinstance(item, OutputBlock):
                continue
            for event in item.events:
                reports.append(event)
                if event.kind == "started":
                    rendering_done_at_start = finished_rendering.is_set()
                    pieces_at_start = synth.rendered
                    synth.gate.set()
    finally:
        io.close()
        synth.close()
    # The player's first sample came while the synthesiser was still on sentence two.
    assert rendering_done_at_start is False and pieces_at_start == 1
    assert [r.kind for r in reports] == ["started", "finished"], reports
    whole = future.result(5)
    assert reports[1].frame - reports[0].frame == len(whole)  # one utterance, every sample


def test_a_streamed_line_is_one_utterance_on_the_timeline_and_in_the_recording(
    virtual_audio, tmp_path
):
    events = EventWaiter()
    store = ConfigStore(
        parse_config(
            {"agent": {"greeting": LONG_LINE[:400], "turn_taking": {"response_delay_ms": 0}}}
        )
    )
    options = on_virtual_devices(virtual_audio, tmp_path, recognise=False)
    call = LiveCall(store, options, listeners=[events])
    call.start()
    try:
        assert call.mode.startswith("audio"), call.notices
        said = events.wait(ev.AgentSpeech, 60)
        call.tester_hang_up()
        events.wait(ev.LineDropped)
        assert call.wait(10)
    finally:
        call.close()
    # Twelve sentences, streamed as twelve pieces: one line on the timeline, whole.
    assert len(split_sentences(said.text)) > 3
    assert len(events.of(ev.SpeechStarted)) == 1 and len(events.of(ev.AgentSpeech)) == 1
    assert not said.cut_short and said.text == LONG_LINE[:400]
    # Its span is where the recording has the agent's audio, and no audio is outside it.
    # (Its length in seconds is the session clock's business: under load the clock's
    # mapping of output frames drifts, which the player's frame counts above do not.)
    assert_recording_matches_timeline(call.session_dir, events.of(ev.Event), 2 * BLOCK / RATE)
