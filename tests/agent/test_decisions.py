"""The offline agent's decisions on the failures of issue 22, through start/respond/goodbye."""

from __future__ import annotations

import pytest

from console.agent.goodbye import goodbye_from_prompt
from console.agent.offline import OfflineAgent
from console.agent.phrasing import clean_speech
from console.core.agent_port import EndRequest
from console.core.config import parse_config


def config(prompt: str, **end_call):
    return parse_config({"agent": {"main_prompt": prompt, "name": "Ana"}, "end_call": end_call})


def converse(prompt: str, *lines: str, **end_call):
    cfg = config(prompt, **end_call)
    agent = OfflineAgent()
    decisions = [agent.start(cfg)]
    for i, line in enumerate(lines, start=1):
        decisions.append(agent.respond(cfg, line, i))
    return agent, cfg, decisions


RECEPTIONIST = (
    "You are Ana, the receptionist at Willow Creek Clinic. Greet the caller and ask how you "
    "can help. Answer questions and help callers book visits. When the caller has everything "
    "they need, end the call."
)


def test_a_prose_prompt_is_a_conversation_that_does_not_end_when_its_steps_run_out():
    _, _, (opening, first, second, third) = converse(
        RECEPTIONIST,
        "Hi, I'd like to book a checkup.",
        "Thursday works.",
        "Around ten.",
        description="Use when the conversation is complete.",
    )
    assert opening.say == "Hi, this is Ana from Willow Creek Clinic. How can I help you today?"
    for d in (first, second, third):
        assert d.end is None and d.say


def test_the_conversation_ends_on_its_end_condition():
    _, _, (_, d) = converse(
        RECEPTIONIST, "That's all I needed, thanks.", description="Use when complete."
    )
    assert d.end is not None


def test_a_farewell_with_a_pending_request_does_not_end_the_call():
    _, _, (_, d) = converse(
        RECEPTIONIST,
        "Bye for now, but can you email me the quote first?",
        description="Use when the caller says goodbye.",
    )
    assert d.end is None
    assert d.say == "Sure, I'll email you the quote. Is there anything else I can help you with?"
    assert "farewell with a pending request does not end the call" in d.why
    assert "'bye for now'" in d.why  # the words that would have ended it


def test_after_the_pending_request_a_goodbye_ends_the_call():
    agent, cfg, _ = converse(
        RECEPTIONIST,
        "Bye for now, but can you email me the quote first?",
        description="Use when the caller says goodbye.",
    )
    assert agent.respond(cfg, "No, that's it, bye!", 2).end is not None


def test_a_wrong_number_completes_the_conversation():
    _, _, (_, d) = converse(
        RECEPTIONIST,
        "Who is this? You have the wrong number.",
        description="End the call when the conversation is complete.",
    )
    assert d.end is not None and "wrong number" in d.why


@pytest.mark.parametrize(
    "description",
    [
        "End the call when the conversation is complete.",
        "Call when the user is done.",
        "Use it when the caller has no more questions.",
    ],
)
def test_a_plain_goodbye_completes_a_conversation(description):
    """A caller who says goodbye is done: "complete" is met, and the timeline says why."""
    prompt = "You are Ana, the receptionist at Willow Creek Clinic. Answer questions."
    _, _, (_, d) = converse(prompt, "Okay, thanks, goodbye!", description=description)
    assert d.end is not None
    assert "the caller is leaving, so the conversation is complete" in d.why


def test_a_goodbye_meets_the_prompts_own_complete_rule_with_its_line():
    agent, cfg, (_, d) = converse(
        RECEPTIONIST.replace("end the call.", 'say "Take care!" and end the call.'),
        "Great, thanks. Bye!",
        description="Ends the call.",
    )
    assert d.end is not None
    assert agent.goodbye(cfg, d.end).text == "Take care!"


