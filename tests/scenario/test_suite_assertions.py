"""The assertions users need, each shown failing: the action at most once, one goodbye and
silence after it (on by default), how the call ended, "said goodbye but never hung up",
and caller speech after the action on the timeline.

Agents that misbehave are small fakes of the agent contract (a real agent cannot be made
to fire twice): they try, and the engine refuses, so the default checks hold on a real
run; the checks themselves are shown failing on hand-made timelines where it happened.
"""

from __future__ import annotations

import socket

import numpy as np
import pytest

from console.agent.offline import OfflineAgent
from console.audio.audibility import goodbye_audibility
from console.core import events as ev
from console.core.agent_port import (
    AgentRequest,
    Emit,
    EndRequest,
    GoodbyeDone,
    GoodbyeText,
    Purpose,
    Say,
    TurnDone,
)
from console.core.config import parse_config
from console.core.farewell import farewell_without_hangup, reads_as_farewell
from console.report.verdict import verdict
from console.scenario.checks import check_expectations, ended_by, evaluate
from console.scenario.model import Expectations, Scenario
from console.scenario.runner import run_scenario

PROMPT = (
    '1. Ask "Are you ready to move forward?"\n'
    '   If the contact responds no, call end_call and say "Thanks for your time."\n'
)


def config(**agent):
    data = {"agent": {"main_prompt": PROMPT, **agent}}
    return parse_config(data)


def scenario(expect: dict | None = None, **extra) -> Scenario:
    data = {"name": "t", "caller": [{"say": "No thanks."}], "expect": expect or {}}
    data.update(extra)
    return Scenario.model_validate(data)


class TwiceAgent(OfflineAgent):
    """Invokes End Call twice for the same turn (and says a line first)."""

    backend = "fires-twice"

    def __init__(self) -> None:
        super().__init__()
        self.tries = 0

    def begin(self, request: AgentRequest, emit: Emit) -> None:
        if request.purpose is not Purpose.REPLY:
            return super().begin(request, emit)
        emit(Say(request.turn, "Alright."))
        for why in ("first", "second"):
            self.tries += 1
            emit(TurnDone(request.turn, end=EndRequest("end_call", why)))


class TalksAfterGoodbyeAgent(OfflineAgent):
    """Ends the call, then keeps talking after its goodbye and sends a second one."""

    backend = "talks-after-goodbye"

    def __init__(self) -> None:
        super().__init__()
        self.tried: list[str] = []

    def begin(self, request: AgentRequest, emit: Emit) -> None:
        if request.purpose is Purpose.REPLY:
            emit(TurnDone(request.turn, end=EndRequest("end_call", "the caller said no")))
        elif request.purpose is Purpose.GOODBYE:
            bye = GoodbyeText("Thanks for your time.", "main_prompt", "test")
            emit(GoodbyeDone(request.turn, bye))
            self.tried.append("speech after the goodbye")
            emit(Say(request.turn, "Oh, and one more thing about our offer!"))
            self.tried.append("a second goodbye")
            emit(GoodbyeDone(request.turn, GoodbyeText("Bye again!", "main_prompt", "test")))
        else:
            super().begin(request, emit)


class FarewellOnlyAgent(OfflineAgent):
    """Says goodbye in words and never invokes the action (the platform bug)."""

    backend = "farewell-only"

    def begin(self, request: AgentRequest, emit: Emit) -> None:
        if request.purpose is not Purpose.REPLY:
            return super().begin(request, emit)
        emit(Say(request.turn, "No problem, thanks for your time. Have a great day, goodbye!"))
        emit(TurnDone(request.turn))


# -- the defaults on real runs: the engine refuses, the checks hold -----------------------


def test_an_agent_that_fires_twice_is_refused_and_the_default_check_holds():
    agent = TwiceAgent()
    result = run_scenario(scenario(), config(), agent=agent)
    assert agent.tries == 2
    assert len([e for e in result.events if isinstance(e, ev.ActionInvoked)]) == 1
    checks = {c.key: c for c in evaluate(scenario().expect, result.events, [])}
    assert checks["action_at_most_once"].passed
    assert result.passed, result.failures


