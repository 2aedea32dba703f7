"""The prompt reader on the structures of issue 22, each as people write it."""

from __future__ import annotations

import pytest

from console.agent import intents as it
from console.agent.prompt import (
    R_END,
    R_EXAMPLE,
    R_IGNORED,
    R_NOT_END,
    R_PHRASES,
    parse_actions,
    parse_prompt,
)
from console.agent.prompt_statements import read_statement
from console.agent.prompt_text import quotes


def roles(prompt: str) -> dict[int, str]:
    return {e.line: e.role for e in parse_prompt(prompt).entries}


def test_an_example_dialogue_is_not_the_script():
    prompt = (
        'EXAMPLE: 1. You say "Hi, is this Dana?" 2. The caller says "Bye." 3. invoke endCall\n'
        'Ask "Is now a good time?"'
    )
    parsed = parse_prompt(prompt)
    assert not parsed.explicit_script
    assert [s.spoken for s in parsed.steps] == ["Is now a good time?"]
    assert roles(prompt)[1] == R_EXAMPLE and parsed.refs == ()


def test_a_numbered_dialogue_is_an_example_even_without_a_label():
    prompt = (
        'Ask "Hi, is this Dana?"\n\n'
        "1. Agent: Hi, is this Dana?\n2. Caller: Yes, bye.\n3. Agent: Goodbye! (end_call)\n"
    )
    parsed = parse_prompt(prompt)
    assert not parsed.explicit_script and parsed.refs == ()
    assert [roles(prompt)[n] for n in (3, 4, 5)] == [R_EXAMPLE] * 3


def test_a_numbered_voicemail_phrase_list_is_not_the_script():
    prompt = (
        "Voicemail greetings sound like:\n"
        '1. "You have reached the voicemail of"\n'
        '2. "Please leave a message"\n'
        "If you hear one of these, call end_call.\n"
        "\n"
        "Steps:\n"
        '1. Ask "Do you have a minute?"\n'
    )
    parsed = parse_prompt(prompt)
    assert [s.spoken for s in parsed.steps] == ["Do you have a minute?"]
    assert parsed.voicemail_phrases == (
        "You have reached the voicemail of",
        "Please leave a message",
    )
    (rule,) = parsed.rules
    assert it.VOICEMAIL in rule.cond.intents and "Please leave a message" in rule.cond.phrases
    assert roles(prompt)[2] == R_PHRASES


def test_a_numbered_list_of_rules_is_not_the_script():
    prompt = (
        "Transfer rules:\n"
        '1. If the caller asks for billing, say "Connecting you to billing."\n'
        "2. If the caller is angry, call transfer_to_manager.\n"
    )
    parsed = parse_prompt(prompt)
    assert parsed.steps == () and len(parsed.rules) == 2


def test_negated_instructions_are_not_triggers():
    prompt = (
        "DO NOT call end_call when the user says 'thank you'.\n"
        "Do NOT use terminate_call to end a normal conversation.\n"
    )
    parsed = parse_prompt(prompt)
    assert parsed.refs == ()  # nothing asks to end the call
    thank, normal = parsed.rules
    assert thank.not_end and thank.cond.phrases == ("thank you",)
    assert normal.not_end and not normal.cond.understood
    assert set(roles(prompt).values()) == {R_NOT_END}


@pytest.mark.parametrize(
    "sentence,intent",
    [
        ("Do not hang up unless the caller says goodbye.", it.GOODBYE),
        ("Never call end_call unless the user asks to end the call.", it.GOODBYE),
        ("Don't end the call until the customer confirms.", it.YES),
        ("Never end the call before the caller says goodbye.", it.GOODBYE),
        ("Unless the caller says goodbye, do not hang up.", it.GOODBYE),
    ],
)
def test_a_negated_end_with_unless_ends_on_the_condition(sentence, intent):
    """ "Do not hang up unless X" says when to hang up: X is the trigger, not a never-end."""
    (rule,) = parse_prompt(sentence).rules
    assert not rule.not_end and rule.ends
    assert intent in rule.cond.intents
    assert set(roles(sentence).values()) == {R_END}


