"""The LLM agent against a real llama.cpp server with a real (small) model.

What is tested is the console's handling of a real server's stream, not the model's
judgement: a 270M model answers, but what it says is its own. Where a test needs the
End Call tool, the proxy asks the server for it with tool_choice.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from console.agent.llm import LLMAgent, LLMSettings
from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.live.call import LiveCall, LiveOptions
from tests.conftest import EventWaiter
from tests.llm.server import MODEL_ALIAS
from tests.parts import keep_measurement

ROOT = Path(__file__).resolve().parents[2]
PROMPT = (
    "You are Sam, a friendly caller from Acme Solar. Keep every answer to one or two short "
    "sentences. Ask whether the contact is ready to move forward. If the contact says no, "
    'call end_call and say "Thanks for your time."'
)


def start(url: str, tmp_path, **llm) -> tuple[LiveCall, EventWaiter]:
    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "main_prompt": PROMPT,
                    "greeting": "Hi, this is Sam from Acme Solar.",
                    "turn_taking": {"drop_guard_ms": 100},
                }
            }
        )
    )
    rec = EventWaiter()
    settings = LLMSettings(base_url=url, model=MODEL_ALIAS, **{"max_tokens": 60, **llm})
    call = LiveCall(
        store,
        LiveOptions(text_only=True, sessions_dir=tmp_path),
        agent=LLMAgent(settings),
        listeners=[rec],
    )
    call.start()
    rec.wait(ev.AgentSpeech)  # the greeting
    return call, rec


def test_streamed_text_turn(llama, tmp_path):
    call, rec = start(llama.url, tmp_path)
    try:
        call.say("Hello, who is calling please?")
        model = rec.wait(ev.ModelCall, timeout=60, where=lambda e: e.purpose == "reply")
        rec.wait(ev.AgentSpeech, timeout=60, where=lambda e: e.turn == 1)
    finally:
        call.close()
    assert model.error == "" and model.text.strip()
    assert model.ttft_s is not None and 0 < model.ttft_s <= model.total_s
    spoken = [e.text for e in rec.of(ev.AgentSpeech) if e.turn == 1]
    assert spoken and not any("<" in s and ">" in s for s in spoken)


def test_streamed_tool_call_ends_the_call_with_a_generated_goodbye(llama, proxy, tmp_path):
    proxy.ending_lines.add("No thanks, I am not interested.")
    call, rec = start(proxy.url, tmp_path)
    try:
        call.say("No thanks, I am not interested.")
        action = rec.wait(ev.ActionInvoked, timeout=60)
        drop = rec.wait(ev.LineDropped, timeout=90)
    finally:
        call.close()
    # The server repeats the function name in every streamed chunk: still one call.
    reply = next(e for e in rec.of(ev.ModelCall) if e.purpose == "reply")
    assert [c["name"] for c in reply.tool_calls] == ["end_call"]
    assert action.action_name == "end_call" and action.rule == "model tool call"
    assert drop.reason == "end_call_action"
    goodbye_call = next(e for e in rec.of(ev.ModelCall) if e.purpose == "goodbye")
    assert goodbye_call.error == ""
    goodbyes = rec.of(ev.Goodbye)
    if goodbyes:  # the model's words, whatever they are, played whole before the drop
        assert not goodbyes[0].cut_short and drop.t >= goodbyes[0].end
        assert "call is ending" not in goodbyes[0].text.lower()
    else:  # the console refused what the model produced, and said why
        assert any("goodbye" in n.message for n in rec.of(ev.Notice))


def test_barge_in_during_a_streamed_reply_drops_its_tail(llama, tmp_path):
    call, rec = start(llama.url, tmp_path, max_tokens=120)
    try:
        call.say("Tell me everything about your solar panels, in detail.")
        first = rec.wait(ev.StateChanged, timeout=60, where=lambda e: e.state == "agent_speaking")
        call.speech_started()  # the caller talks over the first sentence
        discard = rec.wait(ev.ReplyDiscarded, timeout=30)
        call.say("Sorry, what was your name?")
        # Until the model has answered turn 2 (the cut reply's record and this one): a
        # stale sentence of turn 1 would have been spoken by then. Whether the small
        # model says anything to turn 2 is its own business (once it said nothing).
        replies = lambda: [  # noqa: E731
            e for e in rec.all if isinstance(e, ev.ModelCall) and e.purpose == "reply"
        ]
        rec.wait(ev.ModelCall, timeout=60, where=lambda e: len(replies()) >= 2)
    finally:
        call.close()
    assert discard.turn == 1 and discard.superseded_by == 2
    late = [e for e in rec.of(ev.AgentSpeech) if e.turn == 1 and e.start > first.t + 0.05]
    assert late == [], [e.text for e in late]


def test_scenarios_run_against_the_real_model(llama, tmp_path):
    scenarios = sorted(str(p) for p in (ROOT / "assets" / "scenarios").glob("*.yaml"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "run",
            *scenarios,
            "--llm",
            llama.url,
            "--llm-model",
            MODEL_ALIAS,
            "-q",
            "--no-save",
            "--junit",
            str(tmp_path / "junit.xml"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    keep_measurement("llm-scenarios.txt", done.stdout)  # the honest measurement, kept
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert f"agent: {MODEL_ALIAS} at {llama.url}" in done.stdout
    assert "passed," in done.stdout and "could not be read" not in done.stdout
    assert "Traceback" not in done.stderr