def test_an_agent_that_talks_after_its_goodbye_is_refused_and_the_default_check_holds():
    agent = TalksAfterGoodbyeAgent()
    result = run_scenario(scenario(), config(), agent=agent)
    assert agent.tried == ["speech after the goodbye", "a second goodbye"]
    goodbyes = [e for e in result.events if isinstance(e, ev.Goodbye)]
    assert [g.text for g in goodbyes] == ["Thanks for your time."]
    spoken = [e.text for e in result.events if isinstance(e, ev.AgentSpeech)]
    assert "Oh, and one more thing about our offer!" not in spoken
    checks = {c.key: c for c in evaluate(scenario().expect, result.events, [])}
    assert checks["single_goodbye"].passed
    assert result.passed, result.failures


# -- the defaults on timelines where it happened ------------------------------------------


def action(t: float, seq: int) -> ev.ActionInvoked:
    return ev.ActionInvoked(
        t=t, config_version=1, seq=seq, action_name="end_call", why="no", turn=1
    )


def speech(text: str, start: float, end: float, seq: int) -> ev.AgentSpeech:
    return ev.AgentSpeech(t=start, config_version=1, seq=seq, text=text, start=start, end=end)


def goodbye(text: str, start: float, end: float, seq: int) -> ev.Goodbye:
    return ev.Goodbye(
        t=start, config_version=1, seq=seq, text=text, source="main_prompt", start=start, end=end
    )


def drop(t: float, seq: int, reason: str = ev.END_CALL_ACTION, detail: str = "") -> ev.LineDropped:
    return ev.LineDropped(t=t, config_version=1, seq=seq, reason=reason, detail=detail)


def test_an_action_that_fires_twice_fails_by_default():
    events = [speech("Ready?", 0, 1, 1), action(3.0, 2), action(3.5, 3), drop(4.0, 4)]
    fails = check_expectations(Expectations(), events, [])
    assert fails == ["the End Call action fired 2 times (at 3.00 s, 3.50 s); at most once"]
    assert check_expectations(Expectations(action_at_most_once=False), events, []) == []


def test_two_goodbyes_fail_by_default():
    events = [action(3, 1), goodbye("Bye.", 3, 4, 2), goodbye("Bye again.", 4, 5, 3), drop(5, 4)]
    (fail,) = check_expectations(Expectations(), events, [])
    assert fail == "2 goodbyes played ('Bye.', 'Bye again.'); expected at most one"


def test_agent_speech_after_the_goodbye_fails_by_default():
    events = [
        speech("Ready?", 0, 1, 1),
        action(3, 2),
        goodbye("Thanks for your time.", 3, 4.5, 3),
        speech("One more thing!", 4.6, 5.5, 4),
        drop(5.7, 5),
    ]
    (fail,) = check_expectations(Expectations(), events, [])
    assert fail == (
        "the agent spoke after its goodbye 'Thanks for your time.': 'One more thing!' at 4.60 s"
    )
    assert check_expectations(Expectations(single_goodbye=False), events, []) == []


def test_agent_speech_after_an_action_without_goodbye_fails_by_default():
    events = [speech("Ready?", 0, 1, 1), action(3, 2), speech("Hello?", 3.2, 4, 3), drop(4, 4)]
    (fail,) = check_expectations(Expectations(), events, [])
    assert fail == "the agent spoke after the action at 3.00 s: 'Hello?' at 3.20 s"


def test_a_line_cut_by_the_action_is_not_speech_after_it():
    events = [speech("Let me tell you", 2.0, 3.0, 2), action(3, 3), goodbye("Bye.", 3, 4, 4)]
    assert check_expectations(Expectations(), [*events, drop(4.2, 5)], []) == []


# -- said goodbye but never hung up --------------------------------------------------------