@pytest.mark.parametrize("head", ["Do not end the call unless:", "End the call when:"])
def test_a_list_under_do_not_end_unless_is_a_list_of_triggers(head):
    """A list under "End the call when:" (a label heading) or "Do not end the call
    unless:" is a list of end conditions, not loose phrases."""
    prompt = f"{head}\n- the caller says goodbye\n- the caller is rude\n"
    rules = parse_prompt(prompt).rules
    assert [r.not_end for r in rules] == [False, False]
    assert [r.cond.intents for r in rules] == [(it.GOODBYE,), (it.ABUSIVE,)]


def test_a_rule_spread_over_several_lines():
    prompt = (
        "When the person says something like:\n"
        '- "I sold the car"\n'
        '- "wrong car"\n'
        'THEN say "Thanks, we will update our records." and call terminate_call\n'
    )
    (rule,) = parse_prompt(prompt).rules
    assert rule.cond.phrases == ("I sold the car", "wrong car")
    assert [a.kind for a in rule.actions] == ["say", "call"]
    assert rule.says == "Thanks, we will update our records."


def test_a_then_line_after_a_blank_line_belongs_to_the_rule():
    prompt = (
        'When the person says something like:\n- "I sold the car"\n\nTHEN call terminate_call\n'
    )
    (rule,) = parse_prompt(prompt).rules
    assert rule.cond.phrases == ("I sold the car",) and rule.calls()[0].name == "terminate_call"


def test_a_condition_whose_action_is_on_the_next_line():
    prompt = 'If the person says they are busy:\n  Say "No problem, bye!" and call end_call.\n'
    (rule,) = parse_prompt(prompt).rules
    assert rule.cond.words == ("busy",) and rule.ends and rule.says == "No problem, bye!"


def test_arrows_with_bold_answers():
    prompt = (
        '1. Ask "Any storm damage?"\n'
        "   **Yes** -> go to step 2\n"
        '   **No** -> say "Glad to hear it." -> use end_call\n'
        '2. Ask "Would you like an inspection?"\n'
    )
    step = parse_prompt(prompt).steps[0]
    yes, no = step.rules
    assert yes.cond.intents == (it.YES,) and yes.actions[0].step == 2
    assert no.cond.intents == (it.NO,) and no.ends and no.says == "Glad to hear it."


def test_bracketed_conditions():
    prompt = '[ If O = "remove me" ] -> A: "Of course, goodbye." -> Use end_call_tool'
    (rule,) = parse_prompt(prompt).rules
    assert rule.cond.phrases == ("remove me",)
    assert rule.says == "Of course, goodbye." and rule.calls()[0].name == "end_call_tool"


def test_a_markdown_table_of_steps():
    prompt = (
        "| Step | Agent says | If the guest says | Then |\n"
        "|---|---|---|---|\n"
        '| 1 | "Do you have two minutes?" | no | say "Bye!" and call end_call |\n'
        "| 1 | | yes | go to step 2 |\n"
        '| 2 | "How was your room?" | | |\n'
    )
    parsed = parse_prompt(prompt)
    assert [s.spoken for s in parsed.steps] == ["Do you have two minutes?", "How was your room?"]
    no, yes = parsed.steps[0].rules
    assert no.ends and no.says == "Bye!" and yes.actions[0].step == 2


def test_inline_steps_separated_by_backslashes():
    prompt = 'Steps: 1. Say "Hi." \\ 2. Ask "Ready?" \\ 3. If no, call end_call'
    parsed = parse_prompt(prompt)
    assert [s.spoken for s in parsed.steps] == ["Hi.", "Ready?"]
    assert parsed.steps[1].rules[0].ends


def test_items_packed_on_one_line_with_backslashes_are_read_one_by_one():
    from console.agent.prompt_lines import lex

    lines = lex('Greet the caller warmly \\ Ask "Ready?" \\ If no, call end_call')
    assert [ln.text for ln in lines] == [
        "Greet the caller warmly",
        'Ask "Ready?"',
        "If no, call end_call",
    ]
    assert {ln.no for ln in lines} == {1}


