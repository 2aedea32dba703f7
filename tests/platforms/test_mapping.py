"""What each platform's fields become in the console, shape by shape, and where an edit
made in the console lands when it is exported back."""

from __future__ import annotations

import json

from console.core.config import CallConfig
from console.platforms import PLATFORMS, export_config, import_files
from console.platforms import paths as P
from console.platforms.common import export
from console.platforms.livekit import STAND_IN_DESCRIPTION as LIVEKIT_STAND_IN
from console.platforms.livekit import compose_description
from console.platforms.retell import compose_prompt, split_prompt
from console.platforms.vapi import STAND_IN_DESCRIPTION as VAPI_STAND_IN
from tests.platforms.helpers import FIXTURES, files


def edited(config: CallConfig, **changes) -> CallConfig:
    """The config with dotted-field edits, validated like a tester's edit."""
    data = config.model_dump(mode="python")
    for path, value in changes.items():
        target = data
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = value
    return CallConfig.model_validate(data)


def changed_paths(outcome) -> dict[str, object]:
    return {f"{c.doc}:{c.path}": c.new for c in outcome.changes}


def reimport(tmp_path, outcome, platform):
    paths = []
    for name, text in outcome.files.items():
        path = tmp_path / name
        path.write_text(text)
        paths.append(path)
    return import_files(paths, platform)


# -- Vapi -----------------------------------------------------------------------------------
def test_vapi_new_shape():
    imported = import_files(files(["vapi_new.json"]), "vapi")
    c = imported.config
    assert c.agent.name == "Maple Dental reminders"
    assert c.agent.greeting.startswith("Hello, this is Robin")
    assert c.agent.main_prompt.startswith("You are Robin")
    assert c.end_call.enabled and c.end_call.name == "endCall"
    assert c.end_call.description.startswith("Use when the patient says goodbye")
    # The request-start message is what Vapi says; endCallMessage is never spoken.
    assert c.end_call.goodbye_message == "Thanks for your time, goodbye."
    assert c.platform.shadowed_goodbye == "Goodbye from Maple Dental."
    assert not c.end_call.skip_goodbye and c.end_call.goodbye_prompt == ""
    assert c.end_call.phrases == ["have a lovely day", "bye"]
    assert c.end_call.phrase_match == "substring"
    assert c.agent.turn_taking.silence_timeout_s == 25
    assert c.agent.turn_taking.max_call_s == 900
    vm = c.platform.voicemail
    assert (vm.detection, vm.action) == (True, "message")
    assert vm.message.startswith("Hi, this is Maple Dental")
    assert c.platform.name == "vapi" and c.platform.source_file == "vapi_new.json"


def test_vapi_older_flag_and_defaults():
    imported = import_files(files(["vapi_old_flag.json"]), "vapi")
    c = imported.config
    assert c.end_call.enabled and c.end_call.name == "endCall"
    assert c.end_call.description == VAPI_STAND_IN
    assert c.platform.description_is_default
    assert c.end_call.goodbye_message == "Thanks, goodbye."
    # maxDurationSeconds is not in the file: Vapi's default applies, and the report says so.
    assert c.agent.turn_taking.max_call_s == 600
    assert "maxDurationSeconds" in [i.where for i in imported.report.of("default")]


def test_vapi_functions_whose_name_merely_contains_endcall_are_not_the_tool():
    imported = import_files(files(["vapi_old_functions.json"]), "vapi")
    c = imported.config
    assert c.end_call.description.startswith("Hang up when the contact refuses")
    assert c.agent.main_prompt.startswith('1. Ask "Would you rate')  # model.systemPrompt
    summary = next(i for i in imported.report.items if i.where == "functions[0]")
    assert summary.kind == "not_mapped" and "not the hang-up tool" in summary.message
    # endCallMessage "" is unset: no goodbye.
    assert c.end_call.skip_goodbye and c.end_call.goodbye_message == ""


def test_vapi_tool_ids_are_reported_unresolved_and_empty_strings_are_unset():
    imported = import_files(files(["vapi_toolids.json"]), "vapi")
    problem = imported.report.of("problem")
    assert problem and "could not be resolved" in problem[0].message
    c = imported.config
    assert c.end_call.enabled and c.platform.description_is_default
    assert c.agent.greeting == "" and c.platform.voicemail.message == ""
    empty = {i.where for i in imported.report.items if "not set" in i.message}
    assert {"firstMessage", "endCallMessage", "voicemailMessage"} <= empty