def test_an_agent_that_says_goodbye_without_the_action_fails_the_expectation():
    s = scenario({"no_farewell_without_hangup": True, "ended_by": "caller"})
    result = run_scenario(s, config(), agent=FarewellOnlyAgent())
    (fail,) = result.failures
    assert fail.startswith(
        "the agent said goodbye ('No problem, thanks for your time. Have a great day, goodbye!'"
    )
    assert "but never hung up: no End Call action fired, and the caller hung up 5.00 s" in fail
    # The same scenario with an agent that hangs up passes.
    assert run_scenario(s, config()).failures == [
        "expected the call to end by the caller hanging up, it ended by the End Call action "
        "(guard 0.2 s)"
    ]
    ok = scenario({"no_farewell_without_hangup": True, "ended_by": "action"})
    assert run_scenario(ok, config()).passed


@pytest.mark.parametrize(
    "text,farewell",
    [
        ("Thanks for your time, goodbye!", True),
        ("Have a great day.", True),
        ("Alright, take care now.", True),
        ("Thank you for calling. Talk to you soon!", True),
        ("Bye-bye!", True),
        ("Thanks for your time, do you own your home?", False),
        ("Before you go, can I ask one more thing?", False),
        ("I won't say goodbye yet, one moment.", False),
        ("Do you have a minute to talk about your energy bill?", False),
        ("Goodbye! Oh wait, did you want the quote?", False),
        ("Our hours are nine to five.", False),
    ],
)
def test_what_reads_as_a_farewell(text, farewell):
    assert reads_as_farewell(text) is farewell


def test_farewell_without_hangup_only_when_nobody_on_the_agent_side_ended_it():
    bye = speech("Have a great day, goodbye!", 5, 7, 3)
    timeout = drop(13, 4, ev.TIMEOUT, "no caller speech for 6 s")
    assert "the line timed out (no caller speech for 6 s) 6.00 s after" in (
        farewell_without_hangup([speech("Hi", 0, 1, 1), bye, timeout]) or ""
    )
    assert farewell_without_hangup([bye, drop(8, 4, ev.TESTER_HUNG_UP)]) is not None
    assert farewell_without_hangup([bye]) is None  # still on the line
    assert farewell_without_hangup([bye, drop(8, 4, ev.ERROR, "backend: down")]) is None
    assert farewell_without_hangup([bye, drop(7, 4, "end_call_phrase", "phrase")]) is None
    # The action fired; the caller hung up during the goodbye: not this bug.
    assert farewell_without_hangup([bye, action(7, 4), drop(8, 5, ev.CALLER_HUNG_UP)]) is None
    question = speech("Have a great day! Anything else?", 9, 10, 5)
    assert farewell_without_hangup([bye, question, drop(12, 6, ev.CALLER_HUNG_UP)]) is None


# -- ended_by -------------------------------------------------------------------------------


def test_ended_by_action_caller_and_their_messages():
    assert run_scenario(scenario({"ended_by": "action"}), config()).passed
    goes_on = scenario({"ended_by": "caller"}, caller=[{"say": "Yes."}])
    assert run_scenario(goes_on, config()).passed
    wrong = run_scenario(scenario({"ended_by": ["caller", "silence_timeout"]}), config())
    assert wrong.failures == [
        "expected the call to end by the caller hanging up or the silence timeout, it ended by "
        "the End Call action (guard 0.2 s)"
    ]


def test_ended_by_silence_timeout_and_max_duration_are_told_apart():
    silent = scenario({"ended_by": "silence_timeout"}, caller=[{"wait": 60}])
    cfg = config(turn_taking={"silence_timeout_s": 6})
    assert run_scenario(silent, cfg).passed
    long_call = config(turn_taking={"max_call_s": 8})
    result = run_scenario(silent, long_call)
    assert ended_by(result.events) == "max_duration"
    assert result.failures == [
        "expected the call to end by the silence timeout, it ended by the maximum call length "
        "(maximum call length 8 s reached)"
    ]


def test_ended_by_phrase_with_the_platform_phrase_rule():
    s = scenario({"ended_by": "phrase", "action_invoked": False})
    cfg = parse_config(
        {"agent": {"main_prompt": PROMPT}, "end_call": {"phrases": ["ready to move forward"]}}
    )
    result = run_scenario(s, cfg)
    assert ended_by(result.events) == "phrase"
    assert result.passed, result.failures