def test_if_you_hear():
    (rule,) = parse_prompt('If you hear "leave a message", call end_call.').rules
    assert rule.cond.phrases == ("leave a message",) and rule.ends


def test_rules_in_role_and_guardrails_prose():
    prompt = (
        "## Role\nYou are Max. If the user says goodbye, call end_call.\n"
        "# Guardrails\nNever promise refunds. Use end_call when the user is rude.\n"
    )
    goodbye, rude = parse_prompt(prompt).rules
    assert goodbye.cond.intents == (it.GOODBYE,) and rude.cond.intents == (it.ABUSIVE,)


def test_sections_name_their_content():
    prompt = (
        '# Objection handling\n- Too expensive: "We have plans from twenty dollars."\n'
        "# Voicemail\nLeave no message and call end_call.\n"
    )
    price, voicemail = parse_prompt(prompt).rules
    assert price.says == "We have plans from twenty dollars." and not price.ends
    assert it.VOICEMAIL in voicemail.cond.intents and voicemail.ends


def test_quoted_tool_names_are_names_not_lines():
    assert quotes("If the user wants to end the call, use the 'hangUp' tool.") == []
    assert quotes("Say 'Goodbye' and trigger the 'endCall' function") == ["Goodbye"]
    (rule,) = parse_prompt("If the user wants to end the call, use the 'hangUp' tool.").rules
    assert rule.says == "" and rule.calls()[0].name == "hangUp"


def test_prose_without_numbers_is_a_conversation():
    parsed = parse_prompt(
        "You are Lena, the receptionist at Willow Creek Clinic. Greet the caller and ask how "
        "you can help. When the caller has everything they need, end the call."
    )
    assert not parsed.explicit_script
    assert [a.text for a in parsed.steps[0].actions] == ["{greeting}", "How can I help you today?"]


@pytest.mark.parametrize(
    "step,question",
    [
        (
            "Ask which day suits them for a follow-up session.",
            "Could you tell me which day suits you for a follow-up session?",
        ),
        (
            "Ask what time works best for a drop-off.",
            "Could you tell me what time works best for a drop-off?",
        ),
        (
            "Ask whether they would like a reminder by e-mail.",
            "Would you like a reminder by e-mail?",
        ),
        ("Ask: which day works for you?", "Which day works for you?"),
        ("Find out which pharmacy they use.", "Could you tell me which pharmacy you use?"),
        (
            "Check whether they received the letter.",
            "Could you tell me whether you received the letter?",
        ),
    ],
)
def test_an_unquoted_ask_step_becomes_a_question(step, question):
    prompt = f'1. Say "Hi, this is Jo from Riverbend Physio."\n2. {step}\n3. Ask "Anything else?"'
    parsed = parse_prompt(prompt)
    assert parsed.steps[1].spoken == question
    assert roles(prompt)[2] != R_IGNORED


def test_fixed_lines():
    parsed = parse_prompt(
        'Before discussing anything, say exactly: "This call is recorded."\n'
        'If the person asks who you are, respond ONLY with: "I\'m Finn from Northpoint."\n'
        'When you end the call, say "Thanks for calling."'
    )
    assert parsed.opening == ("This call is recorded.", 1)
    assert parsed.rules[0].says == "I'm Finn from Northpoint."
    assert parsed.closing == ("Thanks for calling.", 3)


def test_forbidden_words():
    parsed = parse_prompt('Never say "guarantee" or "free". Never mention that you are an AI.')
    assert [w for w, _ in parsed.forbidden] == ["guarantee", "free", "AI"]


def test_every_non_blank_line_is_in_the_map_and_unknown_ones_are_ignored():
    prompt = "You are Sam.\n\nEscalate to a supervisor if needed.\nBe friendly."
    entries = parse_prompt(prompt).entries
    assert [e.line for e in entries] == [1, 3, 4]
    ignored = [e for e in entries if e.role == R_IGNORED]
    assert [e.line for e in ignored] == [3] and ignored[0].instruction_like


