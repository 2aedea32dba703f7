"""The call state machine around the End Call rules: states, hang-up, timeouts, faults."""

from __future__ import annotations

from console.core import events as ev
from console.core.engine import CallEngine, CallState
from tests.conftest import Call, make_config


def states(call: Call) -> list[str]:
    return [e.state for e in call.of(ev.StateChanged)]


def call_to_the_action() -> Call:
    """The default script walked to its end: yes, yes, then "no" at 6.0 s fires the action
    and asks for the goodbye."""
    call = Call().start()
    call.finish_speech(1.0)
    call.caller("yes", 1.5, 2.0)
    call.finish_speech(3.0)
    call.caller("yes", 3.5, 4.0)
    call.finish_speech(5.0)
    call.caller("no", 5.5, 6.0)
    return call


def test_full_call_walks_the_states():
    call = Call().start()
    assert call.engine.state is CallState.AGENT_SPEAKING
    call.finish_speech(1.0)
    assert call.engine.state is CallState.LISTENING
    call.caller("yes", 1.5, 2.0)
    call.finish_speech(3.0)
    call.caller("yes", 3.5, 4.0)
    call.finish_speech(5.0)
    call.caller("no", 5.5, 6.0)
    assert call.engine.state is CallState.ENDING
    call.finish_speech(7.0)
    call.at(7.2)
    assert states(call) == [
        "connected",
        "agent_speaking",
        "listening",
        "agent_speaking",
        "listening",
        "agent_speaking",
        "listening",
        "ending",
        "dropped",
    ]
    assert call.engine.drop_reason == ev.END_CALL_ACTION


def test_the_ending_records_when_the_goodbye_began_and_ended():
    call = call_to_the_action()  # the goodbye is asked to play
    goodbye = call.voice.played[-1]
    ending = call.engine.ending
    assert goodbye.kind == "goodbye" and ending is not None
    assert ending.goodbye_start is None  # asked to play, no sample out yet
    call.at(6.3)
    call.engine.agent_audio_started(goodbye.id, 6.3)  # its first sample
    assert ending.goodbye_start == 6.3
    call.finish_speech(7.5)
    assert (ending.action_at, ending.goodbye_start, ending.goodbye_end) == (6.0, 6.3, 7.5)
    assert call.one(ev.Goodbye).start == ending.goodbye_start


def test_a_goodbye_cut_before_its_first_sample_starts_where_the_timeline_says():
    call = call_to_the_action()
    call.at(6.2)
    call.engine.hang_up()  # before the voice said the goodbye started
    ending = call.engine.ending
    assert ending is not None
    assert ending.goodbye_start == call.one(ev.Goodbye).start == 6.0  # asked to play then


def test_events_carry_seq_time_and_version_in_order():
    call = Call().start()
    call.finish_speech(1.0)
    seqs = [e.seq for e in call.engine.events]
    assert seqs == list(range(1, len(seqs) + 1))
    assert all(e.config_version == 1 for e in call.engine.events)
    started = call.engine.events[0]
    assert isinstance(started, ev.CallStarted) and started.t == 0.0


def test_action_records_why_words_turn_and_latency():
    call = Call().start()
    call.finish_speech(1.0)
    call.caller("yes", 1.5, 2.0)
    call.finish_speech(3.0)
    call.caller("yeah", 3.5, 4.0)
    call.finish_speech(5.0)
    call.at(6.2)
    call.engine.caller_utterance("no thanks", 5.5, 6.0)
    action = call.one(ev.ActionInvoked)
    assert action.turn == 3 and action.trigger_words == "no thanks"
    assert abs(action.latency_s - 0.2) < 1e-9
    assert "step 3" in action.why and "no thanks" in action.why


def test_caller_hang_up_cuts_agent_and_drops():
    call = Call().start()
    call.at(0.4)
    call.engine.hang_up()
    speech = call.one(ev.AgentSpeech)
    assert speech.cut_short and speech.end == 0.4
    drop = call.one(ev.LineDropped)
    assert drop.reason == ev.CALLER_HUNG_UP and drop.since_action_s is None


def test_caller_hang_up_during_goodbye_is_recorded_as_such():
    call = Call().start()
    call.finish_speech(1.0)
    call.caller("bye", 1.5, 2.0)
    call.at(2.5)
    call.engine.hang_up()
    assert call.one(ev.Goodbye).cut_short
    assert call.one(ev.LineDropped).reason == ev.CALLER_HUNG_UP


def test_silence_timeout_is_off_by_default():
    call = Call().start()
    call.finish_speech(1.0)
    assert call.engine.next_deadline() is None
    call.at(10_000)
    assert call.engine.active


def test_silence_timeout_counts_from_the_last_activity():
    call = Call(make_config(**{"agent.turn_taking.silence_timeout_s": 5})).start()
    call.finish_speech(2.0)
    assert call.engine.next_deadline() == 7.0
    call.caller("yes", 3.0, 4.0)  # answered in time
    call.finish_speech(5.0)
    call.at(9.9)
    assert call.engine.active
    call.at(10.0)
    drop = call.one(ev.LineDropped)
    assert drop.reason == ev.TIMEOUT and drop.t == 10.0 and "5 s" in drop.detail