@pytest.mark.parametrize(
    "prompt,line",
    [
        # a pending request holds it back
        (RECEPTIONIST, "Bye for now, but can you email me the quote first?"),
        # a "not an end" rule covers the goodbye
        (RECEPTIONIST + " Do not end the call when the caller says bye.", "Okay, bye!"),
        # a numbered script's open step decides, not "complete"
        ('1. Ask "Which day suits you?"\n2. Ask "Morning or afternoon?"', "Okay, goodbye."),
    ],
)
def test_a_goodbye_does_not_complete_when_something_holds_it(prompt, line):
    _, _, (_, d) = converse(prompt, line, description="Use when the conversation is complete.")
    assert d.end is None


def test_thank_you_under_do_not_end_is_not_an_ending():
    prompt = (
        "DO NOT call end_call when the user says 'thank you'.\n"
        'If the user says "thank you" or "goodbye", call end_call.'
    )
    _, _, (_, thanks) = converse(prompt, "Thank you.")
    assert thanks.end is None and "says not to end the call" in thanks.why
    _, _, (_, bye) = converse(prompt, "Thank you, goodbye.")
    assert bye.end is not None


def test_fixed_lines_are_said():
    prompt = (
        'Before discussing anything, say exactly: "This call is recorded."\n'
        'If the person asks who you are, respond ONLY with "I\'m Finn from Northpoint."\n'
        "1. Ask \"Is this Taylor?\"\n   - If yes, say 'Thanks, Taylor.' and go to step 2.\n"
        '2. Ask "Can we talk about your account?"'
    )
    _, _, (opening, who, yes) = converse(prompt, "Who are you?", "Yes.")
    assert opening.say == "This call is recorded. Is this Taylor?"
    assert who.say == "I'm Finn from Northpoint. Is this Taylor?"
    assert yes.say == "Thanks, Taylor. Can we talk about your account?"


def test_no_tool_name_or_forbidden_word_is_spoken():
    prompt = (
        'You are Gus from Clearview Windows. Never say "free".\n'
        'If they ask about cost, say "The visit is free. Call end_call if you are done." '
    )
    _, _, (_, d) = converse(prompt, "How much does it cost?")
    assert "free" not in d.say and "end_call" not in d.say


def test_clean_speech_notes_what_it_removed():
    text, note = clean_speech(
        "Okay <wait for user response> let me use endCall now. It's free!", {"endCall"}, ("free",)
    )
    assert text == "Okay let me use now."
    assert "stage direction" in note and "endCall" in note and "'free'" in note


@pytest.mark.parametrize(
    "goodbye_prompt,expected",
    [
        ("say goodbye to the user", "Goodbye!"),
        ("Thank them and wish them a good day", "Thank you. Have a good day!"),
        ("Thank them for their time.", "Thank you for your time. Goodbye!"),
        ('Thank them by name and say: "Thanks {name}, bye!"', "Thanks {name}, bye!"),
        ("end_call", "Thank you for your time. Goodbye."),
        ("Thanks for calling, {name}. Goodbye!", "Thanks for calling, {name}. Goodbye!"),
    ],
)
def test_goodbye_prompts(goodbye_prompt, expected):
    assert goodbye_from_prompt(goodbye_prompt).text == expected


def test_the_goodbye_of_an_instruction_goodbye_prompt_is_spoken_filled():
    cfg = config("Be brief.", goodbye_prompt="Thank them and wish them a good day")
    text = OfflineAgent().goodbye(cfg, EndRequest("end_call", why="")).text
    assert text == "Thank you. Have a good day!"


def test_a_description_ending_at_a_step_uses_the_steps_ending_line():
    prompt = (
        '1. Ask "Anything else I can do?"\n'
        '   - If they have nothing else, say "Take care!" and call end_call.'
    )
    agent, cfg, (_, d) = converse(prompt, "Okay thanks, goodbye!", description="Use on goodbye.")
    assert d.end is not None and agent.goodbye(cfg, d.end).text == "Take care!"


def test_same_words_same_decisions():
    a = converse(RECEPTIONIST, "Hi", "Can you help me?", "bye", description="On goodbye.")[2]
    b = converse(RECEPTIONIST, "Hi", "Can you help me?", "bye", description="On goodbye.")[2]
    assert a == b


# -- held-out prompts (second round) -----------------------------------------------------