def test_a_question_tree_with_answer_labels_and_end_tags():
    prompt = (
        'Q1: "Am I speaking with Dana?"\n'
        "  - Yes: go to Q2\n"
        '  - No: "Sorry to bother you." [end call]\n'
        'Q2: "Do you still own the car?"\n'
        '  - No: "Thanks, goodbye." [end call]\n'
    )
    parsed = parse_prompt(prompt)
    assert [s.spoken for s in parsed.steps] == [
        "Am I speaking with Dana?",
        "Do you still own the car?",
    ]
    yes, no = parsed.steps[0].rules
    assert yes.cond.intents == (it.YES,) and [(a.kind, a.step) for a in yes.actions] == [
        ("goto", 2)
    ]
    assert no.cond.intents == (it.NO,) and no.ends and no.says == "Sorry to bother you."


def test_pseudo_code_blocks_are_the_branches_of_the_question_before_them():
    prompt = (
        'say("Would you like to renew your books?")\n'
        "if caller says yes:\n"
        '    say("Done. Goodbye!")\n'
        "    endCall()\n"
        "elif caller asks about fines:\n"
        '    say("Ten cents a day.")\n'
        "else:\n"
        '    say("Sorry?")\n'
    )
    (step,) = parse_prompt(prompt, "endCall").steps
    yes, fines, other = step.rules
    assert yes.cond.intents == (it.YES,) and [a.kind for a in yes.actions] == ["say", "call"]
    assert fines.cond.words == ("fine",) and not fines.ends
    assert other.cond.kind == "otherwise" and other.says == "Sorry?"


def test_otherwise_is_a_branch():
    prompt = (
        '1. Ask "Ready?"\n   - If yes, say "Great."\n   - Otherwise go to step 2.\n2. Ask "Later?"'
    )
    _yes, other = parse_prompt(prompt).steps[0].rules
    assert other.cond.kind == "otherwise" and [a.step for a in other.actions] == [2]


def test_a_bold_inline_label_is_not_part_of_the_rule():
    prompt = (
        '**Hanging up:** When the guest is finished, say "Enjoy your evening." and call end_call.'
    )
    (rule,) = parse_prompt(prompt).rules
    assert rule.cond.intents == (it.COMPLETE,) and rule.says == "Enjoy your evening."


def test_an_emoji_in_front_of_a_heading():
    prompt = "🚫 NEVER\n- NEVER promise a discount.\n"
    assert roles(prompt)[1] == "section"
    assert parse_prompt(prompt).forbidden == (("discount", 2),)


def test_a_line_said_on_a_condition_before_hanging_up_is_a_rule_not_the_closing():
    """Its line was the goodbye of every call, also of one that ended before any order."""
    conditional = parse_prompt(
        'When the order is complete, say "Your pizza will be ready soon!" before you hang up.'
    )
    assert conditional.closing is None
    (rule,) = conditional.rules
    assert rule.ends and rule.cond.intents == (it.COMPLETE,)
    assert parse_prompt('When you end the call, say "Bye now!"').closing == ("Bye now!", 1)


# -- held-out prompts (second round) -----------------------------------------------------


def test_a_labelled_step_is_read_after_its_label():
    prompt = (
        "1. Find out what the problem is.\n"
        "2. Blank screen: ask them to check the breaker. Ask whether the screen turned on.\n"
    )
    step = parse_prompt(prompt).steps[1]
    assert step.spoken == "Could you check the breaker? Could you tell me if the screen turned on?"
    assert step.name == ""  # a numbered step keeps its number


def test_the_bullet_nodes_of_a_conversation_flow_are_named_for_their_transitions():
    prompt = (
        "## Conversation flow\n"
        '- **greeting**: Say "What can I help you with?"\n'
        "  - If the caller describes a leak, transition to **emergency**.\n"
        '- **emergency**: Ask "What\'s your address?" After they give the address, '
        "transition to **wrap_up**.\n"
        '- **wrap_up**: Ask "Anything else?"\n'
    )
    parsed = parse_prompt(prompt)
    assert [s.name for s in parsed.steps] == ["greeting", "emergency", "wrap_up"]
    assert parsed.steps[0].rules[0].actions[0].name == "emergency"
    (after,) = parsed.steps[1].rules
    assert after.cond.kind == "otherwise" and after.actions[0].name == "wrap_up"


