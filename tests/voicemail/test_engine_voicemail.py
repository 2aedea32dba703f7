"""What the engine does with the answered-by verdict: hold the opening, hang up on a
machine, or wait for the beep and leave the message whole."""

from __future__ import annotations

from console.core import events as ev
from tests.conftest import Call, make_config


def verdict(kind: str, t: float, by: str = "greeting_shape") -> ev.AnsweredByVerdict:
    return ev.AnsweredByVerdict(
        t=t, config_version=1, answered_by=kind, confidence=0.8, decided_by=by, reason="test"
    )


def beep(start: float, end: float, heard: float) -> ev.BeepHeard:
    return ev.BeepHeard(
        t=start, config_version=1, start=start, end=end, hz=1000.0, dbfs=-12.0, heard_at=heard
    )


def screening_call(**changes) -> Call:
    return Call(make_config(**{"voicemail.detect": True, **changes})).start()


def test_the_opening_is_held_until_a_person_is_heard():
    call = screening_call()
    assert call.voice.played == []  # nothing said while the verdict is pending
    call.at(1.2)
    call.engine.answered_by(verdict("human", 1.2))
    assert call.voice.played and call.voice.played[0].text.startswith("Do you have")
    held = call.one(ev.OpeningHeld)
    assert (held.start, held.end, held.released_by) == (0.0, 1.2, "human")
    assert call.one(ev.AnsweredByVerdict).answered_by == "human"


def test_the_hold_expires_and_the_opening_plays():
    call = screening_call(**{"voicemail.hold_opening_max_s": 2.0})
    call.at(2.0)
    assert call.voice.played and call.one(ev.OpeningHeld).released_by == "hold_expired"


def test_a_greeting_heard_while_held_is_logged_not_answered():
    call = screening_call()
    call.caller("hello?", 0.3, 0.8)
    assert call.voice.played == [] and call.one(ev.CallerSpeech).text == "hello?"


def test_hang_up_on_a_machine_drops_at_the_verdict_with_no_agent_audio():
    call = screening_call(**{"voicemail.hold_opening_max_s": 0.0})
    speaking = call.voice.played[-1]  # not held: the opening is playing
    call.at(3.4)
    call.engine.answered_by(verdict("voicemail", 3.4, "beep"))
    drop = call.one(ev.LineDropped)
    assert drop.reason == "voicemail" and drop.t == 3.4
    assert speaking.id in call.voice.stopped and call.voice.dropped
    assert call.of(ev.Goodbye) == []


def test_a_message_waits_for_the_beep_and_plays_whole_before_the_drop():
    call = screening_call(
        **{"voicemail.on_machine": "leave_message", "voicemail.message": "Hi {agent_name} here."}
    )
    call.at(2.0)
    call.engine.answered_by(verdict("voicemail", 2.0, "words"))
    assert call.voice.played == []  # not over the greeting
    call.at(4.6)
    call.engine.beep_heard(beep(4.0, 4.5, 4.52))
    (message,) = call.voice.played
    assert message.text == "Hi Sam here." and message.kind == "goodbye"
    call.caller("more greeting words", 4.7, 5.0)  # the machine talks on: nothing is cut
    assert message.id not in call.voice.stopped and call.engine.active
    call.finish_speech(6.0)
    call.at(6.2)
    goodbye, drop = call.one(ev.Goodbye), call.one(ev.LineDropped)
    assert goodbye.source == "voicemail_message" and goodbye.start >= 4.5
    assert not goodbye.cut_short and drop.reason == "voicemail" and drop.t >= goodbye.end


def no_beep_call(**changes) -> Call:
    """A machine decided at 1.0 s; a message to leave; the beep waited for 5 s."""
    call = screening_call(
        **{
            "voicemail.on_machine": "leave_message",
            "voicemail.message": "Please call us back.",
            "voicemail.beep_max_wait_s": 5.0,
            **changes,
        }
    )
    call.at(1.0)
    call.engine.answered_by(verdict("voicemail", 1.0))
    return call


def test_with_no_beep_a_quiet_machine_gets_the_message_after_the_maximum_wait():
    call = no_beep_call()
    call.at(3.0)
    call.engine.line_quiet(True, 2.0)  # the greeting ended at 2.0 s
    call.at(5.9)
    assert call.voice.played == []  # the beep is still waited for
    call.at(6.0)
    assert [u.text for u in call.voice.played] == ["Please call us back."]
    call.finish_speech(7.5)
    assert "no beep" in call.one(ev.Goodbye).detail


