"""Long calls: memory and threads stay steady, and the timeline still agrees with the
recording at the end.

Two soaks: a live call through real audio (virtual devices, real time: 45 s here, 15
minutes with ENDCALL_RELIABILITY=full) and a call on the virtual clock, faster than real
time, with its events written to disk (1 hour of call time here, 6 hours in full: the
runner stops any call there).
Both have a caller turn every few seconds and a config edit every fifth turn.
"""

from __future__ import annotations

import threading
import time
import tracemalloc

from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.core.eventlog import read_events
from console.live.call import LiveCall
from console.scenario.model import CallerStep, Scenario
from console.scenario.runner import run_scenario
from tests.conftest import EventWaiter, on_virtual_devices
from tests.recording_checks import assert_recording_matches_timeline
from tests.reliability.budget import budget, open_fds, our_threads

LIVE_S = budget(45, 900)
VIRTUAL_MIN = budget(60, 330)  # the runner stops any call at 6 h (MAX_SIM_SECONDS)
PROMPT = (
    '1. Ask "What can I help you with?"\n'
    "Questions and objections:\n"
    '- If the contact asks who is calling, respond "This is Sam from Acme."\n'
    '- If the contact asks about the price, respond "It is ten dollars a month."\n'
)
LINES = ["Sorry, who is calling?", "What about the price?"]


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def test_long_live_call_through_audio_stays_steady(virtual_audio, tmp_path):
    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "main_prompt": PROMPT,
                    "greeting": "Hello.",
                    "turn_taking": {"response_delay_ms": 0, "barge_in": False},
                }
            }
        )
    )
    rec = EventWaiter()
    call = LiveCall(
        store,
        on_virtual_devices(virtual_audio, tmp_path, recognise=False),
        listeners=[rec],
    )
    call.start()
    warm: dict[str, float] = {}
    turns = edits = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < LIVE_S:
            deadline = time.monotonic() + 15
            while not call.engine.awaiting_caller:
                assert time.monotonic() < deadline, "the agent never gave the turn back"
                time.sleep(0.02)
            if not warm and time.monotonic() - started > LIVE_S / 4:
                warm = {"rss": rss_mb(), "threads": threading.active_count()}
                warm["fds"] = open_fds() or 0
            call.say(LINES[turns % 2])
            turns += 1
            if turns % 5 == 0:
                result = call.edit({"agent.voice.rate_wpm": 160 + (turns % 3) * 20})
                if hasattr(result, "result"):  # LiveCall.edit hands back a Future
                    result = result.result(5)
                assert result.accepted
                edits += 1
            time.sleep(0.2)
        end = {"rss": rss_mb(), "threads": threading.active_count(), "fds": open_fds() or 0}
        call.hang_up()
        assert call.wait(20)
    finally:
        call.close()
    print(f"\nlive soak {LIVE_S} s: {turns} turns, {edits} edits; after warm-up {warm}, end {end}")
    assert turns >= LIVE_S / 6 and edits >= 1
    answers = [e for e in rec.of(ev.AgentSpeech) if e.text.startswith(("This is", "It is"))]
    assert len(answers) >= turns - 1  # every turn answered (the last may be cut by hang-up)
    assert end["threads"] == warm["threads"], (warm, end)
    assert end["fds"] <= warm["fds"] + 2, (warm, end)
    assert end["rss"] <= warm["rss"] * 1.10, (warm, end)  # growth <= 10 %
    events, problems = read_events(call.session_dir / "events.jsonl")
    assert problems == [] and len(events) == len(rec.of(ev.Event))
    assert_recording_matches_timeline(call.session_dir, events, 0.02)  # as test_live_audio


def test_hours_of_call_on_the_virtual_clock_stay_steady(tmp_path):
    steps: list[CallerStep] = []
    for i in range(int(VIRTUAL_MIN * 60 / 5.5)):  # a turn every ~5.5 s of call time
        steps.append(CallerStep(say=LINES[i % 2]))
        if i % 5 == 4:
            steps.append(CallerStep(edit={"agent.voice.rate_wpm": 160 + i % 40}))
    scenario = Scenario(name="soak", caller=steps, hang_up_after=1.0)
    config = parse_config({"agent": {"main_prompt": PROMPT}})
    threads_before = our_threads()
    # Warm the runner once, then measure the Python heap over the long call.
    run_scenario(Scenario(name="warm", caller=steps[:20], hang_up_after=1.0), config)
    tracemalloc.start()
    try:
        probe: dict[str, int] = {}
        import console.scenario.runner as runner_module

        original = runner_module.CallEngine
        quarter = VIRTUAL_MIN * 60 / 4

        class Probed(original):  # type: ignore[misc, valid-type]
            def __init__(self, *a, **k) -> None:
                super().__init__(*a, **k)
                self.listeners.append(
                    lambda e: (
                        probe.setdefault("warm", tracemalloc.get_traced_memory()[0])
                        if e.t >= quarter
                        else None
                    )
                )

        runner_module.CallEngine = Probed
        try:
            result = run_scenario(scenario, config, sessions_dir=tmp_path)
        finally:
            runner_module.CallEngine = original
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    call_s = max(e.t for e in result.events)
    print(
        f"\nvirtual soak {call_s / 3600:.2f} h, {len(result.events)} events: Python heap "
        f"{probe['warm'] / 1e6:.2f} MB after the first quarter -> {end / 1e6:.2f} MB at the end"
    )
    assert call_s >= VIRTUAL_MIN * 60 * 0.9
    # The call keeps its own timeline in memory (events grow with the call): allow what
    # the events themselves need, and nothing that grows beyond them.
    events_after_quarter = sum(1 for e in result.events if e.t >= quarter)
    per_event = 2_000  # bytes: a generous size for one small frozen dataclass and its text
    assert end - probe["warm"] <= events_after_quarter * per_event, (
        probe["warm"],
        end,
        events_after_quarter,
    )
    assert our_threads() == threads_before
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    on_disk, problems = read_events(folder / "events.jsonl")
    assert problems == [] and len(on_disk) == len(result.events)
