"""The six invariants of the End Call semantics, one test (or more) each."""

from __future__ import annotations

from console.core import events as ev
from console.core.engine import CallState
from tests.conftest import Call, make_config


def reach_step_3(call: Call) -> Call:
    """Connect, answer steps 1 and 2; the agent has asked 'Are you ready...?' and finished."""
    call.start()
    call.finish_speech(2.0)
    call.caller("yes", 2.5, 3.0)
    call.finish_speech(4.0)
    call.caller("yes I do", 4.5, 5.0)
    call.finish_speech(6.0)
    assert call.voice.played[-1].text == "Are you ready to move forward?"
    return call


# 1. Skip goodbye on: no agent audio after the action; speech playing is cut; drop at once.
def test_skip_goodbye_drops_at_the_action_with_no_audio_after():
    call = reach_step_3(Call(make_config(**{"end_call.skip_goodbye": True})))
    played_before = len(call.voice.played)
    call.caller("no thanks", 6.5, 7.0)
    action = call.one(ev.ActionInvoked)
    drop = call.one(ev.LineDropped)
    assert len(call.voice.played) == played_before  # nothing more was played
    assert call.of(ev.Goodbye) == []
    assert drop.t == action.t and drop.since_action_s == 0.0
    assert drop.reason == ev.END_CALL_ACTION
    assert call.voice.dropped


def test_skip_goodbye_cuts_agent_speech_that_is_playing():
    """Barge-in off: the agent is mid-sentence when the caller's 'bye' ends the call."""
    config = make_config(**{"end_call.skip_goodbye": True, "agent.turn_taking.barge_in": False})
    call = Call(config).start()  # the agent is saying "Do you have a minute?"
    speaking = call.voice.played[-1]
    call.caller("sorry, bye", 0.5, 1.0)
    assert speaking.id in call.voice.stopped
    cut = call.one(ev.AgentSpeech)
    assert cut.cut_short and cut.end == 1.0
    assert call.one(ev.LineDropped).t == 1.0
    # A late "finished" report from the audio path changes nothing.
    call.engine.agent_audio_finished(speaking.id, 3.0)
    assert len(call.of(ev.AgentSpeech)) == 1


# 2. Skip goodbye off: the goodbye plays to its last sample, the drop follows after the guard.
def test_goodbye_plays_to_the_end_then_drop_after_guard():
    config = make_config(**{"agent.turn_taking.drop_guard_ms": 300})
    call = reach_step_3(Call(config))
    call.caller("no thanks", 6.5, 7.0)
    goodbye_utt = call.voice.played[-1]
    assert goodbye_utt.kind == "goodbye"
    assert call.engine.state is CallState.ENDING
    call.at(9.0)  # time passes while the goodbye plays: the line must stay up
    assert call.of(ev.LineDropped) == []
    call.finish_speech(9.5)
    assert call.of(ev.LineDropped) == []  # the guard has not passed yet
    call.at(9.79)
    assert call.of(ev.LineDropped) == []
    call.at(9.8)
    drop = call.one(ev.LineDropped)
    goodbye = call.one(ev.Goodbye)
    assert not goodbye.cut_short and goodbye.end == 9.5
    assert drop.t == 9.8 and abs(drop.since_goodbye_end_s - 0.3) < 1e-9
    assert goodbye_utt.id not in call.voice.stopped


def test_caller_speech_never_cuts_the_goodbye_by_default():
    call = reach_step_3(Call())
    call.caller("no thanks", 6.5, 7.0)
    call.engine.caller_speech_started(7.2)
    call.caller("wait what", 7.2, 7.6)
    call.finish_speech(8.5)
    assert not call.one(ev.Goodbye).cut_short
    assert call.of(ev.LineDropped) == []


def test_goodbye_cut_by_caller_only_when_configured():
    config = make_config(**{"agent.turn_taking.barge_in_cuts_goodbye": True})
    call = reach_step_3(Call(config))
    call.caller("no thanks", 6.5, 7.0)
    call.engine.caller_speech_started(7.4)
    goodbye = call.one(ev.Goodbye)
    assert goodbye.cut_short and goodbye.end == 7.4


# 3. Goodbye prompt set: from it. Empty: the rule's line, else a closing line, else default.
def test_goodbye_from_goodbye_prompt_quoted_line():
    config = make_config(
        **{
            "end_call.goodbye_prompt": 'Say "Bye {contact}!"',
            "agent.variables": {"contact": "Alex"},
        }
    )
    call = reach_step_3(Call(config))
    call.caller("no", 6.5, 7.0)
    call.finish_speech(8.0)
    goodbye = call.one(ev.Goodbye)
    assert (goodbye.text, goodbye.source) == ("Bye Alex!", "goodbye_prompt")


def test_goodbye_from_goodbye_prompt_as_template():
    config = make_config(
        **{
            "end_call.goodbye_prompt": "Thanks {contact}, talk soon.",
            "agent.variables": {"contact": "Kim"},
        }
    )
    call = reach_step_3(Call(config))
    call.caller("no", 6.5, 7.0)
    call.finish_speech(8.0)
    assert call.one(ev.Goodbye).text == "Thanks Kim, talk soon."


