"""The LLM backend under load: many calls at once against a model server that answers
slowly, wrongly or not at all, mixed at random. No call may hang, every fault must reach
the timeline as a readable message, and no thread or file descriptor may be left behind.

ENDCALL_RELIABILITY=full runs 200 calls instead of 16."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from console.agent.llm import LLMAgent, LLMSettings
from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.core.eventlog import read_events
from console.live.call import LiveCall, LiveOptions
from tests.agent.fake_llm import FakeLLM, Reply
from tests.conftest import EventWaiter
from tests.reliability.budget import budget, open_fds, our_threads

TIMEOUT_S = 0.5  # the agent's model timeout: the slow replies below outlast it
CALLS = budget(16, 200)
AT_ONCE = 4
LINES = ["hello?", "what is this about", "tell me more", "no thanks, bye"]
REPLIES = [
    Reply(text="Sure. Let me tell you more."),
    Reply(text="Okay then.", delay_s=0.2),  # slow, in time
    Reply(text="Too late.", delay_s=1.5),  # slower than the timeout
    Reply(text="Great question. And more.", pause_after_first_sentence_s=1.0),
    Reply(status=500),
    Reply(status=429),
    Reply(garbage=True),
    Reply(text="One two three four five.", cut_after_words=2),  # connection drops
    Reply(text="", tool_calls=[]),  # empty
    Reply(tool_calls=[("end_call", '{"reason": "contact said bye"}')]),
    Reply(tool_calls=[("end_call", "{reason: not json")]),
    Reply(tool_calls=[("transfer_call", "{}")]),  # a tool it was never offered
    Reply(text="Thanks for your time, goodbye."),
]


@pytest.fixture
def llm():
    server = FakeLLM()
    server.pool = REPLIES
    yield server
    server.close()


def one_call(url: str, n: int, folder) -> dict:
    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "main_prompt": 'If they say no, call end_call and say "Bye."',
                    "greeting": "Hi, are you ready?",
                    "turn_taking": {
                        "drop_guard_ms": 50,
                        "on_error": "end" if n % 3 == 0 else "continue",
                    },
                },
                "end_call": {"skip_goodbye": n % 4 == 0},
            }
        )
    )
    rec = EventWaiter()
    settings = LLMSettings(base_url=url, model="tiny-model", stream=n % 2 == 0, timeout_s=TIMEOUT_S)
    call = LiveCall(
        store,
        LiveOptions(text_only=True, sessions_dir=folder),
        agent=LLMAgent(settings),
        listeners=[rec],
    )
    reactions = (ev.AgentSpeech, ev.Goodbye, ev.Notice, ev.LineDropped)
    started = time.monotonic()
    call.start()
    try:
        rec.wait(ev.AgentSpeech)  # the greeting
        for line in LINES:
            if rec.of(ev.LineDropped):
                break
            seen = len([e for e in rec.of(ev.Event) if isinstance(e, reactions)])
            call.say(line)
            # Something must come of every line, well within the model's timeout.
            deadline = time.monotonic() + 10 * TIMEOUT_S + 5
            while len([e for e in rec.of(ev.Event) if isinstance(e, reactions)]) == seen:
                assert time.monotonic() < deadline, f"call {n}: nothing came of {line!r}"
                time.sleep(0.01)
            time.sleep(0.05)
    finally:
        closing = time.monotonic()
        call.close()
        closed_in = time.monotonic() - closing
    return {
        "n": n,
        "events": rec.of(ev.Event),
        "closed_in": closed_in,
        "took": time.monotonic() - started,
        "folder": call.session_dir,
        "active": call.engine.active,
    }


def test_many_calls_with_mixed_model_faults_neither_hang_nor_leak(llm, tmp_path):
    one_call(llm.url, 1, tmp_path)  # warm up: imports, the client, the server's pools
    time.sleep(2 * TIMEOUT_S)
    threads_before, fds_before = len(our_threads()), open_fds()

    with ThreadPoolExecutor(AT_ONCE) as pool:
        results = list(pool.map(lambda n: one_call(llm.url, n, tmp_path), range(CALLS)))

    for r in results:
        assert not r["active"], f"call {r['n']} still active after close"
        assert r["closed_in"] < 5, f"call {r['n']} took {r['closed_in']:.1f} s to close"
        drops = [e for e in r["events"] if isinstance(e, ev.LineDropped)]
        assert len(drops) == 1 and drops[0].reason in ev.DROP_REASONS
        for notice in (e for e in r["events"] if isinstance(e, ev.Notice)):
            assert notice.message.strip() and "Traceback" not in notice.message
        events, problems = read_events(r["folder"] / "events.jsonl")
        assert problems == [] and len(events) == len(r["events"])
    notices = [e.message for r in results for e in r["events"] if isinstance(e, ev.Notice)]
    kinds = {
        k
        for k in (
            "HTTP 500",
            "HTTP 429",
            "did not answer",
            "not a chat completion",
            "stopped before it finished",
            "empty reply",
        )
        if any(k in m for m in notices)
    }
    assert len(kinds) >= 3, notices  # the faults really happened, and were named
    print(
        f"\n{CALLS} calls, {AT_ONCE} at once: {len(notices)} faults named ({sorted(kinds)}); "
        f"slowest close {max(r['closed_in'] for r in results):.2f} s"
    )

    # Model requests still waiting on slow replies finish within the timeout; then every
    # thread the calls started is gone and no socket or file is left open.
    deadline = time.monotonic() + 10
    while len(our_threads()) > threads_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(our_threads()) <= threads_before, our_threads()
    if fds_before is not None:
        while (open_fds() or 0) > fds_before + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (open_fds() or 0) <= fds_before + 2, f"{fds_before} -> {open_fds()} fds"