def test_vapi_without_a_tool_has_end_call_off_and_enabling_adds_it(tmp_path):
    paths = files(["vapi_phrases_only.json"])
    c = import_files(paths, "vapi").config
    assert not c.end_call.enabled
    assert c.end_call.phrases == ["talk to you soon, take care"]
    out = export_config(edited(c, end_call__enabled=True), "vapi", paths)
    assert changed_paths(out) == {"assistant:endCallFunctionEnabled": True}


def test_vapi_edits_land_where_they_were_read(tmp_path):
    paths = files(["vapi_new.json"])
    c = import_files(paths, "vapi").config
    new = edited(
        c,
        end_call__description="Use when the patient has rebooked or says goodbye.",
        end_call__phrases=["have a lovely day"],
        end_call__goodbye_message="Bye for now from Maple Dental.",
        agent__turn_taking__silence_timeout_s=40.0,
        agent__greeting="Hi, it's Robin from Maple Dental.",
    )
    out = export_config(new, "vapi", paths)
    assert changed_paths(out) == {
        "assistant:model.tools[1].function.description": (
            "Use when the patient has rebooked or says goodbye."
        ),
        "assistant:endCallPhrases": ["have a lovely day"],
        "assistant:model.tools[1].messages[0].content": "Bye for now from Maple Dental.",
        "assistant:silenceTimeoutSeconds": 40,
        "assistant:firstMessage": "Hi, it's Robin from Maple Dental.",
    }
    again = reimport(tmp_path, out, "vapi").config
    assert again.end_call == new.end_call
    assert again.agent.greeting == new.agent.greeting
    # Everything the console does not map is still in the exported file.
    data = json.loads(out.files["assistant.json"])
    assert data["voice"] == {"provider": "11labs", "voiceId": "test-voice-1"}
    assert data["model"]["tools"][0]["type"] == "transferCall"


def test_vapi_turning_end_call_off_removes_the_tool():
    paths = files(["vapi_new.json"])
    c = import_files(paths, "vapi").config
    out = export_config(edited(c, end_call__enabled=False), "vapi", paths)
    tools = json.loads(out.files["assistant.json"])["model"]["tools"]
    assert [t["type"] for t in tools] == ["transferCall"]


def test_vapi_patch_has_only_the_changed_top_level_fields():
    paths = files(["vapi_new.json"])
    c = import_files(paths, "vapi").config
    out = export_config(edited(c, end_call__phrases=["see you at the clinic"]), "vapi", paths, True)
    assert json.loads(out.files["assistant.json"]) == {"endCallPhrases": ["see you at the clinic"]}


def test_vapi_export_without_an_original_is_the_console_fields_in_vapi_shape():
    c = import_files(files(["vapi_new.json"]), "vapi").config
    data = json.loads(export_config(c, "vapi").files["assistant.json"])
    assert data["model"]["messages"] == [{"role": "system", "content": c.agent.main_prompt}]
    assert data["model"]["tools"][0]["function"]["name"] == "endCall"
    assert data["endCallPhrases"] == ["have a lovely day", "bye"]
    assert "voice" not in data  # not the console's to say


def test_vapi_export_warns_about_what_it_cannot_carry():
    c = import_files(files(["vapi_new.json"]), "vapi").config
    out = export_config(
        edited(
            c, end_call__goodbye_prompt="Say goodbye warmly.", end_call__phrase_match="whole_words"
        ),
        "vapi",
        files(["vapi_new.json"]),
    )
    assert any("goodbye_prompt" in w for w in out.warnings)
    assert any("whole_words" in w for w in out.warnings)