def test_silence_timeout_does_not_run_while_the_agent_speaks():
    call = Call(make_config(**{"agent.turn_taking.silence_timeout_s": 1})).start()
    call.at(30)  # a long agent turn, nobody is silent "at" the agent
    assert call.engine.active


def test_max_call_length():
    call = Call(make_config(**{"agent.turn_taking.max_call_s": 20})).start()
    assert call.engine.next_deadline() == 20
    call.at(20)
    drop = call.one(ev.LineDropped)
    assert drop.reason == ev.TIMEOUT and "maximum call length" in drop.detail


def test_barge_in_cuts_normal_speech():
    call = Call().start()
    call.engine.caller_speech_started(0.7)
    speech = call.one(ev.AgentSpeech)
    assert speech.cut_short and speech.end == 0.7
    assert call.engine.state is CallState.LISTENING


def test_barge_in_can_be_switched_off():
    call = Call(make_config(**{"agent.turn_taking.barge_in": False})).start()
    call.engine.caller_speech_started(0.7)
    assert call.of(ev.AgentSpeech) == [] and call.engine.state is CallState.AGENT_SPEAKING


def test_reply_waits_for_current_speech_without_barge_in():
    call = Call(make_config(**{"agent.turn_taking.barge_in": False})).start()
    first = call.voice.played[-1]
    call.caller("who is this?", 0.5, 1.0)
    assert call.voice.played[-1] is first  # queued, not talking over itself
    call.finish_speech(2.0)
    assert len(call.voice.played) == 2


def test_the_action_cuts_what_the_agent_is_saying_and_the_goodbye_follows():
    """With barge-in off the caller's "bye" lands while the greeting plays: the ending
    stops the greeting there, drops nothing queued, and the goodbye is what plays next."""
    call = Call(make_config(**{"agent.turn_taking.barge_in": False})).start()
    greeting = call.voice.played[-1]
    call.caller("bye", 0.5, 1.0)
    assert call.one(ev.ActionInvoked).turn == 1
    speech = call.one(ev.AgentSpeech)
    assert speech.cut_short and speech.end == 1.0
    assert call.voice.played[-1] is not greeting
    assert call.engine.state is CallState.ENDING


def test_response_delay_is_honoured():
    call = Call(make_config(**{"agent.turn_taking.response_delay_ms": 250})).start()
    assert call.voice.played == [] and call.engine.next_deadline() == 0.25
    call.at(0.25)
    assert len(call.voice.played) == 1


def test_fault_continues_or_ends_as_configured():
    call = Call().start()
    call.engine.fault("audio", "the microphone disappeared", fatal=True)
    notice = call.one(ev.Notice)
    assert notice.level == "error" and "microphone" in notice.message
    assert call.engine.active
    ending = Call(make_config(**{"agent.turn_taking.on_error": "end"})).start()
    ending.engine.fault("audio", "the microphone disappeared", fatal=True)
    assert ending.one(ev.LineDropped).reason == ev.ERROR


def test_agent_exception_becomes_a_readable_error():
    from console.agent.offline import OfflineAgent

    class Broken(OfflineAgent):
        backend = "broken"

        def begin(self, request, emit):
            raise RuntimeError("boom")

    call = Call()
    call.engine = CallEngine(call.store, Broken(), call.clock, call.voice)
    call.engine.place_call()
    assert "boom" in call.one(ev.Notice).message


def test_an_engine_places_one_call_only():
    call = Call().start()
    try:
        call.engine.place_call()
    except RuntimeError as exc:
        assert "one call" in str(exc)
    else:
        raise AssertionError("a second place_call must be refused")


def test_empty_utterances_are_ignored():
    call = Call().start()
    call.finish_speech(1.0)
    assert call.engine.caller_utterance("   ", 1.0, 1.1)
    assert call.of(ev.CallerSpeech) == []


def test_voice_lost_mid_line_cuts_it_and_later_lines_use_the_new_voice():
    from tests.conftest import ManualVoice

    call = Call().start()
    call.at(0.5)
    spare = ManualVoice()
    call.engine.voice_lost(spare, "the output device stopped")
    speech = call.one(ev.AgentSpeech)
    assert speech.cut_short and speech.end == 0.5
    assert call.engine.state is CallState.LISTENING
    notice = call.one(ev.Notice)
    assert notice.level == "error" and notice.message == "the output device stopped"
    call.caller("yes", 1.0, 1.5)
    assert spare.played and spare.played[-1].text.startswith("Do you own")


def test_voice_lost_ends_the_call_when_configured():
    from tests.conftest import ManualVoice

    call = Call(make_config(**{"agent.turn_taking.on_error": "end"})).start()
    call.at(0.5)
    call.engine.voice_lost(ManualVoice(), "the output device stopped")
    drop = call.one(ev.LineDropped)
    assert drop.reason == ev.ERROR and "output device stopped" in drop.detail


def test_caller_speech_says_when_it_became_final():
    call = Call().start()
    call.finish_speech(1.0)
    call.at(2.7)
    call.engine.caller_utterance("yes", 1.5, 2.0)  # final 0.7 s after the last word
    speech = call.one(ev.CallerSpeech)
    assert (speech.end, speech.heard_at) == (2.0, 2.7)
