"""Platform lints, through the console's own lint_config (where every editor shows them)."""

from __future__ import annotations

from console.agent.lints import lint_config
from console.core.config import CallConfig
from console.platforms import import_files
from tests.platforms.helpers import files

PROMPT = '1. Ask "Ready?" If the contact responds no, call end_call.'


def codes(config: CallConfig) -> list[str]:
    return [lint.code for lint in lint_config(config)]


def config(end_call=None, agent=None, platform=None) -> CallConfig:
    data = {"end_call": end_call or {}, "agent": {"main_prompt": PROMPT, **(agent or {})}}
    if platform:
        data["platform"] = platform
    return CallConfig.model_validate(data)


def test_a_clean_config_has_no_platform_lint():
    clean = config(end_call={"phrases": ["thank you for calling goodbye"]})
    assert not [c for c in codes(clean) if c.startswith(("end_call_phrase", "no_end", "goodbye"))]


def test_short_phrases_are_flagged_with_an_ordinary_line_they_match():
    lints = [x for x in lint_config(config(end_call={"phrases": ["bye"]})) if x.field]
    short = [x for x in lints if x.code == "end_call_phrase_short"]
    assert short and "Goodbye for now, but first one more question." in short[0].message
    assert "end_call_phrase_short" in codes(config(end_call={"phrases": ["end"]}))


def test_a_phrase_in_the_greeting_ends_the_call_at_once():
    c = config(end_call={"phrases": ["have a nice day"]}, agent={"greeting": "Hi! Have a nice day"})
    assert "end_call_phrase_in_greeting" in codes(c)


def test_punctuation_inside_a_phrase():
    assert "end_call_phrase_punctuation" in codes(config(end_call={"phrases": ["bye now!!"]}))


def test_request_start_message_replacing_the_end_call_message():
    lints = lint_config(import_files(files(["vapi_new.json"]), "vapi").config)
    shadowed = [x for x in lints if x.code == "goodbye_message_shadowed"]
    assert shadowed and "Goodbye from Maple Dental." in shadowed[0].message


def test_no_end_call_tool():
    assert "no_end_call_tool" in codes(config(end_call={"enabled": False}))
    imported = import_files(files(["elevenlabs_empty_prompt.json"]), "elevenlabs").config
    message = next(x.message for x in lint_config(imported) if x.code == "no_end_call_tool")
    assert "ElevenLabs" in message


def test_empty_description_means_the_platform_default():
    imported = import_files(files(["vapi_old_flag.json"]), "vapi").config
    assert "platform_default_description" in codes(imported)
    written = import_files(files(["vapi_new.json"]), "vapi").config
    assert "platform_default_description" not in codes(written)


def test_fixed_goodbye_next_to_a_prompt_or_skip_goodbye():
    both = config(end_call={"goodbye_message": "Bye.", "goodbye_prompt": "Say bye."})
    assert "goodbye_message_with_prompt" in codes(both)
    skipped = config(end_call={"goodbye_message": "Bye.", "skip_goodbye": True})
    assert "skip_with_goodbye_message" in codes(skipped)