def test_ended_by_error_with_a_model_server_that_is_not_there():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = parse_config(
        {
            "agent": {
                "main_prompt": PROMPT,
                "greeting": "Hello.",
                "turn_taking": {"on_error": "end"},
                "backend": {"kind": "llm", "llm": {"base_url": f"http://127.0.0.1:{port}/v1"}},
            }
        }
    )
    s = scenario({"ended_by": "error"})
    result = run_scenario(s, cfg)
    assert ended_by(result.events) == "error"
    checks = {c.key: c for c in evaluate(s.expect, result.events, [])}
    assert checks["ended_by"].passed


@pytest.mark.parametrize(
    "reason,detail,name",
    [
        (ev.TESTER_HUNG_UP, "the tester hung up", "tester"),
        (ev.AGENT_HUNG_UP, "BYE from the agent", "agent_hung_up"),
        (ev.END_CALL_ACTION, "the agent said the end-call phrase 'bye'", "phrase"),
        (ev.END_CALL_ACTION, "guard 0.2 s", "action"),
        (ev.TIMEOUT, "maximum call length 60 s reached", "max_duration"),
        (ev.TIMEOUT, "no caller speech for 6 s", "silence_timeout"),
    ],
)
def test_ended_by_maps_every_drop_reason(reason, detail, name):
    assert ended_by([drop(1, 1, reason, detail)]) == name
    (check,) = [
        c
        for c in evaluate(Expectations(ended_by=name), [drop(1, 1, reason, detail)], [])
        if c.key == "ended_by"
    ]
    assert check.passed


# -- goodbye_audible -----------------------------------------------------------------------

RATE = 16000


def measured(start: float, end: float, drop_t: float, sound_to: float, planned_s: float, seq: int):
    """The audibility event a call records, measured by the real analysis on an agent
    channel with a tone from the goodbye's start to `sound_to`."""
    agent = np.zeros(int((drop_t + 1) * RATE), np.float32)
    a, b = int(start * RATE), int(sound_to * RATE)
    agent[a:b] = 0.3 * np.sin(np.arange(b - a) / 3)
    heard = goodbye_audibility(agent, RATE, start, end, drop_t, planned_s)
    return ev.GoodbyeAudibility(
        t=drop_t,
        config_version=1,
        seq=seq,
        audible_to_end=heard.audible_to_end,
        sound_end=heard.sound_end,
        drop=heard.drop,
        margin_s=heard.margin_s,
        missing_s=heard.missing_s,
        verdict=heard.verdict,
    )


def ending(cut_short: bool = False, heard: ev.GoodbyeAudibility | None = None) -> list[ev.Event]:
    """The action at 3 s, a 1.5 s goodbye, the drop at 4.5 s, and what was measured."""
    bye = ev.Goodbye(
        t=3.0,
        config_version=1,
        seq=2,
        text="Thanks for your time.",
        source="main_prompt",
        start=3.0,
        end=4.5,
        cut_short=cut_short,
    )
    dropped = ev.LineDropped(
        t=4.5, config_version=1, seq=3, reason=ev.END_CALL_ACTION, since_action_s=1.5
    )
    return [action(3.0, 1), bye, dropped, *([heard] if heard else [])]


def audible_check(events: list[ev.Event], want: bool = True) -> tuple[bool, str]:
    (check,) = [
        c
        for c in evaluate(Expectations(goodbye_audible=want), events, [])
        if c.key == "goodbye_audible"
    ]
    return check.passed, check.failure


def test_goodbye_audible_passes_on_a_goodbye_heard_to_its_end():
    heard = measured(3.0, 4.3, 4.5, sound_to=4.3, planned_s=1.3, seq=4)
    assert heard.audible_to_end, heard.verdict
    assert audible_check(ending(heard=heard)) == (True, None)
    assert audible_check(ending(heard=heard), want=False) == (
        False,
        "expected the goodbye to be clipped; it played to its end",
    )
    assert audible_check(ending()) == (True, None)  # a text run: read from the timeline