# -- Retell ---------------------------------------------------------------------------------
def test_retell_agent_and_llm_together():
    imported = import_files(files(["retell_agent.json", "retell_llm.json"]), "retell")
    c = imported.config
    assert c.agent.name == "Northwind renewals"
    assert c.agent.turn_taking.silence_timeout_s == 45
    assert c.agent.turn_taking.max_call_s == 1200
    assert c.agent.greeting == "Hi, this is Casey from Northwind Insurance."
    assert c.agent.variables == {"customer_name": "Jordan"}
    assert c.end_call.name == "end_call"
    assert c.end_call.goodbye_message == "Thank you for your time, goodbye."  # static_text
    general, states = split_prompt(c.agent.main_prompt)
    assert general.startswith("You are Casey") and list(states) == ["intro", "renewal"]
    assert "## Retell state: intro" in c.agent.main_prompt
    vm = c.platform.voicemail
    assert (vm.detection, vm.action) == (True, "message")
    assert c.platform.source_file == "retell_agent.json + retell_llm.json"


def test_retell_either_file_alone_says_what_is_missing():
    agent_only = import_files(files(["retell_agent.json"]), "retell")
    assert any("no Retell LLM file" in i.message for i in agent_only.report.of("note"))
    assert agent_only.config.agent.main_prompt == ""
    llm_only = import_files(files(["retell_llm.json"]), "retell")
    assert any("no agent file" in i.message for i in llm_only.report.of("note"))
    assert llm_only.config.agent.turn_taking.silence_timeout_s is None  # not Retell's default


def test_retell_embedded_llm_state_tool_and_goodbye_prompt():
    c = import_files(files(["retell_embedded.json"]), "retell").config
    assert c.end_call.name == "hang_up"  # the end_call tool of state 'main'
    assert c.end_call.goodbye_prompt == 'Say "See you at the counter, goodbye."'
    assert c.agent.greeting == ""  # begin_message null: the model makes it up
    assert c.agent.turn_taking.silence_timeout_s == 600  # Retell's default
    assert c.platform.voicemail.action == "hang_up"


def test_retell_silent_end_call_is_skip_goodbye(tmp_path):
    paths = files(["retell_llm_silent.json"])
    c = import_files(paths, "retell").config
    assert c.end_call.skip_goodbye and c.platform.description_is_default
    out = export_config(
        edited(c, end_call__skip_goodbye=False, end_call__goodbye_message="Goodbye from Lakeside."),
        "retell",
        paths,
    )
    assert changed_paths(out) == {
        "llm:general_tools[0].speak_during_execution": True,
        "llm:general_tools[0].execution_message_type": "static_text",
        "llm:general_tools[0].execution_message_description": "Goodbye from Lakeside.",
    }
    again = reimport(tmp_path, out, "retell").config
    assert not again.end_call.skip_goodbye
    assert again.end_call.goodbye_message == "Goodbye from Lakeside."


def test_retell_state_edits_go_back_to_their_state():
    paths = files(["retell_agent.json", "retell_llm.json"])
    c = import_files(paths, "retell").config
    general, states = split_prompt(c.agent.main_prompt)
    states["renewal"] = states["renewal"].replace("same rate", "new rate")
    prompt = compose_prompt(general, list(states.items()))
    out = export_config(edited(c, agent__main_prompt=prompt), "retell", paths)
    assert list(changed_paths(out)) == ["llm:states[1].state_prompt"]


def test_retell_prompt_split_is_the_inverse_of_compose():
    states = [("a", "first\n"), ("b-2", ""), ("c", "third")]
    for general in ("", "general\n", "general"):
        assert split_prompt(compose_prompt(general, states)) == (general, dict(states))


# -- ElevenLabs -----------------------------------------------------------------------------
def test_elevenlabs_full_export_with_nulls():
    imported = import_files(files(["elevenlabs_full.json"]), "elevenlabs")
    c = imported.config
    assert c.agent.name == "Harbor Clinic front desk"
    assert c.agent.variables == {"patient_name": "Sam", "visit_count": "2"}
    assert c.end_call.enabled and c.end_call.name == "end_call"
    assert c.platform.description_is_default  # description "": ElevenLabs' default text
    assert c.agent.turn_taking.silence_timeout_s is None  # -1 is off
    silence = "conversation_config.turn.silence_end_call_timeout"
    assert [i.message for i in imported.report.items if i.where == silence] == ["-1: off"]
    assert c.agent.turn_taking.max_call_s == 420
    assert c.platform.voicemail.message == "Hello from Harbor Clinic, please call us back."
    off = next(i for i in imported.report.of("note") if i.message.startswith("off (null)"))
    assert "language_detection" in off.message