FLOW = (
    "## Conversation flow\n"
    '- **greeting**: Say "Thanks for calling, what can I help you with?"\n'
    "  - If the caller describes a leak, a burst pipe or flooding, transition to **emergency**.\n"
    "  - If the caller wants to book a routine job, transition to **booking**.\n"
    '- **emergency**: Say "Turn off your main valve. What\'s your address?" After they give the '
    "address, transition to **wrap_up**.\n"
    '- **booking**: Ask "What day works best?" Once they give a day, say "Great." and '
    "transition to **wrap_up**.\n"
    '- **wrap_up**: Ask "Is there anything else?" If they say no, say "Take care." and call '
    "end_call.\n"
)


def test_a_flow_follows_its_transitions_not_the_order_of_its_nodes():
    _, _, (_, first, second, third) = converse(
        FLOW, "I'd like to book someone to service my boiler.", "Monday.", "No, that's all."
    )
    assert first.say == "What day works best?"
    assert second.say == "Great. Is there anything else?"
    assert third.end is not None and third.end.say_hint == "Take care."


def test_warn_once_then_end_if_it_continues():
    prompt = (
        "# Guardrails\n"
        "If the customer becomes abusive, warn them once. If it continues, say \"I'm going to "
        'end this call now." and end the call.\n'
    )
    _, _, (_, first, second) = converse(
        prompt,
        "You're an idiot.",
        "Shut up.",
        description="End the call after an abusive caller was warned once and kept going.",
    )
    assert first.end is None and "respectful" in first.say
    assert second.end is not None and second.end.say_hint == "I'm going to end this call now."
    assert "refers to line 2" in second.why or "If it continues" in second.why


def test_the_thermostat_script_takes_one_branch_then_moves_on():
    from tests.agent.test_prompt_reader import THERMOSTAT

    _, _, (_, first, second, third) = converse(
        THERMOSTAT
        + "\nIf the steps do not fix the problem, tell them a technician will email them, "
        "then close the call.\n",
        "The screen is blank.",
        "Okay, the screen is on now!",
        "No, that's all.",
    )
    assert "reseat" in first.say
    assert second.say == "Is there anything else I can help with?"
    assert third.end is not None and third.end.say_hint == "Have a warm day!"
    _, _, (_, _, unresolved) = converse(
        THERMOSTAT
        + "\nIf the steps do not fix the problem, tell them a technician will email them, "
        "then close the call.\n",
        "It says offline.",
        "I restarted it but it still says offline.",
    )
    assert unresolved.end is not None and "technician will email" in unresolved.end.say_hint


def test_a_branch_leads_to_its_closing_block_and_the_goodbye_is_the_blocks_line():
    from tests.agent.test_prompt_reader import REMINDER

    _, _, (_, confirm) = converse(REMINDER, "Yes, I'll be there.")
    assert confirm.say == "Wonderful, see you then."
    assert confirm.end is not None and confirm.end.say_hint == "Have a great day!"


def test_a_rule_that_asks_first_waits_for_the_answer_before_the_rest():
    from tests.agent.test_prompt_reader import REMINDER

    _, _, (_, asked, rest) = converse(REMINDER, "Can we move it?", "A different day, Wednesday.")
    assert asked.end is None and asked.say == "Could you tell me which day next week suits you?"
    assert rest.say == "I've passed that on."
    assert rest.end is not None and rest.end.say_hint == "Have a great day!"


def test_a_caller_who_leaves_instead_of_answering_the_rules_question_is_let_go():
    from tests.agent.test_prompt_reader import REMINDER

    _, _, (_, _, bye) = converse(
        REMINDER, "Can we move it?", "Forget it, goodbye.", description="Use on goodbye."
    )
    assert bye.end is not None and "passed that on" not in bye.say


def test_voicemail_without_leaving_a_message_ends_with_no_goodbye_and_says_why():
    from tests.agent.test_prompt_reader import REMINDER

    _, _, (_, d) = converse(
        REMINDER, "You've reached Jordan, please leave a message after the tone."
    )
    assert d.end is not None and d.end.silent == "without leaving a message"
    assert d.end.say_hint == "" and d.say == ""
    assert "with no goodbye" in d.end.why and "without leaving a message" in d.end.why