def test_goodbye_from_the_rule_that_ended_the_call():
    call = reach_step_3(Call())
    call.caller("nope", 6.5, 7.0)
    call.finish_speech(8.0)
    goodbye = call.one(ev.Goodbye)
    assert goodbye.text == "Thanks for your time."
    assert goodbye.source == "main_prompt" and "step 3" in goodbye.detail


def test_goodbye_from_the_prompt_closing_line_then_default():
    closing = make_config(
        **{"agent.main_prompt": '1. Ask "Anything else?"\nWhen you end the call, say "Bye now!"'}
    )
    call = Call(closing).start()
    call.finish_speech(1.0)
    call.caller("goodbye", 1.5, 2.0)
    call.finish_speech(3.0)
    assert call.one(ev.Goodbye).text == "Bye now!"
    bare = Call(make_config(**{"agent.main_prompt": "Be nice."})).start()
    bare.caller("bye", 1.5, 2.0)
    bare.finish_speech(3.0)
    goodbye = bare.one(ev.Goodbye)
    assert goodbye.text == "Thank you for your time. Goodbye."
    assert goodbye.detail.startswith("polite default")


# 4. A config edit takes effect at the agent's next decision and is on the timeline.
def test_edit_mid_call_reaches_the_next_decision_and_names_its_version():
    call = reach_step_3(Call())
    result = call.engine.edit_config({"end_call.skip_goodbye": True})
    assert result.accepted and result.version == 2
    changed = call.one(ev.ConfigChanged)
    assert (changed.field, changed.old, changed.new, changed.version) == (
        "end_call.skip_goodbye",
        False,
        True,
        2,
    )
    call.caller("no", 6.5, 7.0)
    action = call.one(ev.ActionInvoked)
    assert action.config_version == 2 and action.skip_goodbye
    assert call.of(ev.Goodbye) == []


def test_edit_during_response_delay_reaches_the_goodbye():
    """The decision to end was made under v1; the goodbye, generated when the action is
    invoked, is the next decision and follows v2."""
    config = make_config(**{"agent.turn_taking.response_delay_ms": 500})
    call = reach_step_3(Call(config))
    call.caller("no", 6.5, 7.0)  # decided now (skip off), applied at 7.5
    call.engine.edit_config({"end_call.goodbye_prompt": 'Say "Changed."'})
    call.at(7.5)
    action = call.one(ev.ActionInvoked)
    assert action.config_version == 2  # in force when the action was invoked
    call.finish_speech(9.0)
    assert call.one(ev.Goodbye).text == "Changed."


def test_refused_edit_keeps_last_valid_config_and_says_why():
    call = reach_step_3(Call())
    result = call.engine.edit_config({"end_call.name": "end call!"})
    assert not result.accepted and call.store.version == 1
    assert call.store.current.end_call.name == "end_call"
    notice = call.one(ev.Notice)
    assert "end_call.name" in notice.message and "valid tool name" in notice.message
    call.caller("no", 6.5, 7.0)
    assert call.one(ev.ActionInvoked).action_name == "end_call"


# 5. The action is invoked under the name configured at that moment.
def test_renamed_action_is_invoked_under_its_new_name():
    call = reach_step_3(Call())
    call.engine.edit_config(
        {
            "end_call.name": "end_call_v2",
            "agent.main_prompt": call.store.current.agent.main_prompt.replace(
                "end_call", "end_call_v2"
            ),
        }
    )
    call.caller("no", 6.5, 7.0)
    assert call.one(ev.ActionInvoked).action_name == "end_call_v2"


def test_prompt_asking_for_another_name_does_not_end_the_call():
    call = reach_step_3(Call(make_config(**{"end_call.name": "hang_up"})))
    call.caller("no", 6.5, 7.0)
    assert call.of(ev.ActionInvoked) == []
    assert call.engine.state is CallState.AGENT_SPEAKING
    assert call.voice.played[-1].text == "Thanks for your time."  # said, but the line stays
    notice = call.one(ev.Notice)
    assert "'end_call'" in notice.message and "'hang_up'" in notice.message


def test_engine_refuses_an_end_request_under_a_stale_name():
    """Even an agent that asks for the old name (an LLM, a bug) cannot end the call."""
    from console.agent.base import Decision
    from console.core.agent_port import EndRequest

    call = reach_step_3(Call())
    call.engine.edit_config({"end_call.name": "finish"})
    call.engine.agent.respond = lambda cfg, text, turn: Decision(  # type: ignore[method-assign]
        end=EndRequest("end_call", why="stale")
    )
    call.caller("no", 6.5, 7.0)
    assert call.of(ev.ActionInvoked) == [] and call.engine.active
    assert "'end_call'" in call.of(ev.Notice)[-1].message


# 6. After the drop nothing more is heard or recognised.
def test_nothing_after_the_drop():
    call = reach_step_3(Call(make_config(**{"end_call.skip_goodbye": True})))
    call.caller("no", 6.5, 7.0)
    n_events, n_played = len(call.engine.events), len(call.voice.played)
    assert call.engine.caller_utterance("hello? are you there?", 7.5, 8.0) is False
    call.engine.caller_speech_started(8.5)
    call.engine.edit_config({"end_call.skip_goodbye": False})
    call.engine.fault("audio", "device gone", fatal=True)
    call.at(60.0)
    assert len(call.engine.events) == n_events
    assert len(call.voice.played) == n_played
    assert call.engine.state is CallState.DROPPED