def test_elevenlabs_partial_update_and_silence(tmp_path):
    paths = files(["elevenlabs_partial.json"])
    imported = import_files(paths, "elevenlabs")
    c = imported.config
    assert c.agent.turn_taking.silence_timeout_s == 45
    assert c.agent.turn_taking.max_call_s is None  # not in the payload
    assert any("partial" in i.message for i in imported.report.of("note"))
    out = export_config(edited(c, agent__turn_taking__silence_timeout_s=None), "elevenlabs", paths)
    assert changed_paths(out) == {"agent:conversation_config.turn.silence_end_call_timeout": -1}
    assert reimport(tmp_path, out, "elevenlabs").config.agent.turn_taking.silence_timeout_s is None


def test_elevenlabs_empty_prompt_and_end_call_off(tmp_path):
    paths = files(["elevenlabs_empty_prompt.json"])
    imported = import_files(paths, "elevenlabs")
    c = imported.config
    assert c.agent.main_prompt == "" and not c.end_call.enabled
    assert any("prompt is empty" in i.message for i in imported.report.of("note"))
    assert c.agent.turn_taking.silence_timeout_s == 30
    out = export_config(edited(c, end_call__enabled=True), "elevenlabs", paths)
    tool = P.get(json.loads(out.files["agent.json"]), "conversation_config.agent.prompt")
    assert tool["built_in_tools"]["end_call"]["params"] == {"system_tool_type": "end_call"}
    assert reimport(tmp_path, out, "elevenlabs").config.end_call.enabled


def test_elevenlabs_older_tools_list():
    paths = files(["elevenlabs_tools_list.json"])
    c = import_files(paths, "elevenlabs").config
    assert c.end_call.description.startswith("End the call once the loan question")
    out = export_config(edited(c, end_call__enabled=False), "elevenlabs", paths)
    tools = P.get(json.loads(out.files["agent.json"]), "conversation_config.agent.prompt.tools")
    assert [t["name"] for t in tools] == ["renew_loan"]


# -- LiveKit --------------------------------------------------------------------------------
def test_livekit_source_is_read_without_running_it():
    imported = import_files(files(["livekit_agent.py"]), "livekit")
    c = imported.config
    assert c.agent.main_prompt.startswith("You are Alex from Brightside Energy.")
    assert c.agent.greeting == "Hi, this is Alex from Brightside Energy."  # via a constant
    assert c.end_call.name == "end_call"
    assert c.end_call.description == compose_description(
        "Also end the call if they ask not to be called again."
    )
    assert c.end_call.goodbye_prompt == "thank the contact for their time and say goodbye"
    assert not c.end_call.skip_goodbye


def test_livekit_end_instructions_none_is_skip_goodbye_and_defaults_apply():
    imported = import_files(files(["livekit_no_goodbye.py"]), "livekit")
    c = imported.config
    assert c.end_call.skip_goodbye
    assert c.end_call.description == LIVEKIT_STAND_IN and c.platform.description_is_default
    assert c.agent.main_prompt.startswith("You screen calls")  # Agent(instructions=PROMPT)


def test_livekit_run_time_values_are_reported_not_guessed():
    imported = import_files(files(["livekit_custom_tool.py"]), "livekit")
    c = imported.config
    assert c.agent.main_prompt == ""
    assert any("not a literal" in i.message for i in imported.report.of("problem"))
    assert c.end_call.name == "hang_up"
    assert c.end_call.description.startswith("End the call when the caller says goodbye")


def test_livekit_export_rewrites_the_literals_in_place():
    paths = files(["livekit_agent.py"])
    c = import_files(paths, "livekit").config
    new = edited(
        c,
        end_call__description=compose_description("End it when they say they are busy."),
        end_call__skip_goodbye=True,
        agent__greeting="Hello from Brightside Energy.",
    )
    out = export_config(new, "livekit", paths)
    text = out.files["livekit_agent.py"]
    assert 'extra_description="End it' not in text  # quotes chosen by the console
    assert "'End it when they say they are busy.'" in text
    assert "end_instructions=None" in text
    assert "GREETING = 'Hello from Brightside Energy.'" in text
    assert "-                    end_instructions=" in out.diff
    original = paths[0].read_text()
    assert len(text.splitlines()) == len(original.splitlines())  # only literals changed