def test_a_silent_ending_drops_the_line_at_the_action_with_no_goodbye():
    from console.core import events as ev
    from console.scenario.model import Scenario
    from console.scenario.runner import run_scenario
    from tests.agent.test_prompt_reader import REMINDER

    scenario = Scenario.model_validate(
        {
            "name": "voicemail",
            "config": {"agent": {"main_prompt": REMINDER}},
            "caller": [
                {"say": "Hi, you've reached Jordan, please leave a message after the tone."}
            ],
            "expect": {"action_turn": 1, "goodbye_absent": True},
        }
    )
    result = run_scenario(scenario, config(REMINDER))
    assert not result.failures
    drop = next(e for e in result.events if isinstance(e, ev.LineDropped))
    assert "without leaving a message" in drop.detail


def test_ask_and_mention_says_the_mention_first_and_asks_last():
    prompt = (
        "Start by asking if they have a minute. If they already use a payroll provider, ask "
        "what they like least about it and mention that switching costs nothing."
    )
    _, _, (_, d) = converse(prompt, "We already have a payroll company.")
    assert d.say == "Switching costs nothing. Could you tell me what you like least about it?"


LOCKERS = (
    "## How to help\n"
    "- If the locker will not open, ask for the pickup code and tell them you've sent a "
    "remote unlock.\n"
    "- If they ask about opening hours, lockers are open around the clock.\n"
    "\n"
    "## Ending\n"
    "Before ending, always ask whether there is anything else.\n"
)


def test_when_the_prompt_asks_anything_else_before_ending_each_answer_asks_it():
    _, _, (_, answer, bye) = converse(
        LOCKERS, "What are your opening hours?", "Great, bye.", description="Use on goodbye."
    )
    assert answer.say == (
        "Lockers are open around the clock. Is there anything else I can help you with?"
    )
    assert bye.end is not None


def test_tell_them_after_an_ask_waits_for_the_answer_but_a_mention_does_not():
    _, _, (_, asked, told) = converse(LOCKERS, "The locker won't open.", "It's 4 8 2 9 1 3.")
    assert asked.say == "May I have your pickup code?"
    assert told.say.startswith("I've sent a remote unlock.")


def test_a_wrong_person_gets_no_disclosure_and_the_debtor_gets_the_script():
    from tests.agent.test_prompt_reader import COLLECTIONS

    cfg = {"description": "End the call as the rules say."}
    _, _, (opening, wrong) = converse(COLLECTIONS, "No, this is his brother.", **cfg)
    assert opening.say == "Am I speaking with {debtor_name}?"
    assert wrong.end is not None and wrong.end.say_hint == "Thanks, I'll try again another time."
    _, _, (_, confirmed, paid, done) = converse(
        COLLECTIONS, "Yes, speaking.", "Yes, I can pay.", "No, that's all.", **cfg
    )
    # The opening's question was the placeholder step's: the disclosure, then the script.
    assert confirmed.say == (
        "This is an attempt to collect a debt. Your balance is past due. Can you make a "
        "payment today?"
    )
    assert paid.say == "Thank you. Is there anything else?"
    assert done.end is not None and done.end.say_hint == "Goodbye."


def test_a_survey_waits_for_its_opening_then_asks_one_question_at_a_time():
    from tests.agent.test_prompt_reader import SURVEY

    _, _, (opening, q1, again, q2, extra, close) = converse(
        SURVEY, "Sure.", "Pretty good.", "Four.", "5", "The driver was late."
    )
    assert opening.say == "Hi, this is Iris. Do you have two minutes for a quick survey?"
    assert q1.say == "Great. On a scale of 1 to 5, how fresh were your groceries?"
    assert again.say == "May I have a number?"
    assert q2.say == "On a scale of 1 to 5, how likely are you to order again?"
    assert extra.say == "Anything else you'd like us to know?"
    assert close.end is not None and close.end.say_hint == "Thanks, enjoy your week!"
    _, _, (_, declined) = converse(SURVEY, "No, I don't have time.")
    assert declined.end is not None
