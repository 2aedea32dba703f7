from __future__ import annotations

from console.agent.lints import ERROR, has_errors, lint_config, lint_data
from console.core.config import parse_config

GOOD = '1. Ask "Ready?" If the contact responds no, call end_call and say "Thanks."'


def codes(config) -> set[str]:
    return {lint.code for lint in lint_config(config)}


def cfg(prompt=GOOD, **end_call):
    return parse_config({"agent": {"main_prompt": prompt}, "end_call": end_call})


def test_a_good_config_has_no_lints():
    assert codes(cfg()) == set()


def test_invalid_name_is_an_error_and_nothing_is_applied():
    config, lints = lint_data({"end_call": {"name": "end call"}})
    assert config is None and has_errors(lints)
    assert lints[0].field == "end_call.name" and lints[0].severity == ERROR


def test_prompt_never_mentions_the_action():
    lints = lint_config(cfg(prompt="Be helpful."))
    (lint,) = [x for x in lints if x.code == "prompt_missing_action"]
    assert "end_call" in lint.message and "hesitate" in lint.message


def test_prompt_mentions_another_action_name():
    lints = lint_config(cfg(name="hang_up"))
    other = [x for x in lints if x.code == "prompt_other_action"]
    assert other and other[0].line == 1 and "'end_call'" in other[0].message
    assert "prompt_missing_action" in codes(cfg(name="hang_up"))


def test_call_me_back_is_not_an_action_reference():
    prompt = GOOD + '\nIf the contact asks, say "You can call me back anytime."'
    assert "prompt_other_action" not in codes(cfg(prompt=prompt + "\nAsk them to call us."))


def test_empty_description():
    assert "empty_description" in codes(cfg(description="  "))


def test_description_without_triggers_is_info():
    lints = lint_config(cfg(description="An action."))
    (lint,) = [x for x in lints if x.code == "description_no_triggers"]
    assert lint.severity == "info"


def test_skip_goodbye_with_goodbye_prompt():
    assert "skip_with_goodbye_prompt" in codes(cfg(skip_goodbye=True, goodbye_prompt="Say bye"))


def test_skip_goodbye_while_prompt_asks_to_say_something():
    lints = lint_config(cfg(skip_goodbye=True))
    (lint,) = [x for x in lints if x.code == "skip_with_goodbye_in_prompt"]
    assert '"Thanks."' in lint.message and lint.line == 1
    closing = GOOD.split(" and say")[0] + '\nWhen you end the call, say "Bye!"'
    assert "skip_with_goodbye_in_prompt" in codes(cfg(prompt=closing, skip_goodbye=True))


def test_unknown_variables():
    lints = lint_config(cfg(prompt=GOOD + " Hi {contact_name}", goodbye_prompt="Bye {x}"))
    fields = {x.field for x in lints if x.code == "unknown_variable"}
    assert fields == {"agent.main_prompt", "end_call.goodbye_prompt"}


def test_other_tools_are_not_taken_for_end_call():
    prompt = (
        GOOD + "\nUse the appropriate tools when needed.\n"
        "If you reach voicemail, use the voicemail tool.\n"
        "If they ask for a manager, call transfer_call."
    )
    assert "prompt_other_action" not in codes(cfg(prompt=prompt))


def test_another_name_used_to_end_the_call_is_still_a_warning():
    prompt = GOOD + "\nWhen the caller says goodbye, use the hangUp tool to end the call."
    lints = [x for x in lint_config(cfg(prompt=prompt)) if x.code == "prompt_other_action"]
    assert [(x.line, "'hangUp'" in x.message) for x in lints] == [(2, True)]


def test_lines_the_agent_could_not_use():
    prompt = GOOD + "\nEscalate to a supervisor if needed.\nWrap things up nicely to end the call."
    lints = [x for x in lint_config(cfg(prompt=prompt)) if x.code == "prompt_not_understood"]
    assert [(x.line, x.severity) for x in lints] == [(2, "info"), (3, "warning")]
    assert '"Escalate to a supervisor if needed."' in lints[0].message


def test_a_numbered_step_with_no_line_to_say_is_not_understood():
    """The map showed "step 2: no line to say" and the lints said nothing."""
    prompt = (
        GOOD + "\n2. Qualify the lead against our criteria.\n3. Wait for their answer."
        '\n4. Ask "Anything else?"'
    )  # "Wait for their answer" is understood: the agent listens
    lints = [x for x in lint_config(cfg(prompt=prompt)) if x.code == "prompt_not_understood"]
    assert [(x.line, x.severity) for x in lints] == [(2, "info")]
    assert '"2. Qualify the lead against our criteria."' in lints[0].message
    assert "no line to say" in lints[0].message


def test_a_step_that_asks_in_its_own_words_is_understood():
    prompt = GOOD + "\n2. Ask which day suits them for a follow-up session."
    assert "prompt_not_understood" not in codes(cfg(prompt=prompt))


def test_persona_examples_and_style_are_not_lints():
    prompt = (
        "# Role\nYou are Sam. Be warm and concise.\n# Example\nUser: hi\nAssistant: hello\n" + GOOD
    )
    assert "prompt_not_understood" not in codes(cfg(prompt=prompt))


def test_lint_explain_prints_the_prompt_map(tmp_path, capsys):
    import json

    from console.cli import main

    path = tmp_path / "agent.json"
    data = {
        "agent": {"main_prompt": GOOD + "\nEscalate to a supervisor if needed."},
        "end_call": {"description": "Call when:\n- the user says goodbye"},
    }
    path.write_text(json.dumps(data))
    assert main(["lint", "--explain", str(path)]) == 0
    out = capsys.readouterr().out
    assert "main prompt: a numbered script of 1 step" in out
    assert 'step 1: says "Ready?"' in out and "end trigger" in out
    assert "ends the call on: goodbye" in out
    assert "not understood: line 2" in out