def test_with_no_beep_the_message_waits_for_the_greeting_to_go_quiet():
    call = no_beep_call()
    call.at(3.0)
    call.engine.line_quiet(True, 2.0)
    call.at(3.5)
    call.engine.line_quiet(False, 3.5)  # the greeting goes on (a pause, not its end)
    call.at(8.0)
    assert call.voice.played == []  # past beep_max_wait_s, but never over the greeting
    call.engine.line_quiet(True, 7.0)  # quiet from 7.0 s, known a second later
    (message,) = call.voice.played
    assert message.text == "Please call us back." and call.engine.active
    call.finish_speech(9.5)
    call.at(9.8)
    goodbye = call.one(ev.Goodbye)
    assert goodbye.start == 8.0 and not goodbye.cut_short and "quiet since 7.00" in goodbye.detail
    assert call.one(ev.LineDropped).t >= goodbye.end


def test_a_beep_after_the_maximum_wait_still_starts_the_message():
    call = no_beep_call()
    call.at(7.0)
    assert call.voice.played == []
    call.engine.beep_heard(beep(6.4, 6.9, 6.92))
    assert [u.text for u in call.voice.played] == ["Please call us back."]


def test_a_machine_that_never_goes_quiet_is_left_no_message():
    call = no_beep_call(**{"voicemail.quiet_max_wait_s": 4.0})
    call.at(9.9)
    assert call.voice.played == [] and call.engine.active
    call.at(10.0)  # 5 s for the beep, 4 s more for quiet: no decision left to wait for
    drop = call.one(ev.LineDropped)
    assert drop.reason == "voicemail" and drop.t == 10.0 and "without the message" in drop.detail
    assert call.voice.played == [] and call.of(ev.Goodbye) == []
    warning = call.one(ev.Notice)
    assert warning.level == "warning" and "never went quiet" in warning.message


def test_a_person_is_never_hung_up_on():
    call = screening_call()
    call.at(1.0)
    call.engine.answered_by(verdict("human", 1.0))
    call.engine.answered_by(verdict("voicemail", 1.5))  # a second verdict is ignored
    assert call.engine.active and len(call.of(ev.AnsweredByVerdict)) == 1


def test_a_message_is_never_cut_by_barge_in_even_when_goodbyes_are():
    call = screening_call(
        **{
            "voicemail.on_machine": "leave_message",
            "voicemail.message": "Please call us back.",
            "agent.turn_taking.barge_in_cuts_goodbye": True,
        }
    )
    call.at(2.0)
    call.engine.answered_by(verdict("voicemail", 2.0, "words"))
    call.at(4.6)
    call.engine.beep_heard(beep(4.0, 4.5, 4.52))
    (message,) = call.voice.played
    call.at(4.8)
    call.engine.caller_speech_started(4.7)  # the machine makes a sound: not a caller
    call.caller("beep beep", 4.7, 5.0)
    assert message.id not in call.voice.stopped and call.engine.active
    call.finish_speech(6.0)
    call.at(6.2)
    goodbye = call.one(ev.Goodbye)
    assert not goodbye.cut_short and goodbye.end == 6.0
    assert call.one(ev.LineDropped).t >= goodbye.end


def edit_notices(call: Call) -> list[str]:
    return [n.message for n in call.of(ev.Notice) if "next call" in n.message]


def test_a_mid_call_edit_to_a_setting_read_at_the_answer_says_it_waits_for_the_next_call():
    call = screening_call()
    call.at(0.5)
    call.engine.edit_config({"voicemail.machine_speech_s": 5.0})
    (notice,) = edit_notices(call)
    assert notice == (
        "voicemail.machine_speech_s is read when the call was answered: this call goes on "
        "with 3.0; 5.0 applies from the next call"
    )
    call.engine.edit_config({"voicemail.detect": False})
    assert len(edit_notices(call)) == 2 and call.engine.screening.holding  # still screening


def test_turning_detection_on_mid_call_says_it_waits_for_the_next_call():
    call = Call().start()
    call.engine.edit_config({"voicemail.detect": True})
    (notice,) = edit_notices(call)
    assert notice.startswith("voicemail.detect is read when the call was answered")


def test_the_message_edited_before_the_machine_is_decided_is_the_one_left():
    call = screening_call(**{"voicemail.on_machine": "leave_message", "voicemail.message": "A."})
    call.at(1.0)
    call.engine.edit_config({"voicemail.message": "B."})
    assert edit_notices(call) == []  # not read yet: it applies
    call.engine.answered_by(verdict("voicemail", 1.0, "beep"))
    call.engine.beep_heard(beep(0.8, 1.0, 1.0))
    assert [u.text for u in call.voice.played] == ["B."]
    call.engine.edit_config({"voicemail.message": "C."})
    (notice,) = edit_notices(call)
    assert notice.startswith("voicemail.message is read when the machine was decided at 1.00 s")
