"""The end-of-turn rules: what the words say, how long each case waits, the maximum, the
setting that picks the rule, and the timeline row that says which rule ended a turn."""

from __future__ import annotations

import pytest

from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.report.table import describe
from console.speech.end_of_turn import (
    COMPLETE,
    NOTHING,
    OPENER,
    UNFINISHED,
    AdaptiveRule,
    SilenceRule,
    TurnEnding,
    judge,
    rule_for,
    words_of,
)


@pytest.mark.parametrize(
    "text",
    [
        "no thanks",
        "No thanks.",
        "that's fine",
        "i'm not interested",
        "sounds good thank you",
        "i don't think so",
        "yes please",
        "call me back tomorrow",
        "yes i do",
        "definitely not",
        "whatever you like",
        "ten minutes or so",
    ],
)
def test_complete_answers(text):
    assert judge(text).kind == COMPLETE, judge(text)


@pytest.mark.parametrize(
    ("text", "because"),
    [
        ("yes i am", "'i am'"),
        ("Yes, I am...", "'i am'"),
        ("i would like to talk about it and", "conjunction 'and'"),
        ("i'm interested but", "conjunction 'but'"),
        ("we could do it on the", "article 'the'"),
        ("i need a", "article 'a'"),
        ("i'd like to speak to", "preposition 'to'"),
        ("i was thinking about", "preposition 'about'"),
        ("um", "hesitation 'um'"),
        ("so my answer is uh", "hesitation 'uh'"),
        ("well", "lead-in"),
        ("okay so", "lead-in"),
        ("i think", "'i think'"),
        ("i'd like", "'i'd like'"),
        ("it's", "cannot end a sentence"),
        ("the best time is", "'time is'"),
        ("that would be", "'would be'"),
        ("i'm not", "'i'm not'"),
        ("let me", "'let me'"),
    ],
)
def test_unfinished_utterances_say_why(text, because):
    verdict = judge(text)
    assert verdict.kind == UNFINISHED, verdict
    assert because in verdict.why


def test_a_lone_yes_or_no_may_go_on_after_a_comma():
    assert judge("no").kind == OPENER
    assert judge("Yes.").kind == OPENER
    assert judge("no no").kind == COMPLETE  # more than the opener: an answer


def test_what_vosk_cannot_give_is_ignored():
    # vosk writes no punctuation and marks unplaced words [unk]; the rules read the same
    # words from the script's text (benchmarks) as from vosk.
    assert words_of("Yes, I am... [unk] <unk> ready!") == ["yes", "i", "am", "ready"]
    assert judge("[unk]").kind == NOTHING
    assert judge("").kind == NOTHING
    # Words of another language are not in the English lists: complete.
    assert judge("널 사").kind == COMPLETE


def test_adaptive_waits_short_for_complete_longer_for_openers_and_max_for_unfinished():
    # 200 ms ends "No thanks."; a lone "no" waits 300 ms (espeak's comma pause is about
    # 170 ms); "yes I am" waits the maximum.
    rule = AdaptiveRule(min_s=0.2, max_s=1.2)
    assert rule.wait("no thanks").silence_s == pytest.approx(0.2)
    assert rule.wait("no").silence_s == pytest.approx(0.3)
    assert rule.wait("yes i am").silence_s == pytest.approx(1.2)
    assert rule.wait("").silence_s == pytest.approx(0.2)  # nothing to read: the short wait
    assert "waits up to 1200 ms" in rule.wait("and the").why


def test_the_maximum_bounds_every_wait():
    tight = AdaptiveRule(min_s=0.3, max_s=0.4)
    waits = [tight.wait(t).silence_s for t in ("no", "no thanks", "and", "um", "i am")]
    assert max(waits) == pytest.approx(0.4) and min(waits) == pytest.approx(0.3)


def test_silence_rule_ignores_the_words():
    rule = SilenceRule(0.5)
    assert {rule.wait(t).silence_s for t in ("and", "no thanks", "")} == {0.5}


def test_turn_ending_judges_once_per_pause_and_again_after_a_sound():
    ending = TurnEnding(AdaptiveRule(0.2, 1.0))
    reads: list[str] = []

    def text(value: str):
        return lambda: reads.append(value) or value

    assert ending.check(0.25, text("yes i am")) is None  # unfinished: waits for 1.0 s
    assert ending.check(0.9, text("ignored")) is None  # same pause: judged once
    assert reads == ["yes i am"]
    ending.sound()  # the caller went on: the words change
    ended = ending.check(0.21, text("yes i am ready to move forward"))
    assert ended is not None and ended.rule == "adaptive"
    assert ended.silence_s == pytest.approx(0.21) and "forward" in ended.why
    unfinished = TurnEnding(AdaptiveRule(0.2, 1.0))
    assert unfinished.check(0.99, text("and")) is None
    last = unfinished.check(1.0, text("and"))
    assert last is not None and "waits up to 1000 ms" in last.why  # the maximum ends it


def store(**turn_taking) -> ConfigStore:
    return ConfigStore(parse_config({"agent": {"turn_taking": turn_taking}}))


def test_the_setting_picks_the_rule():
    silence = rule_for(store(endpoint_silence_ms=300).current.agent.turn_taking)
    assert silence == SilenceRule(0.3)
    adaptive = rule_for(
        store(
            end_of_turn="adaptive", min_end_of_turn_ms=150, max_end_of_turn_ms=900
        ).current.agent.turn_taking
    )
    assert adaptive == AdaptiveRule(0.15, 0.9)


def test_bad_end_of_turn_settings_are_refused_with_a_reason():
    s = store()
    result = s.edit({"agent.turn_taking.end_of_turn": "smart"})
    assert not result.accepted and "'silence' or 'adaptive'" in result.problems[0].message
    result = s.edit(
        {"agent.turn_taking.min_end_of_turn_ms": 500, "agent.turn_taking.max_end_of_turn_ms": 400}
    )
    assert not result.accepted
    assert "max_end_of_turn_ms (400) must be at least min_end_of_turn_ms (500)" in str(
        result.problems
    )


def test_the_caller_row_says_which_rule_ended_the_turn_and_after_how_much_silence(call):
    call.start()
    call.at(3.0)
    ended = {"end_rule": "adaptive", "end_silence_s": 0.21, "end_why": "complete: ends with 'x'"}
    call.engine.caller_utterance("no thanks", 2.0, 2.8, **ended)
    said = call.one(ev.CallerSpeech)
    assert (said.end_rule, said.end_silence_s, said.end_why) == tuple(ended.values())
    row = describe(said)
    assert row is not None
    assert row[2].endswith(
        "turn ended by adaptive after 210 ms of silence (complete: ends with 'x')"
    )
    call.engine.caller_utterance("more", 3.0, 3.5)  # typed: no rule, no row text
    typed = call.of(ev.CallerSpeech)[-1]
    assert typed.end_rule == "" and "turn ended" not in describe(typed)[2]
