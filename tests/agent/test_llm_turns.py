"""The LLM agent under the agent contract: turns with identities, bounded replies, clean
speech. A scripted chat-completions server on 127.0.0.1 plays the slow, looping or
template-leaking model a real server can be but cannot be made to be on cue."""

from __future__ import annotations

import time

import pytest

from console.core import events as ev
from tests.agent.fake_llm import FakeLLM, Reply
from tests.agent.test_llm import start_call


def wait_for_requests(llm: FakeLLM, n: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(llm.requests) < n:
        assert time.monotonic() < deadline, f"the server got {len(llm.requests)} requests"
        time.sleep(0.01)


@pytest.mark.parametrize("stream", [True, False])
def test_a_reply_to_a_turn_the_caller_moved_past_is_never_spoken(llm, tmp_path, stream):
    llm.replies.put(Reply(text="Answer to the first line.", delay_s=1.5))
    llm.replies.put(Reply(text="Answer to the second line."))
    call, rec = start_call(llm, tmp_path, stream=stream)
    try:
        call.say("first line")
        wait_for_requests(llm, 1)  # the model is answering turn 1
        call.say("second line")  # the caller moves on before it answers
        rec.wait(ev.AgentSpeech, where=lambda e: e.text == "Answer to the second line.")
        discarded = rec.wait(ev.ReplyDiscarded)
        rec.wait(ev.ModelCall, where=lambda e: "discarded" in e.outcome or "cancel" in e.outcome)
    finally:
        call.close()
    assert (discarded.turn, discarded.superseded_by) == (1, 2)
    spoken = [e.text for e in rec.of(ev.AgentSpeech)]
    assert "Answer to the first line." not in spoken
    # The model saw both lines when it answered the second.
    assert [m["content"] for m in llm.requests[1]["messages"] if m["role"] == "user"] == [
        "first line",
        "second line",
    ]


def test_barge_in_during_a_streamed_reply_never_speaks_its_tail(llm, tmp_path):
    llm.replies.put(
        Reply(text="First sentence here. And the stale tail.", pause_after_first_sentence_s=2.0)
    )
    llm.replies.put(Reply(text="Fresh answer."))
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("tell me more")
        rec.wait(ev.StateChanged, where=lambda e: e.state == "agent_speaking" and e.t > 0.5)
        call.speech_started()  # the caller barges in while the stream is paused
        discarded = rec.wait(ev.ReplyDiscarded)
        # The request is closed, not merely ignored: the server sees its client go while
        # the reply still has its tail to send (so the tail can never arrive).
        dropped = llm.wait_dropped(0)
        call.say("actually, stop")
        rec.wait(ev.AgentSpeech, where=lambda e: e.text == "Fresh answer.")
        spoken = [e.text for e in rec.of(ev.AgentSpeech)]
    finally:
        call.close()
    assert discarded.turn == 1
    assert dropped.sent == "First sentence here."
    assert not any("stale tail" in s for s in spoken), spoken


LONG_FIRST = (
    "First sentence here, and it goes on for a good while so that it is still playing "
    "when the caller speaks over it."
)


@pytest.mark.parametrize(
    "pause_s", [0.0, 2.0], ids=["whole-reply-received", "cancelled-while-streaming"]
)
def test_the_model_is_told_only_what_the_caller_heard_of_a_cut_reply(llm, tmp_path, pause_s):
    llm.replies.put(
        Reply(text=f"{LONG_FIRST} And the stale tail.", pause_after_first_sentence_s=pause_s)
    )
    llm.replies.put(Reply(text="Fresh answer."))
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("tell me more")
        rec.wait(ev.SpeechStarted, where=lambda e: e.text == LONG_FIRST)
        if not pause_s:  # the whole reply is in: its tail waits in the queue
            rec.wait(ev.ModelCall, where=lambda e: e.purpose == "reply")
        call.speech_started()  # the caller talks over the first sentence
        rec.wait(ev.ReplyDiscarded)
        call.say("actually, stop")
        rec.wait(ev.AgentSpeech, where=lambda e: e.text == "Fresh answer.")
    finally:
        call.close()
    said = [m["content"] for m in llm.requests[1]["messages"] if m["role"] == "assistant"]
    assert said == ["Hi, are you ready?", LONG_FIRST]  # the tail was never heard


def test_streamed_tool_call_with_the_name_in_every_chunk_ends_the_call(llm, tmp_path):
    """llama.cpp's server repeats function.name in each streamed chunk."""
    llm.replies.put(
        Reply(tool_calls=[("end_call", '{"reason": "said no"}')], repeat_tool_name=True)
    )
    llm.replies.put(Reply(text="Goodbye then."))
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("no")
        action = rec.wait(ev.ActionInvoked)
        rec.wait(ev.LineDropped)
    finally:
        call.close()
    assert action.action_name == "end_call" and "said no" in action.why
    reply = next(e for e in rec.of(ev.ModelCall) if e.purpose == "reply")
    assert reply.tool_calls == [{"name": "end_call", "arguments": '{"reason": "said no"}'}]
    assert not any("empty reply" in n.message for n in rec.of(ev.Notice))


def test_every_request_is_bounded_by_max_tokens(llm, tmp_path):
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("hello")
        rec.wait(ev.ModelCall)
    finally:
        call.close()
    assert llm.requests[0]["max_tokens"] == 300


@pytest.mark.parametrize(
    "reply,stream",
    [
        (Reply(text=" ".join(["word"] * 40) + ".", word_delay_s=0.2), True),  # never ends
        (Reply(text="Late.", keepalive_s=5.0), True),  # keep-alives only, past the deadline
        (Reply(text="Late.", delay_s=5.0), False),  # not streamed: the whole answer is late
    ],
    ids=["slow-stream", "keep-alives", "not-streamed"],
)
def test_a_reply_past_its_deadline_is_stopped_and_said_so(llm, tmp_path, reply, stream):
    llm.replies.put(reply)
    llm.replies.put(Reply(text="Still here."))
    call, rec = start_call(llm, tmp_path, stream=stream, llm_options={"reply_deadline_s": 1.5})
    try:
        call.say("hello?")
        notice = rec.wait(ev.Notice, where=lambda e: "reply_deadline_s" in e.message)
        # Stopped, not merely reported: the client closed the request before its end
        # (the 5 s timeout, which would have waited for the late answer, did not apply).
        dropped = llm.wait_dropped(0)
        call.say("are you there?")
        rec.wait(ev.AgentSpeech, where=lambda e: e.text == "Still here.")
        spoken = [e.text for e in rec.of(ev.AgentSpeech)]
    finally:
        call.close()
    assert "1.5 s" in notice.message
    assert "Late." not in spoken and dropped.sent != reply.text


def test_chat_template_control_text_is_never_spoken(llm, tmp_path):
    llm.replies.put(Reply(text="Sure, I can help. <|im_end|> <|im_start|>user No thanks."))
    llm.replies.put(Reply(text="Next."))
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("can you help?")
        notice = rec.wait(ev.Notice, where=lambda e: "control text" in e.message)
        rec.wait(ev.AgentSpeech, where=lambda e: e.text == "Sure, I can help.")
        call.say("go on")  # once this is answered, all of the first reply was played
        rec.wait(ev.AgentSpeech, where=lambda e: e.text == "Next.")
        spoken = [e.text for e in rec.of(ev.AgentSpeech)]
    finally:
        call.close()
    assert not any("<|" in s or "No thanks" in s for s in spoken), spoken
    assert "not spoken" in notice.message


def test_a_goodbye_that_reads_back_the_instruction_is_not_played(llm, tmp_path):
    llm.replies.put(Reply(tool_calls=[("end_call", '{"reason": "done"}')]))
    llm.replies.put(Reply(text="[The call is ending now. Reply with only a short goodbye.]"))
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("no")
        drop = rec.wait(ev.LineDropped)
    finally:
        call.close()
    assert rec.of(ev.Goodbye) == []
    assert any("repeated the console's instruction" in n.message for n in rec.of(ev.Notice))
    assert drop.reason == "end_call_action"


def test_time_to_first_token_is_measured_for_an_empty_streamed_reply(llm, tmp_path):
    llm.replies.put(Reply(text=""))
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("hello")
        model = rec.wait(ev.ModelCall, where=lambda e: e.purpose == "reply")
    finally:
        call.close()
    assert model.ttft_s is not None and model.ttft_s <= model.total_s


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text="Here I am.", first_token_after_s=1.0),
        Reply(tool_calls=[("end_call", '{"reason": "done"}')], first_token_after_s=1.0),
    ],
    ids=["text", "tool-call"],
)
def test_time_to_first_token_is_the_first_words_not_an_empty_first_chunk(llm, tmp_path, reply):
    llm.replies.put(reply)
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("hello")
        model = rec.wait(ev.ModelCall, where=lambda e: e.purpose == "reply")
    finally:
        call.close()
    # The server sent an empty chunk at once and its first token a second later.
    assert model.ttft_s is not None and 1.0 <= model.ttft_s <= model.total_s
