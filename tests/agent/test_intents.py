from __future__ import annotations

import pytest

from console.agent import intents as it


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "Yeah sure!",
        "Absolutely.",
        "yep",
        "of course",
        "sure thing",
        "okay let's do it",
        "I guess so",
        "uh huh",
        "Yes please",
        "that works for me",
        "sounds good",
    ],
)
def test_yes_variants(text):
    assert it.analyse(text).polarity().intent == it.YES


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "Nah.",
        "not really",
        "No thanks",
        "no thank you",
        "Nope",
        "absolutely not",
        "I don't think so",
        "not now",
        "maybe later",
        "not yet",
        "I'm good, thanks",
    ],
)
def test_no_variants(text):
    assert it.analyse(text).polarity().intent in (it.NO, it.NOT_INTERESTED)


@pytest.mark.parametrize("text", ["I'm not sure", "hmm let me think", "who is this"])
def test_neither_yes_nor_no(text):
    assert it.analyse(text).polarity() is None


@pytest.mark.parametrize(
    "text,intent",
    [
        ("ok bye", it.GOODBYE),
        ("alright, talk to you later", it.GOODBYE),
        ("I have to go", it.GOODBYE),
        ("I'm not interested", it.NOT_INTERESTED),
        ("this is not for me", it.NOT_INTERESTED),
        ("that's all, thanks", it.COMPLETE),
        ("nothing else", it.COMPLETE),
        ("you have the wrong number", it.WRONG_NUMBER),
        ("there's nobody by that name here", it.WRONG_NUMBER),
        ("please stop calling me", it.DO_NOT_CALL),
        ("take me off your list", it.DO_NOT_CALL),
        ("please leave a message after the tone", it.VOICEMAIL),
        ("the person you are calling is not available", it.VOICEMAIL),
        ("no, I'm not done", it.CONTINUE),
        ("hold on a second", it.CONTINUE),
    ],
)
def test_intents(text, intent):
    assert it.analyse(text).has(intent)


@pytest.mark.parametrize(
    "text,intent",
    [
        ("no, I'm not done", it.GOODBYE),
        ("no, I'm not done", it.COMPLETE),
        ("don't hang up", it.GOODBYE),
        ("I never said goodbye", it.GOODBYE),
        ("I'm not sure", it.YES),
        ("it's not all done", it.COMPLETE),
    ],
)
def test_negation_blocks_positive_intents(text, intent):
    assert not it.analyse(text).has(intent)


def test_negation_is_recorded():
    analysis = it.analyse("I never said goodbye")
    hit = analysis.negated(it.GOODBYE)
    assert hit is not None and hit.negator == "never"


def test_longest_phrase_wins():
    hits = it.analyse("absolutely not").hits
    assert [(h.intent, h.words) for h in hits] == [(it.NO, "absolutely not")]


def test_recogniser_style_text_without_punctuation():
    analysis = it.analyse("no thanks bye")
    assert analysis.polarity().intent == it.NO and analysis.has(it.GOODBYE)


def test_contractions_and_curly_quotes():
    assert it.tokens_of("I’m not interested, don't call") == [
        "i",
        "am",
        "not",
        "interested",
        "do",
        "not",
        "call",
    ]