THERMOSTAT = (
    "1. Find out what the problem is.\n"
    "   - If the screen is blank, go to step 2.\n"
    '   - If it shows "offline", go to step 3.\n'
    "2. Blank screen: ask them to reseat the thermostat. Ask whether the screen turned on.\n"
    "3. Offline: ask them to restart their router.\n"
    "4. Once the problem is fixed, ask if there is anything else you can help with.\n"
    '5. When the customer has nothing else, close with "Have a warm day!" and end the call.\n'
)


def test_a_numbered_once_is_the_next_step_and_a_numbered_when_is_a_branch():
    parsed = parse_prompt(THERMOSTAT)
    assert [s.number for s in parsed.steps] == [1, 2, 3, 4]
    assert parsed.steps[3].spoken == "Is there anything else I can help with?"
    (close,) = parsed.steps[3].rules
    assert close.ends and close.says == "Have a warm day!"
    assert "after the steps before it" in roles_detail(THERMOSTAT)[6]


def test_after_one_of_the_branch_targets_the_script_skips_its_siblings():
    parsed = parse_prompt(THERMOSTAT)
    assert parsed.next_index(1) == 3  # step 2 (blank) -> step 4, not step 3 (offline)
    assert parsed.next_index(2) == 3
    assert parsed.next_index(0) == 1


def roles_detail(prompt: str) -> dict[int, str]:
    return {e.line: e.detail for e in parse_prompt(prompt).entries}


REMINDER = (
    "Opening:\n"
    '"Hi, this is Ava from the clinic. Will you be able to make it tomorrow?"\n'
    "\n"
    "Branches:\n"
    '- CONFIRM (the patient says yes): "Wonderful, see you then." Then go to Closing.\n'
    "- RESCHEDULE (the patient wants a different time): ask which day next week suits them, "
    'then say "I\'ve passed that on." Then go to Closing.\n'
    "\n"
    "Closing:\n"
    'Say "Have a great day!" and use end_call.\n'
    "\n"
    "Voicemail:\n"
    "If you reach voicemail, end the call immediately without leaving a message.\n"
)


def test_labelled_branches_with_their_condition_in_brackets_are_rules():
    parsed = parse_prompt(REMINDER)
    confirm, reschedule, _voicemail = parsed.rules
    assert it.YES in confirm.cond.intents
    assert [a.kind for a in confirm.actions] == ["say", "goto"]  # "Then go to Closing." too
    assert confirm.actions[1].name == "Closing"
    assert [a.kind for a in reschedule.actions] == ["ask", "say", "goto"]


def test_a_labelled_block_that_a_go_to_leads_to_is_entered_only_that_way():
    parsed = parse_prompt(REMINDER)
    block = parsed.state("Closing")
    assert block is not None and block.detached and block.spoken == "Have a great day!"
    assert parsed.next_index(0) is None  # the opening's step never runs into the block
    assert "entered by" in {e.line: e.detail for e in parsed.entries}[9]


def test_an_ending_without_leaving_a_message_is_silent():
    (end,) = parse_actions("end the call immediately without leaving a message")
    assert end.kind == "end" and end.silent == "without leaving a message"
    (end,) = parse_actions("hang up with end_call")
    assert end.silent == ""


def test_an_offer_just_before_hanging_up_is_a_promise_not_a_question():
    offer, _end = parse_actions("offer to call back tomorrow and then end the call")
    assert (offer.kind, offer.text) == ("say", "I'll call back tomorrow.")
    (ask,) = parse_actions("offer to call back tomorrow")
    assert ask.kind == "ask"