def test_goodbye_audible_fails_on_a_goodbye_the_recording_shows_clipped():
    # 2.12 s rendered, 1.5 s played: the recording is still sounding at the drop.
    clipped = measured(3.0, 4.5, 4.5, sound_to=4.5, planned_s=2.12, seq=4)
    assert clipped.verdict == "goodbye clipped: the last 0.62 s were not played at the drop"
    assert audible_check(ending(heard=clipped)) == (False, clipped.verdict)
    assert audible_check(ending(heard=clipped), want=False) == (True, None)
    # The measurement outranks the timeline: a goodbye the timeline calls whole but the
    # recording shows cut still fails.
    assert not ending(heard=clipped)[1].cut_short


def test_goodbye_audible_fails_on_a_goodbye_cut_short_with_no_recording():
    assert audible_check(ending(cut_short=True)) == (
        False,
        "the goodbye was cut short at 4.50 s",
    )
    early = [*ending()[:2], drop(4.0, 3)]  # the line dropped half a second before its end
    assert audible_check(early) == (
        False,
        "the line dropped at 4.00 s, before the goodbye ended (4.50 s)",
    )
    assert audible_check([action(3.0, 1), drop(3.0, 2)]) == (False, "no goodbye played")


def test_goodbye_audible_in_a_scenario_file_is_checked_on_a_run():
    assert run_scenario(scenario({"goodbye_audible": True}), config()).passed
    result = run_scenario(scenario({"goodbye_audible": False}), config())
    assert result.failures == ["expected the goodbye to be clipped; it played to its end"]


def test_the_report_verdict_line_says_the_goodbye_was_clipped():
    clipped = measured(3.0, 4.5, 4.5, sound_to=4.5, planned_s=2.12, seq=4)
    assert verdict(ending(heard=clipped)) == (
        "end_call fired (config v1); goodbye 'Thanks for your time.' played 1.50 s; "
        "goodbye clipped: the last 0.62 s were not played at the drop; "
        "line dropped 1.50 s after the action"
    )
    heard = measured(3.0, 4.3, 4.5, sound_to=4.3, planned_s=1.3, seq=4)
    assert "goodbye audible to its end, 200 ms before the drop;" in verdict(ending(heard=heard))


# -- caller speech after the action ---------------------------------------------------------

TALKS_OVER = {
    "name": "the caller talks while the call is ending",
    "config": {
        "agent": {
            "main_prompt": (
                '1. Ask "Are you ready to move forward?"\n'
                '   If the contact responds no, say "Okay, no problem at all, I completely '
                'understand." and go to step 2.\n'
                "2. End the call with end_call.\n"
            ),
            "turn_taking": {"barge_in": False},
        }
    },
    "caller": [
        {"say": "No thanks."},
        {"say": "Wait, wait, I have one more thing to ask you.", "barge_in_after": 0.3},
    ],
}


def run_talks_over(want):
    s = Scenario.model_validate({**TALKS_OVER, "expect": {"caller_after_action_recorded": want}})
    return run_scenario(s, parse_config(s.config))


def test_caller_speech_after_the_action_is_on_the_timeline():
    result = run_talks_over("one more thing")
    after = [e for e in result.events if isinstance(e, ev.CallerSpeech) and e.after_action]
    assert [e.text for e in after] == ["Wait, wait, I have one more thing to ask you."]
    assert result.passed, result.failures
    assert run_talks_over(True).passed
    assert run_talks_over(False).failures == [
        "expected no caller speech after the action; 'Wait, wait, I have one more thing to ask "
        "you.' is at 4.57 s"
    ]
    assert run_talks_over("refund").failures == [
        "expected caller speech after the action on the timeline containing 'refund'; "
        "recorded after the action: 'Wait, wait, I have one more thing to ask you.'"
    ]


def test_no_caller_speech_after_the_action_fails_the_expectation():
    s = scenario({"caller_after_action_recorded": True})
    assert run_scenario(s, config()).failures == [
        "expected caller speech after the action on the timeline; recorded after the action: none"
    ]
