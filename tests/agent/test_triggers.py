"""Description triggers and conditions as people phrase them (issue 22)."""

from __future__ import annotations

import pytest

from console.agent import intents as it
from console.agent.conditions import OTHERWISE, VAGUE, match, read_condition
from console.agent.matching import description_triggers
from console.agent.pending import pending_request
from console.agent.prompt_statements import read_statement


@pytest.mark.parametrize(
    "description,intent",
    [
        ("Use it when the user wants to end the call.", it.GOODBYE),
        ("End the call only when the user explicitly requests it.", it.GOODBYE),
        ("Hang up if the lead becomes rude.", it.ABUSIVE),
        ("Use when the conversation is complete.", it.COMPLETE),
        ("Call this when the customer has no more questions.", it.COMPLETE),
        ("Use it when the person asks not to be called again.", it.DO_NOT_CALL),
        ("Ends the call on voicemail.", it.VOICEMAIL),
    ],
)
def test_description_phrasings(description, intent):
    assert intent in description_triggers(description).intents


def test_when_appropriate_is_read_and_says_how():
    (cond,) = description_triggers("End the call when appropriate.").ends
    assert cond.kind == VAGUE and set(cond.intents) == {it.GOODBYE, it.COMPLETE}
    assert "appropriate" in cond.describe()


def test_a_description_without_a_condition_has_no_trigger():
    assert description_triggers("Ends the current call.").ends == ()


def test_call_when_and_do_not_call_when_lists():
    t = description_triggers(
        "Call when:\n- the user says goodbye\n- the user has no more questions\n"
        'Do not call when:\n- the user says "thank you" mid-conversation\n'
    )
    assert set(t.intents) == {it.GOODBYE, it.COMPLETE}
    assert t.phrases == ()  # "thank you" is under "do not call when": never a trigger
    (never,) = t.never
    assert never.phrases == ("thank you",)


@pytest.mark.parametrize(
    "description,intent",
    [
        ("Do not call this unless the caller says goodbye.", it.GOODBYE),
        ("Never call end_call unless the user asks to end the call.", it.GOODBYE),
        ("Don't end the call until the customer confirms they are done.", it.COMPLETE),
        ("Do not use this tool before the user says bye.", it.GOODBYE),
    ],
)
def test_do_not_call_unless_is_a_trigger_not_a_never(description, intent):
    """ "Do not call this unless X": X is when to call it."""
    t = description_triggers(description)
    assert t.never == ()
    assert intent in t.intents


def test_a_do_not_call_unless_list_is_a_list_of_triggers():
    t = description_triggers(
        "Do not call this unless:\n- the user says goodbye\n- the user is rude\n"
    )
    assert t.never == () and set(t.intents) == {it.GOODBYE, it.ABUSIVE}


def test_a_quoted_phrase_with_a_comma_matches():
    t = description_triggers('End the call when the caller says "that\'s all, bye".')
    (cond,) = t.ends
    m = match(cond, it.analyse("No, that's all, bye."))
    assert m is not None and m.words == "that is all bye"


def test_a_quoted_phrase_after_a_negation_does_not_match():
    cond = read_condition('the caller says "goodbye"')
    assert match(cond, it.analyse("I'm not saying goodbye yet")) is None


def test_a_description_says_no_means_not_interested_not_any_no():
    t = description_triggers("Use when the contact says no or declines.")
    assert set(t.intents) == {it.NOT_INTERESTED}


@pytest.mark.parametrize(
    "text,kind,intents",
    [
        ("If the contact responds no", "caller", (it.NO,)),
        ("If so", "caller", (it.YES,)),
        ("Otherwise", OTHERWISE, ()),
        ("If they decline", "caller", (it.NOT_INTERESTED, it.NO)),
        # a wrong person, and a "no" to "Am I speaking with {customer}?" when asked just before
        ("If the person is not {customer}", "caller", (it.WRONG_NUMBER, it.NO)),
        ("Once you have confirmed the appointment", "agent", ()),
        ("When the customer has booked or declined", "agent", (it.NOT_INTERESTED,)),
        ("until the patient confirms they have no more questions", "caller", (it.COMPLETE,)),
    ],
)
def test_conditions(text, kind, intents):
    cond = read_condition(text)
    assert cond.kind == kind and cond.intents == intents


def test_words_conditions_match_word_forms_and_topics():
    assert match(read_condition("If they want delivery"), it.analyse("deliver it please"))
    assert match(read_condition("If they ask about prices"), it.analyse("How much is it?"))
    assert not match(read_condition("If they ask about prices"), it.analyse("Who is this?"))


@pytest.mark.parametrize(
    "text,kind",
    [
        ("Bye for now, but can you email me the quote first?", "request"),
        ("Okay bye, oh wait, do you deliver?", "question"),
        ("Thanks, goodbye! What are your hours?", "question"),
        ("I need to reschedule.", "request"),
    ],
)
def test_pending_requests(text, kind):
    pending = pending_request(text)
    assert pending is not None and pending.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "Okay, thanks, goodbye!",
        "Who is this? You have the wrong number.",
        "Can you take me off your list?",
        "No thanks, I have to go.",
        "why do you keep calling me, bye",
    ],
)
def test_no_pending_request(text):
    assert pending_request(text) is None


