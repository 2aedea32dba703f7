"""A model's streamed text made fit to speak (console/agent/model_text.py): the cost of a
long stream that never ends a sentence, and how such text is cut into pieces to speak."""

from __future__ import annotations

import tracemalloc

from console.agent.model_text import MAX_UNBROKEN, SpokenText, clean_reply

PIECE = "word " * 10  # 50 characters, no sentence end: a model that rambles


def memory_allocated_feeding(chars: int) -> int:
    """The memory each feed newly allocates, summed over a stream of `chars` characters:
    what the text handling copies, counted without a clock (a feed that copies all the
    text so far allocates all of it again)."""
    spoken = SpokenText()
    spoken.feed(PIECE)  # the first use of the patterns is not part of the count
    total = 0
    tracemalloc.start()
    try:
        for _ in range(chars // len(PIECE)):
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            spoken.feed(PIECE)
            total += tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(spoken.raw) == chars // len(PIECE) * len(PIECE) + len(PIECE)
    return total


def test_a_long_stream_with_no_sentence_end_costs_work_in_proportion_to_its_length():
    small, large = memory_allocated_feeding(50_000), memory_allocated_feeding(200_000)
    # Four times the text: about four times the work. Copying all that came before at
    # every chunk (or every sentence handed out) makes it about sixteen times.
    assert large < 6 * small, (small, large)


def test_text_with_no_sentence_end_is_spoken_in_pieces_cut_at_spaces():
    text = " ".join(f"w{i}" for i in range(600))  # about 2,900 characters, no end
    streamed = SpokenText()
    pieces = streamed.feed(text) + streamed.finish()
    assert all(0 < len(p) <= MAX_UNBROKEN for p in pieces), [len(p) for p in pieces]
    assert " ".join(pieces) == text == streamed.spoken  # nothing lost, no word split
    assert clean_reply(text) == (text, [])
