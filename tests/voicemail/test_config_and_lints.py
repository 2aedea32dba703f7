"""The `voicemail` config section and its lints."""

from __future__ import annotations

import pytest

from console.agent.lints import lint_config, lint_data
from console.core.config import ConfigError, ConfigStore, config_schema, parse_config

GOOD_PROMPT = '1. Ask "Ready?" If the contact responds no, call end_call.'


def cfg(voicemail=None, **end_call):
    return parse_config(
        {
            "end_call": {"description": "Use when the contact says goodbye.", **end_call},
            "agent": {"main_prompt": GOOD_PROMPT, "variables": {"contact_name": "Alex"}},
            **({"voicemail": voicemail} if voicemail is not None else {}),
        }
    )


def codes(config) -> list[str]:
    return [lint.code for lint in lint_config(config)]


def test_off_by_default_and_in_the_schema():
    vm = parse_config({}).voicemail
    assert vm.detect is False and vm.on_machine == "hang_up" and vm.message == ""
    assert vm.beep_max_wait_s == 30.0 and vm.hold_opening_max_s == 4.0
    props = config_schema()["$defs"]["VoicemailSettings"]["properties"]
    assert props["on_machine"]["enum"] == ["hang_up", "leave_message"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("on_machine", "hangup"),
        ("beep_max_wait_s", -1),
        ("hold_opening_max_s", 31),
        ("machine_speech_s", 0.5),
        ("detcet", True),
    ],
)
def test_bad_values_are_refused_naming_the_field(field, value):
    with pytest.raises(ConfigError) as err:
        parse_config({"voicemail": {field: value}})
    assert err.value.problems[0].field == f"voicemail.{field}"


def test_a_mid_call_edit_is_a_new_version():
    store = ConfigStore(cfg())
    result = store.edit({"voicemail.detect": True, "voicemail.on_machine": "leave_message"})
    assert result.accepted and result.version == 2
    assert ("voicemail.detect", False, True) in result.changes


def test_a_good_voicemail_setup_has_no_voicemail_lints():
    config = cfg(
        {"detect": True, "on_machine": "leave_message", "message": "Hi {contact_name}."},
        description="Use when you reach voicemail or the contact says goodbye.",
    )
    assert not [c for c in codes(config) if "voicemail" in c or c == "unknown_variable"]


def test_skip_goodbye_with_a_voicemail_message():
    config = cfg({"message": "Please call us back."}, skip_goodbye=True)
    (lint,) = [x for x in lint_config(config) if x.code == "voicemail_skip_with_message"]
    assert lint.field == "voicemail.message" and "never spoken (detection is off)" in lint.message
    leaving = cfg(
        {"detect": True, "on_machine": "leave_message", "message": "Call us."}, skip_goodbye=True
    )
    (lint,) = [x for x in lint_config(leaving) if x.code == "voicemail_skip_with_message"]
    assert "spoken after the beep" in lint.message
    assert "voicemail_skip_with_message" not in codes(cfg({"message": "Call us."}))


def test_a_description_that_mentions_voicemail_while_detection_is_off():
    for words in ("voicemail", "an answering machine", "a beep", "an IVR"):
        config = cfg(description=f"Use when you reach {words}.")
        (lint,) = [x for x in lint_config(config) if x.code == "voicemail_detection_off"]
        assert lint.field == "end_call.description"
    on = cfg({"detect": True}, description="Use when you reach voicemail.")
    assert "voicemail_detection_off" not in codes(on)
    assert "voicemail_detection_off" not in codes(cfg())


def test_the_message_is_checked_for_sense_and_variables():
    assert "voicemail_message_empty" in codes(cfg({"detect": True, "on_machine": "leave_message"}))
    assert "voicemail_message_unused" in codes(cfg({"detect": True, "message": "Call us."}))
    lints = lint_config(
        cfg({"detect": True, "on_machine": "leave_message", "message": "Hi {name}."})
    )
    (lint,) = [x for x in lints if x.field == "voicemail.message"]
    assert lint.code == "unknown_variable" and "{name}" in lint.message


def test_lint_data_reports_a_bad_voicemail_field_as_an_error():
    config, lints = lint_data({"voicemail": {"on_machine": "shout"}})
    assert config is None and lints[0].field == "voicemail.on_machine"


def test_an_opening_that_plays_over_detection_with_echo_cancellation_is_warned():
    """bench.voicemail measured it: with the agent talking, the canceller hides a third of
    machines from the detector; the default hold (4 s, longer than a greeting needs) is
    safe, a shorter one or none is not, and a headset set-up (cancellation off) is."""
    assert "voicemail_opening_over_detection" not in codes(cfg({"detect": True}))
    for hold, words in ((0, "never held"), (2, "held only 2 s")):
        (lint,) = [
            x
            for x in lint_config(cfg({"detect": True, "hold_opening_max_s": hold}))
            if x.code == "voicemail_opening_over_detection"
        ]
        assert lint.field == "voicemail.hold_opening_max_s" and words in lint.message
    headset = parse_config(
        {
            "voicemail": {"detect": True, "hold_opening_max_s": 0},
            "audio": {"echo_cancellation": False},
        }
    )
    assert "voicemail_opening_over_detection" not in codes(headset)
    assert "voicemail_opening_over_detection" not in codes(cfg({"hold_opening_max_s": 0}))