def test_if_they_ask_about_it_followed_by_a_statement_is_the_answer():
    st = read_statement("If they ask about opening hours, lockers are open around the clock.")
    assert st.kind == "rule"
    assert [(a.kind, a.text) for a in st.actions] == [("say", "Lockers are open around the clock.")]
    assert read_statement("If they ask about parking, tell them to use the back lot.").actions


COLLECTIONS = (
    "COMPLIANCE\n"
    '- Before discussing anything, confirm you are speaking with {debtor_name}. Ask: "Am I '
    'speaking with {debtor_name}?"\n'
    "- If the person is not {debtor_name}, do not say why you are calling. Say \"Thanks, I'll "
    'try again another time." and end the call without disclosing anything.\n'
    '- Once identity is confirmed, read this disclosure word for word: "This is an attempt to '
    'collect a debt."\n'
    "\n"
    "CALL STEPS\n"
    "1. Identity check (see above).\n"
    '2. Say "Your balance is past due. Can you make a payment today?"\n'
    '3. If they can pay: say "Thank you." If they cannot: offer a payment plan.\n'
    '4. Ask "Is there anything else?" and when they say no, say "Goodbye." and end the call.\n'
)


def test_an_opening_check_takes_the_quoted_question_after_it():
    assert parse_prompt(COLLECTIONS).opening == ("Am I speaking with {debtor_name}?", 2)


def test_a_condition_whose_action_is_the_next_sentence_of_its_line():
    rule = parse_prompt(COLLECTIONS).rules[0]
    assert rule.line == 3 and rule.ends and rule.says == "Thanks, I'll try again another time."
    # "end the call without ..." is not "end the call with": no closing line for every call.
    assert (
        read_statement('Say "Bye." and end the call without disclosing it.').kind == "instruction"
    )


def test_an_instruction_and_when_rule_is_a_step_with_a_branch():
    last = parse_prompt(COLLECTIONS).steps[-1]
    assert last.number == 4 and last.spoken == "Is there anything else?"
    (no,) = last.rules
    assert it.NO in no.cond.intents and no.ends and no.says == "Goodbye."


SURVEY = (
    'Introduction: "Hi, this is Iris. Do you have two minutes for a quick survey?"\n'
    "If they decline, thank them and end the call.\n"
    "\n"
    "Questions (ask one at a time; if they answer with words, ask them for a number):\n"
    "Q1. On a scale of 1 to 5, how fresh were your groceries?\n"
    "Q2. On a scale of 1 to 5, how likely are you to order again?\n"
    "\n"
    'After Q2, ask: "Anything else you\'d like us to know?" Listen, then say "Thanks, enjoy '
    'your week!" and end the call.\n'
)


def test_unquoted_numbered_survey_questions_are_steps_but_an_faq_is_not():
    parsed = parse_prompt(SURVEY)
    assert [s.spoken for s in parsed.steps[:2]] == [
        "On a scale of 1 to 5, how fresh were your groceries?",
        "On a scale of 1 to 5, how likely are you to order again?",
    ]
    faq = parse_prompt("Q1: What are your hours?\nA1: Nine to five.\n")
    assert not faq.explicit_script and faq.rules[0].says == "Nine to five."


def test_a_labelled_introduction_is_the_opening():
    assert parse_prompt(SURVEY).opening == (
        "Hi, this is Iris. Do you have two minutes for a quick survey?",
        1,
    )


def test_a_rule_in_the_brackets_of_the_lists_title_applies_to_its_steps_only():
    parsed = parse_prompt(SURVEY)
    assert not [r for r in parsed.rules if r.line == 4]
    for step in parsed.steps[:2]:
        (rule,) = step.rules
        assert rule.cond.intents == (it.NOT_A_NUMBER,) and rule.says == "May I have a number?"


def test_after_the_last_question_comes_a_step_and_after_listen_another():
    parsed = parse_prompt(SURVEY)
    ask, close = parsed.steps[2:]
    assert ask.spoken == "Anything else you'd like us to know?" and ask.waits
    assert close.spoken == "Thanks, enjoy your week!" and close.calls()
