"""The platforms' hang-up features as the engine will call them: the end-call phrase rule
and the fixed goodbye."""

from __future__ import annotations

import pytest

from console.core.config import CallConfig
from console.core.hangup import (
    END_CALL_PHRASE,
    fixed_goodbye,
    phrase_ending,
    phrase_ends_call,
)
from console.core.text_variables import fill


@pytest.mark.parametrize(
    ("said", "phrases", "hit"),
    [
        ("Have a great day!", ["have a great day"], "have a great day"),  # any case
        ("OK.   Have a\ngreat   day.", ["have a great day"], "have a great day"),  # spacing
        ("Goodbye for now.", ["bye"], "bye"),  # inside a longer word: Vapi's rule
        ("We have a weekend special.", ["end"], "end"),
        ("Thanks, goodbye!", ["see you", "goodbye"], "goodbye"),  # any listed phrase
        ("Goodbye and see you", ["see you", "goodbye"], "see you"),  # list order decides
        ("Have a great day", ["have a great day!"], None),  # punctuation must match
        ("Can I help with anything else?", ["goodbye"], None),
        ("", ["goodbye"], None),
        ("Goodbye", [], None),
    ],
)
def test_phrase_rule_is_vapis_substring_match(said, phrases, hit):
    assert phrase_ends_call(said, phrases) == hit


@pytest.mark.parametrize(
    ("said", "hit"),
    [
        ("Goodbye for now.", None),  # "bye" is not a word of its own here
        ("Okay, bye!", "bye"),
        ("Bye-bye then.", "bye"),
        ("Maybe tomorrow.", None),
    ],
)
def test_whole_words_rule(said, hit):
    assert phrase_ends_call(said, ["bye"], "whole_words") == hit


def _config(**end_call) -> CallConfig:
    return CallConfig.model_validate(
        {"end_call": end_call, "agent": {"name": "Robin", "variables": {"clinic": "Maple"}}}
    )


def test_phrase_ending_is_off_without_phrases_and_names_the_phrase_and_rule():
    assert phrase_ending(_config(), "Goodbye") is None
    hit = phrase_ending(_config(phrases=["take care"]), "Okay, take care now.")
    assert hit is not None and hit.phrase == "take care"
    assert "'take care'" in hit.detail and "anywhere" in hit.detail
    hit = phrase_ending(_config(phrases=["take care"], phrase_match="whole_words"), "Take care.")
    assert hit is not None and "whole words" in hit.detail
    assert END_CALL_PHRASE == "end_call_phrase"


def test_fixed_goodbye_is_the_message_with_variables_filled():
    config = _config(goodbye_message="Thanks from {clinic}, this was {{agent_name}}. {unknown}")
    assert fixed_goodbye(config) == "Thanks from Maple, this was Robin. {unknown}"


def test_no_fixed_goodbye_when_unset_or_skipped():
    assert fixed_goodbye(_config()) is None
    assert fixed_goodbye(_config(goodbye_message="   ")) is None
    assert fixed_goodbye(_config(goodbye_message="Bye.", skip_goodbye=True)) is None


def test_fill_leaves_unknown_placeholders_and_does_not_split_double_braces():
    assert fill("{{ a }} {a} {{b}} {b}", {"a": "1"}) == "1 1 {{b}} {b}"


def test_new_fields_are_off_by_default():
    action = CallConfig().end_call
    assert action.enabled and action.phrases == [] and action.goodbye_message == ""
    assert CallConfig().platform is None


def test_empty_phrases_are_refused_with_the_rule():
    with pytest.raises(ValueError, match="cannot be empty"):
        _config(phrases=["ok", "  "])
