"""What the words of an answer say: greetings and menus have cues, people do not."""

from __future__ import annotations

import pytest

from console.audio.amd.cues import IVR, VOICEMAIL, find_cues, normalise


def test_normalise_spells_out_contractions_and_drops_punctuation():
    assert normalise("You’ve reached Sam. I can't take your call!") == (
        "you have reached sam i can not take your call"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Please leave a message after the tone.",
        "The person you are calling is not available. At the tone, please record your message.",
        "You've reached Sam's voicemail.",
        "I can't come to the phone right now.",
        "Your call has been forwarded to an automatic voice message system.",
    ],
)
def test_greetings_are_voicemail(text):
    assert find_cues(text).decided == VOICEMAIL


@pytest.mark.parametrize(
    "text",
    [
        "For sales, press 1.",
        "For billing press two.",
        "If you know your party's extension, you may dial it at any time.",
        "Please listen carefully as our menu options have changed.",
        "Please say or enter your account number, followed by the pound key.",
        # A menu that also offers a message: the keypad makes it a menu.
        "To leave a message for our staff, press 3.",
    ],
)
def test_menus_are_ivr(text):
    assert find_cues(text).decided == IVR


@pytest.mark.parametrize(
    "text",
    [
        "Hello?",
        "Hello, this is Sam speaking.",
        "Yeah, who's this?",
        "Sorry, he is not available.",  # one weak cue is not enough...
        "Thank you for calling back.",
        "I pressed the button already.",
        "Can you hold on a second?",
    ],
)
def test_people_are_not_decided_by_words(text):
    assert find_cues(text).decided is None


def test_weak_cues_add_up():
    cues = find_cues("I am not available right now, I will call you back.")
    assert cues.scores[VOICEMAIL] == 1.0 and cues.decided == VOICEMAIL
    assert cues.said(VOICEMAIL) == ["am not available", "call you back"]
