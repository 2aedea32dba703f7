"""The agent contract from the engine's side: turn identities, the response delay applied
to every agent alike, and discards on the timeline (invariant 9)."""

from __future__ import annotations

from console.agent.offline import OfflineAgent
from console.core import events as ev
from console.core.agent_port import AgentRequest, Emit, Purpose, Say, TurnDone
from console.core.engine import CallEngine
from tests.conftest import Call, make_config


class LateAgent(OfflineAgent):
    """Answers replies only when the test says so (a model still thinking)."""

    backend = "late"

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[int, Emit] = {}
        self.cancelled: list[int] = []

    def begin(self, request: AgentRequest, emit: Emit) -> None:
        if request.purpose is Purpose.REPLY:
            self.waiting[request.turn] = emit
        else:
            super().begin(request, emit)

    def cancel(self, turn: int, heard: tuple[str, ...] = ()) -> None:
        self.cancelled.append(turn)

    def answer(self, turn: int, text: str) -> None:
        emit = self.waiting.pop(turn)
        emit(Say(turn, text))
        emit(TurnDone(turn))


def late_call() -> tuple[Call, LateAgent]:
    call = Call()
    agent = LateAgent()
    call.engine = CallEngine(call.store, agent, call.clock, call.voice)
    return call, agent


def test_a_late_reply_to_an_earlier_turn_is_discarded_and_the_new_one_plays():
    call, agent = late_call()
    call.start()
    call.finish_speech(1.0)
    call.caller("yes", 1.5, 2.0)
    call.caller("wait, actually", 2.5, 3.0)  # turn 2 before the agent answered turn 1
    assert agent.cancelled == [1]
    agent.answer(1, "Answer to yes.")  # arrives late
    agent.answer(2, "Answer to wait.")
    played = [u.text for u in call.voice.played]
    assert "Answer to yes." not in played and played[-1] == "Answer to wait."
    discard = call.one(ev.ReplyDiscarded)
    assert (discard.turn, discard.superseded_by) == (1, 2)
    assert discard.reason == "the caller spoke again"


def test_barge_in_discards_the_reply_being_prepared():
    call, agent = late_call()
    call.start()
    call.finish_speech(1.0)
    call.caller("tell me more", 1.5, 2.0)
    call.at(2.5)
    call.engine.caller_speech_started(2.5)  # the caller speaks again: the reply is moot
    discard = call.one(ev.ReplyDiscarded)
    assert (discard.turn, discard.superseded_by, discard.reason) == (
        1,
        2,
        "the caller barged in",
    )
    agent.answer(1, "Too late.")
    assert "Too late." not in [u.text for u in call.voice.played]


def test_the_response_delay_holds_every_agent_and_a_new_turn_discards_what_waits():
    call = Call(make_config(**{"agent.turn_taking.response_delay_ms": 500}))
    call.start()
    call.at(0.5)  # the opening waits for the delay too
    assert call.voice.played and call.voice.played[0].text.startswith("Do you have")
    call.finish_speech(2.0)
    call.caller("yes", 2.5, 3.0)
    call.at(3.2)
    assert len(call.voice.played) == 1  # decided, held for the delay
    call.caller("I mean, yes I do", 3.3, 3.4)
    call.at(3.9)
    discard = call.one(ev.ReplyDiscarded)
    assert discard.turn == 1 and discard.text.startswith("Do you own")
    assert len(call.voice.played) == 2  # one answer, to turn 2


def test_every_spoken_line_names_the_turn_it_answers():
    call = Call().start()
    call.finish_speech(1.0)
    call.caller("yes", 1.5, 2.0)
    assert [u.turn for u in call.voice.played] == [0, 1]


def test_a_mid_call_edit_reaches_the_next_request():
    call, agent = late_call()
    call.start()
    call.finish_speech(1.0)
    call.engine.edit_config({"end_call.description": "Only on request."})
    seen: list[str] = []
    original = agent.begin

    def spy(request: AgentRequest, emit: Emit) -> None:
        seen.append(request.config.end_call.description)
        original(request, emit)

    agent.begin = spy  # type: ignore[method-assign]
    call.caller("yes", 1.5, 2.0)
    assert seen == ["Only on request."]


def test_a_farewell_without_the_action_is_a_warning_before_the_drop():
    """'Said goodbye but never hung up': on the timeline when the caller hangs up."""

    class FarewellAgent(LateAgent):
        def begin(self, request: AgentRequest, emit: Emit) -> None:
            if request.purpose is Purpose.REPLY:
                emit(Say(request.turn, "Thanks for your time, have a great day!"))
                emit(TurnDone(request.turn))
            else:
                super().begin(request, emit)

    call = Call()
    call.engine = CallEngine(call.store, FarewellAgent(), call.clock, call.voice)
    call.start()
    call.finish_speech(1.0)
    call.caller("no thanks", 1.5, 2.0)
    call.finish_speech(4.0)
    call.at(9.0)
    call.engine.hang_up()
    warning = call.of(ev.Notice)[-1]
    assert warning.level == "warning" and "never" in warning.message.lower()
    assert call.engine.events.index(warning) < call.engine.events.index(call.one(ev.LineDropped))
