"""The offline agent on prompts in different styles and on varied caller phrasings."""

from __future__ import annotations

import pytest

from console.agent.offline import OfflineAgent
from console.agent.prompt import parse_prompt
from console.core.config import ConfigStore, parse_config

SEED = (
    "4. Ask 'Are you ready to move forward?' If the contact responds no, call end_call "
    "and say 'Thanks for your time.' If the contact responds yes, say \"Great.\" and go to "
    'step 5.\n5. Ask "What email should I use?"'
)


def config(prompt: str, **end_call):
    return parse_config({"agent": {"main_prompt": prompt}, "end_call": end_call})


def converse(prompt: str, *lines: str, **end_call):
    cfg = config(prompt, **end_call)
    agent = OfflineAgent()
    decisions = [agent.start(cfg)]
    for i, line in enumerate(lines, start=1):
        decisions.append(agent.respond(cfg, line, i))
    return agent, cfg, decisions


def test_seed_style_from_the_semantics_doc():
    _, _, (opening, d) = converse(SEED, "no")
    assert opening.say == "Are you ready to move forward?"
    assert d.end is not None and d.end.action_name == "end_call"
    assert d.end.say_hint == "Thanks for your time."
    _, _, (_, yes) = converse(SEED, "yeah sure")
    assert yes.end is None and yes.say == "Great. What email should I use?"


@pytest.mark.parametrize(
    "answer",
    ["no", "Nah.", "not really", "No thanks", "nope", "absolutely not", "I don't think so"],
)
def test_no_phrasings_end_at_the_seed_step(answer):
    _, _, decisions = converse(SEED, answer)
    assert decisions[-1].end is not None, answer


@pytest.mark.parametrize("answer", ["yes", "yeah sure", "absolutely", "of course", "yep"])
def test_yes_phrasings_go_on(answer):
    _, _, decisions = converse(SEED, answer)
    assert decisions[-1].end is None and "Great." in decisions[-1].say


MARKDOWN_STYLE = """# Role
You are Ana, an assistant for Dr. Lee's dental office.

## Steps
Step 1: Say "Hello, this is Ana from Dr. Lee's office."
Step 2: Ask "Would you like to book your cleaning?"
  * If they say yes -> say "Wonderful, I'll send a link." then go to step 3
  * If they say no -> say "Okay, thanks for your time." and call `end_call`
Step 3: Ask "Is there anything else?"

## Objections
- If the caller asks about the price, respond "A cleaning is covered by most plans."
"""


def test_markdown_style_prompt():
    prompt = parse_prompt(MARKDOWN_STYLE)
    assert [s.number for s in prompt.steps] == [1, 2, 3]
    assert len(prompt.rules) == 1
    _, _, (opening, price, no) = converse(MARKDOWN_STYLE, "How much is the price?", "nope")
    assert opening.say.startswith("Hello, this is Ana") and opening.say.endswith("cleaning?")
    assert price.say.startswith("A cleaning is covered") and price.end is None
    assert price.say.endswith("Would you like to book your cleaning?")  # back to the question
    assert no.end is not None and no.end.say_hint == "Okay, thanks for your time."


PLAIN_STYLE = """You are a survey bot.
1) Ask “Did you enjoy your stay?”
   a) If the customer answers yes, go to step 2.
   b) If the customer answers no, say “I'm sorry to hear that.” and go to step 2.
2) Say “Thank you for your feedback, goodbye.” and end the call.
"""


def test_plain_style_with_curly_quotes_and_natural_end_phrase():
    _, _, (opening, d) = converse(PLAIN_STYLE, "no, not really")
    assert opening.say == "Did you enjoy your stay?"
    assert d.say == "I'm sorry to hear that."  # said first, then the action
    assert d.end is not None and d.end.say_hint == "Thank you for your feedback, goodbye."


def test_description_quoted_phrase_triggers():
    desc = 'End the call when the contact says "call me never".'
    _, _, (_, d) = converse(SEED, "Please, call me never!", description=desc)
    assert d.end is not None and "call me never" in d.end.why


@pytest.mark.parametrize(
    "line,label",
    [
        ("Hi, you've reached Jordan, please leave a message after the tone", "voicemail"),
        ("stop calling me", "do not call"),
        ("sorry, wrong number", "wrong number"),
        ("I'm not interested", "not interested"),
        ("gotta go, bye", "goodbye"),
    ],
)
def test_description_intents(line, label):
    desc = (
        "Use when the contact says goodbye, is not interested, asks you to stop calling, "
        "says it is a wrong number, or you reach voicemail."
    )
    _, _, (_, d) = converse(SEED, line, description=desc)
    assert d.end is not None and label in d.end.why


def test_intent_not_in_description_does_not_end():
    _, _, (_, d) = converse(SEED, "stop calling me", description="Use when the contact says bye.")
    assert d.end is None


def test_negated_goodbye_does_not_end():
    _, _, (_, d) = converse(SEED, "I never said goodbye")
    assert d.end is None


def test_caller_who_wants_to_go_on_is_not_hung_up_on():
    _, _, (_, d) = converse(SEED, "No, I'm not done yet")
    assert d.end is None and d.say == "Of course, go ahead."
    assert "wants to go on" in d.why


def test_unknown_action_name_is_spoken_not_invoked():
    _, _, (_, d) = converse(SEED, "no", name="hang_up")
    assert d.end is None and d.say == "Thanks for your time."
    assert d.notices and "'end_call'" in d.notices[0] and "'hang_up'" in d.notices[0]


def test_conversation_complete_at_the_end_of_the_script():
    prompt = '1. Ask "How was it?"\n2. Say "Thanks for the feedback."'
    _, _, (_, d) = converse(
        prompt, "It was great", description="Use when the conversation is complete."
    )
    assert d.say == "Thanks for the feedback." and d.end is None
    agent, cfg, _ = converse(
        prompt, "It was great", description="Use when the conversation is complete."
    )
    later = agent.respond(cfg, "cool", 2)
    assert later.end is not None and "script has no steps left" in later.end.why


def test_unmatched_answer_repeats_the_question():
    _, _, (_, d) = converse(SEED, "what's the weather like")
    assert d.say == "Sorry, I didn't catch that. Are you ready to move forward?"


def test_goto_loops_are_safe():
    prompt = '1. Say "A." and go to step 2.\n2. Say "B." and go to step 1.'
    _, _, (opening,) = converse(prompt)
    assert opening.say == "A. B."


def test_quotes_are_not_instructions():
    prompt = '1. Ask "Should I call end_call now?"'
    parsed = parse_prompt(prompt)
    assert parsed.refs == ()


def test_same_input_same_decisions():
    a = converse(MARKDOWN_STYLE, "yes", "no")[2]
    b = converse(MARKDOWN_STYLE, "yes", "no")[2]
    assert a == b


def test_live_edit_reaches_the_next_decision():
    store = ConfigStore(config(SEED))
    agent = OfflineAgent()
    agent.start(store.current)
    store.edit({"end_call.name": "finish", "agent.main_prompt": SEED.replace("end_call", "finish")})
    d = agent.respond(store.current, "no", 1)
    assert d.end is not None and d.end.action_name == "finish"


def test_goodbye_sources():
    agent = OfflineAgent()
    _, cfg, (_, d) = converse(SEED, "no")
    assert agent.goodbye(cfg, d.end).text == "Thanks for your time."
    cfg2 = config(SEED, goodbye_prompt="Bye {agent_name}.")
    assert agent.goodbye(cfg2, d.end).text == "Bye Agent."