def test_livekit_missing_arguments_are_added_to_the_call(tmp_path):
    paths = files(["livekit_no_goodbye.py"])
    c = import_files(paths, "livekit").config
    new = edited(c, end_call__description=compose_description("Also when they hang up on hold."))
    out = export_config(new, "livekit", paths)
    assert (
        "EndCallTool(end_instructions=None, extra_description='Also when they hang up on hold.')"
        in out.files["livekit_no_goodbye.py"]
    )
    again = reimport(tmp_path, out, "livekit").config
    assert again.end_call.description == new.end_call.description


def test_livekit_multiline_instructions_round_trip(tmp_path):
    paths = files(["livekit_agent.py"])
    c = import_files(paths, "livekit").config
    prompt = c.agent.main_prompt + '\nNever say "goodbye" twice.\\n is not a newline.'
    out = export_config(edited(c, agent__main_prompt=prompt), "livekit", paths)
    assert reimport(tmp_path, out, "livekit").config.agent.main_prompt == prompt


def test_livekit_yaml_description(tmp_path):
    paths = files(["livekit_agent.yaml"])
    c = import_files(paths, "livekit").config
    assert c.agent.greeting == "Hi, it's Max from Cityline Bikes."
    assert c.end_call.goodbye_prompt.startswith("tell the customer the bike")
    out = export_config(edited(c, end_call__skip_goodbye=True), "livekit", paths)
    assert changed_paths(out) == {"agent:end_call_tool.end_instructions": None}


# -- voicemail: the console's voicemail section acts on what the platform file says ---------
def test_voicemail_settings_become_the_consoles_voicemail_behaviour():
    vapi = import_files(files(["vapi_new.json"]), "vapi").config.voicemail
    assert (vapi.detect, vapi.on_machine, vapi.beep_max_wait_s) == (True, "leave_message", 20)
    assert vapi.message.startswith("Hi, this is Maple Dental")
    retell = import_files(files(["retell_agent.json"]), "retell").config.voicemail
    assert (retell.detect, retell.on_machine) == (True, "leave_message")
    hang_up = import_files(files(["retell_embedded.json"]), "retell").config.voicemail
    assert (hang_up.detect, hang_up.on_machine) == (True, "hang_up")
    eleven = import_files(files(["elevenlabs_full.json"]), "elevenlabs").config.voicemail
    assert eleven.message == "Hello from Harbor Clinic, please call us back."
    off = import_files(files(["elevenlabs_empty_prompt.json"]), "elevenlabs").config.voicemail
    assert not off.detect


def test_voicemail_edits_are_exported():
    paths = files(["vapi_new.json"])
    c = import_files(paths, "vapi").config
    out = export_config(edited(c, voicemail__on_machine="hang_up"), "vapi", paths)
    assert changed_paths(out) == {"assistant:voicemailMessage": ""}
    out = export_config(edited(c, voicemail__detect=False), "vapi", paths)
    assert changed_paths(out) == {"assistant:voicemailDetection": None}
    paths = files(["retell_agent.json"])
    c = import_files(paths, "retell").config
    out = export_config(edited(c, voicemail__detect=False), "retell", paths)
    assert changed_paths(out) == {"agent:voicemail_option": None}
    out = export_config(edited(c, voicemail__message="Call us back, please."), "retell", paths)
    assert changed_paths(out) == {
        "agent:voicemail_option": {
            "action": {"type": "static_text", "text": "Call us back, please."}
        }
    }
    paths = files(["elevenlabs_full.json"])
    c = import_files(paths, "elevenlabs").config
    out = export_config(edited(c, voicemail__detect=False), "elevenlabs", paths)
    key = "agent:conversation_config.agent.prompt.built_in_tools.voicemail_detection"
    assert changed_paths(out) == {key: None}


# -- shared --------------------------------------------------------------------------------
def test_every_platform_has_a_template_that_imports():
    for a in PLATFORMS.values():
        imported = a.import_docs(a.template())
        assert imported.bindings
        assert export(a, imported.config).docs


def test_fixtures_are_the_platforms_shapes_not_console_configs():
    for path in FIXTURES.glob("*.json"):
        assert "end_call" not in json.loads(path.read_text())
