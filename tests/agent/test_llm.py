"""The LLM agent against a real HTTP server on 127.0.0.1 speaking chat completions."""

from __future__ import annotations

import pytest

from console.agent.llm import LLMAgent, LLMSettings, list_models
from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.live.call import LiveCall, LiveOptions
from tests.agent.fake_llm import FakeLLM, Reply
from tests.conftest import EventWaiter

PROMPT = 'You are Sam. Ask if they are ready. If they say no, call end_call and say "Bye."'


def start_call(
    llm: FakeLLM,
    tmp_path,
    stream: bool = True,
    timeout_s: float = 5.0,
    llm_options: dict | None = None,
    **cfg,
):
    data = {
        "agent": {
            "main_prompt": PROMPT,
            "greeting": "Hi, are you ready?",
            "turn_taking": {"drop_guard_ms": 100},
        },
        "end_call": {},
    }
    for path, value in cfg.items():
        section, key = path.split("__")
        data.setdefault(section, {})[key] = value
    store = ConfigStore(parse_config(data))
    rec = EventWaiter()
    settings = LLMSettings(
        base_url=llm.url,
        model="tiny-model",
        stream=stream,
        timeout_s=timeout_s,
        api_key="sk-test-SECRET",
        **(llm_options or {}),
    )
    call = LiveCall(
        store,
        LiveOptions(text_only=True, sessions_dir=tmp_path),
        agent=LLMAgent(settings),
        listeners=[rec],
    )
    call.start()
    rec.wait(ev.AgentSpeech)  # the greeting
    return call, rec


@pytest.mark.parametrize("stream", [True, False])
def test_model_ends_the_call_with_its_reason_and_a_generated_goodbye(llm, tmp_path, stream):
    llm.replies.put(Reply(tool_calls=[("end_call", '{"reason": "contact declined"}')]))
    llm.replies.put(Reply(text="Thanks for your time, goodbye!"))
    call, rec = start_call(llm, tmp_path, stream=stream)
    try:
        call.say("no thanks")
        action = rec.wait(ev.ActionInvoked)
        drop = rec.wait(ev.LineDropped)
    finally:
        call.close()
    assert "contact declined" in action.why and action.trigger_words == "no thanks"
    goodbye = rec.of(ev.Goodbye)[0]
    assert goodbye.text == "Thanks for your time, goodbye!" and goodbye.source == "main_prompt"
    assert drop.t >= goodbye.end
    calls = rec.of(ev.ModelCall)
    reply = next(c for c in calls if c.purpose == "reply")
    assert reply.tool_calls == [{"name": "end_call", "arguments": '{"reason": "contact declined"}'}]
    # A first token can be timed only when the reply streams; otherwise there is none.
    assert (reply.ttft_s is not None) == stream
    assert reply.ttft_s is None or reply.total_s >= reply.ttft_s
    assert any(c.purpose == "goodbye" for c in calls)
    # the goodbye request follows the main prompt and the conversation
    goodbye_request = llm.requests[-1]
    assert goodbye_request["messages"][0]["content"] == PROMPT
    assert any(m.get("content") == "no thanks" for m in goodbye_request["messages"])
    # the key never reaches the session
    for path in call.session_dir.iterdir():
        assert "SECRET" not in path.read_text(errors="replace")


def test_tool_offered_has_the_configured_name_after_a_live_edit(llm, tmp_path):
    llm.replies.put(Reply(text="Sure."))
    llm.replies.put(Reply(text="Okay."))
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("hello")
        rec.wait(ev.ModelCall)
        call.edit({"end_call.name": "hang_up", "end_call.description": "Use when they leave."})
        call.say("still here")
        rec.wait(ev.ModelCall, where=lambda e: len(rec.of(ev.ModelCall)) >= 2)
    finally:
        call.close()
    first, second = (r["tools"][0]["function"] for r in llm.requests[:2])
    assert first["name"] == "end_call"
    assert (second["name"], second["description"]) == ("hang_up", "Use when they leave.")
    assert second["parameters"]["required"] == ["reason"]
    assert list(second["parameters"]["properties"]) == ["reason"]  # no farewell: not ElevenLabs