# -- held-out prompts (second round): conditions as the new styles write them ------------


@pytest.mark.parametrize(
    "text,intents",
    [
        ("If they say now is not a good time", (it.NO,)),
        ("If now is a good time", (it.YES,)),
        ("If they can pay", (it.YES,)),  # answers "Can you make a payment today?"
        ("If they cannot", (it.NO,)),
        ("If they won't", (it.NO,)),
        ("If the locker will not open", ()),  # a thing, not the caller: no yes or no
    ],
)
def test_answers_written_as_a_time_or_a_bare_modal(text, intents):
    assert read_condition(text).intents == intents


def test_a_caller_who_cannot_do_it_says_no():
    hit = it.analyse("I can't pay the full amount right now.").polarity()
    assert hit is not None and hit.intent == it.NO


def test_a_condition_listing_alternatives_matches_any_one_of_them():
    cond = read_condition("If the caller describes a leak, a burst pipe or flooding")
    assert match(cond, it.analyse("My kitchen pipe burst, there's water everywhere!"))
    assert match(cond, it.analyse("The basement is flooding."))
    assert not match(cond, it.analyse("I'd like a quote for a new boiler."))


def test_wanting_to_book_is_heard_in_the_callers_own_words():
    cond = read_condition("If the caller wants to book a routine job")
    assert it.YES in cond.intents  # still a yes to "would you like to book?"
    assert match(cond, it.analyse("I'd like to book someone to service my water heater."))


def test_a_sales_pitch_is_selling_without_the_word():
    cond = read_condition("If the caller is selling something")
    assert match(cond, it.analyse("I'm calling from a marketing agency with a great offer."))
    assert not match(cond, it.analyse("My tap is dripping."))


def test_after_they_give_it_is_any_answer():
    assert read_condition("After they give the address").kind == OTHERWISE
    assert read_condition("Once they give a day").kind == OTHERWISE
    assert read_condition("Once they give their consent").kind != OTHERWISE


def test_a_thing_that_has_expired_is_heard_not_an_outcome_of_the_script():
    cond = read_condition("If the code has expired")
    assert cond.kind == "caller" and match(cond, it.analyse("My code expired."))
    assert read_condition("If the customer has booked").kind == "agent"


def test_a_problem_that_persists_after_a_step_is_heard():
    cond = read_condition("If the steps do not fix the problem")
    assert cond.intents == (it.UNRESOLVED,)
    assert match(cond, it.analyse("I restarted the router but it still says offline."))
    assert not match(cond, it.analyse("My thermostat does not work."))  # the problem itself


def test_a_condition_that_counts_only_the_second_time():
    cond = read_condition("after an abusive caller was warned once and kept going")
    assert cond.again == (it.ABUSIVE,)
    said = it.analyse("Shut up.")
    assert not match(cond, said)
    assert match(cond, said, heard_before=frozenset({it.ABUSIVE}))
    both = read_condition(
        "when the customer has nothing else, or when an abusive caller was warned"
    )
    assert both.again == (it.ABUSIVE,)  # the warning belongs to its own clause


def test_what_happens_to_a_thing_must_be_heard_with_its_negation():
    locker = read_condition("If the locker will not open")
    assert match(locker, it.analyse("The locker won't open."))
    assert not match(locker, it.analyse("It opened, thanks!"))
    assert not match(locker, it.analyse("What are your opening hours?"))
    code = read_condition("If the code has expired")
    assert not match(code, it.analyse("The code is 4 8 2 9 1 3."))
    # A "do not" in the agent's own instruction is not the caller's negation.
    st = read_statement('Do not discuss prices; say "An advisor will explain." if asked.')
    assert match(st.cond, it.analyse("What's the price?"))


def test_a_negated_condition_is_heard_only_negated():
    cond = read_condition("If they say they never asked for a test drive")
    assert match(cond, it.analyse("I never asked for a test drive, wrong person."))
    assert not match(cond, it.analyse("Yes, the test drive sounds great."))
    insured = read_condition("If they don't have insurance")
    assert match(insured, it.analyse("No, I don't have any insurance."))
    assert not match(insured, it.analyse("I have insurance through work."))


def test_asked_not_to_be_called_again_is_not_a_second_time():
    assert read_condition("when the person asks not to be called again").again == ()


def test_an_answer_in_words_when_a_number_is_wanted():
    cond = read_condition("if they answer with words")
    assert cond.intents == (it.NOT_A_NUMBER,)
    assert match(cond, it.analyse("Pretty good, I guess."))
    for number in ("Five.", "4", "I'd say a three."):
        assert not match(cond, it.analyse(number))