def test_skip_goodbye_no_goodbye_request(llm, tmp_path):
    llm.replies.put(Reply(tool_calls=[("end_call", '{"reason": "voicemail"}')]))
    call, rec = start_call(llm, tmp_path, end_call__skip_goodbye=True)
    try:
        call.say("please leave a message")
        action = rec.wait(ev.ActionInvoked)
        drop = rec.wait(ev.LineDropped)
    finally:
        call.close()
    assert drop.t == action.t and rec.of(ev.Goodbye) == []
    assert len(llm.requests) == 1  # no goodbye was asked for


def test_goodbye_prompt_drives_the_generation(llm, tmp_path):
    llm.replies.put(Reply(tool_calls=[("end_call", '{"reason": "done"}')]))
    llm.replies.put(Reply(text="Cheers, Alex!"))
    call, rec = start_call(llm, tmp_path, end_call__goodbye_prompt="Thank Alex by name.")
    try:
        call.say("that's all")
        rec.wait(ev.LineDropped)
    finally:
        call.close()
    goodbye = rec.of(ev.Goodbye)[0]
    assert goodbye.source == "goodbye_prompt" and goodbye.text == "Cheers, Alex!"
    assert "Thank Alex by name." in llm.requests[-1]["messages"][-1]["content"]


def test_the_model_gets_the_prompt_with_its_variables_filled_in(llm, tmp_path):
    """An imported agent's `{{customer_name}}` reaches the model as the name, in the system
    prompt, the greeting and the goodbye instruction alike; one without a value stays as
    written, so a tester sees which."""
    llm.replies.put(Reply(tool_calls=[("end_call", '{"reason": "done"}')]))
    llm.replies.put(Reply(text="Bye, Dana!"))
    call, rec = start_call(
        llm,
        tmp_path,
        agent__main_prompt="You are Sam, calling {{customer_name}} about {{ plan }}. {{unset}}",
        agent__greeting="Hi {{customer_name}}, this is {agent_name}.",
        agent__name="Sam",
        agent__variables={"customer_name": "Dana", "plan": "the gold plan"},
        end_call__goodbye_prompt="Thank {{customer_name}} by name.",
    )
    try:
        call.say("that's all")
        rec.wait(ev.LineDropped)
    finally:
        call.close()
    assert rec.of(ev.AgentSpeech)[0].text == "Hi Dana, this is Sam."
    system = llm.requests[0]["messages"][0]["content"]
    assert system == "You are Sam, calling Dana about the gold plan. {{unset}}"
    assert llm.requests[0]["messages"][1]["content"] == "Hi Dana, this is Sam."
    assert "Thank Dana by name." in llm.requests[-1]["messages"][-1]["content"]


def test_text_beside_the_tool_call_is_spoken_first_and_said_so(llm, tmp_path):
    llm.replies.put(
        Reply(
            text="Alright, I understand.", tool_calls=[("end_call", '{"reason": "not interested"}')]
        )
    )
    llm.replies.put(Reply(text="Goodbye!"))
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("not interested")
        action = rec.wait(ev.ActionInvoked)
        rec.wait(ev.LineDropped)
    finally:
        call.close()
    said = [e for e in rec.of(ev.AgentSpeech) if e.text == "Alright, I understand."]
    assert said and said[0].end <= action.t + 1e-6
    reply = next(c for c in rec.of(ev.ModelCall) if c.purpose == "reply")
    assert "spoken before the action" in reply.outcome


def test_speech_starts_on_the_first_sentence(llm, tmp_path):
    llm.replies.put(
        Reply(
            text="Great question. Here is a long second part of the answer.",
            pause_after_first_sentence_s=1.5,
        )
    )
    call, rec = start_call(llm, tmp_path)
    try:
        call.say("how does it work?")
        first = rec.wait(ev.AgentSpeech, where=lambda e: e.text == "Great question.")
        done = rec.wait(ev.ModelCall)
    finally:
        call.close()
    # the first sentence started playing before the model had finished its reply
    assert first.start < done.t + done.total_s - 1.0


@pytest.mark.parametrize(
    "reply,expect",
    [
        (Reply(status=500), "answered HTTP 500"),
        (Reply(delay_s=3.0), "did not answer within 1 s"),
        (Reply(garbage=True), "could not be read"),
        (Reply(text="One two three four five.", cut_after_words=2), "stopped before it finished"),
        (Reply(tool_calls=[("hang_up_now", "{}")]), "the model called 'hang_up_now'"),
        (Reply(text="", tool_calls=[]), "empty reply"),
    ],
)
def test_faults_are_readable_and_the_call_goes_on(llm, tmp_path, reply, expect):
    llm.replies.put(reply)
    llm.replies.put(Reply(text="Still here."))
    call, rec = start_call(llm, tmp_path, timeout_s=1.0)
    try:
        call.say("hello?")
        notice = rec.wait(ev.Notice, timeout=15, where=lambda e: expect in e.message)
        call.say("are you there?")
        rec.wait(ev.AgentSpeech, timeout=15, where=lambda e: e.text == "Still here.")
        assert call.engine.active
    finally:
        call.close()
    assert notice.source in ("agent", "backend")


def test_malformed_arguments_still_end_the_call_with_a_warning(llm, tmp_path):
    llm.replies.put(Reply(tool_calls=[("end_call", "{reason: nope")]))
    call, rec = start_call(llm, tmp_path, end_call__skip_goodbye=True)
    try:
        call.say("bye")
        rec.wait(ev.LineDropped)
    finally:
        call.close()
    assert any("not JSON" in n.message for n in rec.of(ev.Notice))


def test_endpoint_down_ends_the_call_when_configured(tmp_path):
    server = FakeLLM()
    server.close()  # nothing listens there any more
    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "main_prompt": PROMPT,
                    "greeting": "Hi.",
                    "turn_taking": {"on_error": "end"},
                }
            }
        )
    )
    rec = EventWaiter()
    call = LiveCall(
        store,
        LiveOptions(text_only=True),
        agent=LLMAgent(LLMSettings(base_url=server.url, timeout_s=2)),
        listeners=[rec],
    )
    call.start()
    try:
        rec.wait(ev.AgentSpeech)
        call.say("hello")
        drop = rec.wait(ev.LineDropped)
    finally:
        call.close()
    assert drop.reason == "error" and "cannot reach" in drop.detail


def test_model_list_and_connection_errors(llm):
    assert list_models(LLMSettings(base_url=llm.url)) == ["other-model", "tiny-model"]
    with pytest.raises(RuntimeError, match="cannot reach"):
        list_models(LLMSettings(base_url="http://127.0.0.1:9/v1", timeout_s=2))


def test_terminal_call_with_a_model(llm, tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    config = tmp_path / "c.yaml"
    config.write_text(f"agent: {{main_prompt: '{PROMPT}', greeting: 'Hi there.'}}\n")
    llm.replies.put(Reply(tool_calls=[("end_call", '{"reason": "said no"}')]))
    llm.replies.put(Reply(text="Bye now."))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "call",
            "--text",
            "--no-save",
            "--config",
            str(config),
            "--llm",
            llm.url,
            "--llm-model",
            "tiny-model",
        ],
        input="no thanks\n",
        text=True,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reason='said no'" in proc.stdout and '"Bye now."' in proc.stdout
    assert "first token" in proc.stdout


def test_an_elevenlabs_agent_says_the_farewell_the_model_passes_with_end_call(llm, tmp_path):
    """ElevenLabs' end_call tool takes an optional `message`: the model writes its own
    goodbye with the call, and the platform speaks it (no second model call)."""
    args = '{"reason": "not interested", "message": "Alright, take care."}'
    llm.replies.put(Reply(tool_calls=[("end_call", args)]))
    call, rec = start_call(llm, tmp_path, platform__name="elevenlabs")
    try:
        call.say("no thanks")
        drop = rec.wait(ev.LineDropped)
    finally:
        call.close()
    offered = llm.requests[0]["tools"][0]["function"]["parameters"]
    assert offered["properties"]["message"]["type"] == "string"
    assert offered["required"] == ["reason"]  # the farewell is the model's choice
    goodbye = rec.of(ev.Goodbye)[0]
    assert (goodbye.text, goodbye.source) == ("Alright, take care.", "tool_message")
    assert drop.reason == "end_call_action" and drop.t >= goodbye.end
    assert len(llm.requests) == 1  # no goodbye was generated beside it
