"""ElevenLabs agents: import an agent's JSON (a full export or a partial update payload).

The agent's settings live under `conversation_config`: `agent.prompt.prompt` (the main
prompt), `agent.first_message`, the built-in system tools in `agent.prompt.built_in_tools`
(`end_call`, `voicemail_detection`; `null` when off; older files list them in
`agent.prompt.tools` as `{"type": "system"}` entries), `turn.silence_end_call_timeout`
(`-1` is off) and `conversation.max_duration_seconds`.

The end_call tool takes `reason` (required) and `message` (an optional farewell the model
writes) when the model calls it: ElevenLabs has no configured goodbye. The console's model
agent offers the same two parameters to an imported ElevenLabs agent and speaks a message
the model passes (console/agent/tool.py); the offline agent, or a model that passes none,
has the goodbye generated from the main prompt. An empty tool description means
ElevenLabs sends its own default text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from console.core.config import CallConfig
from console.platforms.common import (
    VOICEMAIL_NOTE,
    Docs,
    ImportDraft,
    Imported,
    Reader,
    machine_message,
    text_value,
    unset,
    voicemail_section,
)
from console.platforms.files import read_data
from console.platforms.paths import DELETE, KEEP, join
from console.platforms.report import PlatformFileError

STAND_IN_DESCRIPTION = (
    "Use when the caller says goodbye or wants to end the call, or the task is done and "
    "the conversation has come to its end."
)
DEFAULT_TOOL_NAME = "end_call"
DEFAULT_MAX_S = 600.0

_TOP_KNOWN = {
    "agent_id": "platform bookkeeping",
    "metadata": "platform bookkeeping",
    "version_id": "platform bookkeeping",
    "branch_id": "platform bookkeeping",
    "main_branch_id": "platform bookkeeping",
    "access_info": "platform bookkeeping",
    "tags": "platform bookkeeping",
    "phone_numbers": "telephony numbers",
    "whatsapp_accounts": "messaging channels",
    "platform_settings": "widget, authentication, evaluation and data settings",
    "workflow": "a workflow graph: not modelled (the console follows one prompt)",
}
_CC_KNOWN = {
    "asr": "speech recognition: the console uses its own recogniser",
    "tts": "the text-to-speech voice: the console speaks with its own voice",
    "vad": "voice activity detection: set agent.turn_taking.endpoint_silence_ms by hand",
    "language_presets": "per-language overrides",
}
_AGENT_KNOWN = {
    "language": "the conversation language",
    "hinglish_mode": "the conversation language",
    "disable_first_message_interruptions": "barge-in on the greeting",
    "max_conversation_duration_message": "a line spoken when the maximum duration is "
    "reached: the console drops the line without it",
    "text_behavior_overrides": "text-channel behaviour",
}
_PROMPT_KNOWN = {
    "llm": "the LLM: the console uses its offline agent or your LLM endpoint",
    "temperature": "LLM sampling",
    "max_tokens": "LLM sampling",
    "reasoning_effort": "LLM settings",
    "thinking_budget": "LLM settings",
    "enable_reasoning_summary": "LLM settings",
    "knowledge_base": "knowledge base: the console cannot query it",
    "rag": "knowledge base: the console cannot query it",
    "custom_llm": "a custom LLM server",
    "mcp_server_ids": "MCP servers",
    "native_mcp_server_ids": "MCP servers",
    "ignore_default_personality": "ElevenLabs' built-in personality text",
    "timezone": "the agent's time zone",
    "backup_llm_config": "LLM fallback",
    "cascade_timeout_seconds": "LLM fallback",
    "tool_ids": "tools stored on ElevenLabs by id",
}
_CONVERSATION_KNOWN = {
    "text_only": "text-only conversations: the console's calls are spoken",
    "client_events": "the events ElevenLabs sends to its client widget",
    "file_input": "file uploads in a chat",
    "monitoring": "conversation monitoring",
}
_TURN_KNOWN = {
    "turn_timeout": "re-engages a silent caller after this many seconds; the console does "
    "not re-prompt",
}
_TOOL_KNOWN = {
    "response_timeout_secs": "tool timing",
    "disable_interruptions": "barge-in while the tool runs",
    "interruption_mode": "barge-in while the tool runs",
    "force_pre_tool_speech": "speech before the tool",
    "pre_tool_speech": "speech before the tool",
    "assignments": "variables set from the tool's result",
    "tool_call_sound": "a sound while the tool runs",
    "tool_call_sound_behavior": "a sound while the tool runs",
    "tool_error_handling_mode": "tool errors",
    "id": "platform bookkeeping",
}


class ElevenLabsAdapter:
    name = "elevenlabs"
    title = "ElevenLabs"

    def read(self, files: list[Path]) -> Docs:
        if len(files) != 1:
            raise PlatformFileError(["an ElevenLabs agent is one JSON file"])
        data = read_data(files[0])
        if not isinstance(data, dict):
            raise PlatformFileError(
                [f"an ElevenLabs agent is a JSON object, not {type(data).__name__}"],
                files[0].name,
            )
        return {"agent": data}

    def template(self) -> Docs:
        return {
            "agent": {
                "name": "",
                "conversation_config": {
                    "agent": {
                        "first_message": "",
                        "prompt": {
                            "prompt": "",
                            "built_in_tools": {
                                "end_call": {
                                    "type": "system",
                                    "name": DEFAULT_TOOL_NAME,
                                    "description": "",
                                    "params": {"system_tool_type": "end_call"},
                                }
                            },
                        },
                    },
                    "turn": {"silence_end_call_timeout": -1},
                    "conversation": {"max_duration_seconds": DEFAULT_MAX_S},
                },
            }
        }

    def render(self, docs: Docs) -> dict[str, str]:
        return {"agent.json": json.dumps(docs["agent"], indent=2, ensure_ascii=False)}

    def export_warnings(self, config: CallConfig) -> list[str]:
        action = config.end_call
        out = []
        if action.skip_goodbye:
            out.append(
                "end_call.skip_goodbye: ElevenLabs has no such setting (the model decides "
                "whether to pass a farewell message); not exported"
            )
        if action.goodbye_prompt.strip() or action.goodbye_message.strip():
            out.append(
                "end_call.goodbye_prompt / goodbye_message: ElevenLabs has no configured "
                "goodbye (the model writes it); put the wording in the main prompt"
            )
        if action.phrases:
            out.append("end_call.phrases: ElevenLabs has no end-call phrases; not exported")
        return out

    def import_docs(self, docs: Docs, source_file: str = "") -> Imported:
        return _Import(docs["agent"], source_file).run()


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _Import(ImportDraft):
    def __init__(self, data: Any, source: str) -> None:
        super().__init__("elevenlabs", "ElevenLabs", [source] if source else [], source)
        self.r = Reader(data, self.report, source=source)
        self.cc = "conversation_config"
        self.full = False

    def bind(self, path: str, value, warning=None) -> None:
        self.bind_in("agent", path, value, warning)

    def p(self, *parts: str) -> str:
        return join(self.cc, *parts)

    def run(self) -> Imported:
        r = self.r
        top = r.obj("")
        if top is None:
            raise PlatformFileError(["an ElevenLabs agent is a JSON object"], r.source)
        if "conversation_config" not in top and {"agent", "turn", "tts", "asr"} & set(top):
            self.cc = ""
            self.report.add("note", "", "the file is a bare conversation_config (no agent wrapper)")
        cc = r.obj(self.cc) if self.cc else top
        prompt_obj = r.obj(self.p("agent", "prompt"))
        builtins = r.obj(self.p("agent", "prompt", "built_in_tools"))
        self.full = "agent_id" in top or (builtins is not None and "end_call" in builtins)
        if not self.full:
            self.report.add(
                "note",
                "",
                "a partial payload (an update): only the fields it sets are imported; the "
                "rest keep the console's defaults",
            )
        self._identity()
        self._prompt()
        self._tool(builtins)
        self._timeouts()
        self._voicemail(builtins)
        if self.cc:
            r.rest(top, "", {"name", "conversation_config"}, _TOP_KNOWN)
        if cc is not None:
            r.rest(cc, self.cc, {"agent", "turn", "conversation"}, _CC_KNOWN)
        conversation = r.obj(self.p("conversation"))
        if conversation is not None:
            r.rest(
                conversation, self.p("conversation"), {"max_duration_seconds"}, _CONVERSATION_KNOWN
            )
        agent = r.obj(self.p("agent"))
        if agent is not None:
            handled = {"first_message", "prompt", "dynamic_variables"}
            r.rest(agent, self.p("agent"), handled, _AGENT_KNOWN)
        variables = r.obj(self.p("agent", "dynamic_variables"))
        if variables is not None:
            r.rest(
                variables,
                self.p("agent", "dynamic_variables"),
                {"dynamic_variable_placeholders"},
                {},
            )
        if prompt_obj is not None:
            handled = {"prompt", "built_in_tools", "tools"}
            if r.raw(self.p("agent", "prompt", "tool_ids")):
                handled.add("tool_ids")  # reported where the tools are read
            r.rest(prompt_obj, self.p("agent", "prompt"), handled, _PROMPT_KNOWN)
        turn = r.obj(self.p("turn"))
        if turn is not None:
            r.rest(turn, self.p("turn"), {"silence_end_call_timeout"}, _TURN_KNOWN)
        r.finish()
        return self.finished({"agent": r.data})

    def _identity(self) -> None:
        r = self.r
        if self.cc:
            name = r.text("name")
            if name:
                self.agent["name"] = name.strip()[:80]
                self.mapped("name", "agent.name")
            self.bind("name", text_value(lambda c: c.agent.name, r.raw("name"), "Agent"))
        path = self.p("agent", "first_message")
        greeting = r.text(path)
        if greeting:
            self.agent["greeting"] = greeting
            self.mapped(path, "agent.greeting")
        elif self.full:
            self.report.add("note", path, "no first message: the agent waits for the caller")
        self.bind(path, text_value(lambda c: c.agent.greeting, r.raw(path)))
        vars_path = self.p("agent", "dynamic_variables", "dynamic_variable_placeholders")
        placeholders = r.obj(vars_path)
        if placeholders:
            variables = {}
            for key, value in placeholders.items():
                if isinstance(value, str | int | float | bool) and key.isidentifier():
                    variables[key] = str(value)
                else:
                    self.report.add("not_mapped", join(vars_path, key), "not a name=text value")
            self.agent["variables"] = variables
            self.mapped(vars_path, "agent.variables", f"{len(variables)} value(s)")

            def value(c: CallConfig) -> Any:
                if c.agent.variables == variables:
                    return KEEP
                return dict(c.agent.variables)

            self.bind(vars_path, value)

    def _prompt(self) -> None:
        r = self.r
        path = self.p("agent", "prompt", "prompt")
        prompt = r.text_keep_empty(path)
        if prompt is not None:
            self.agent["main_prompt"] = prompt
            self.mapped(path, "agent.main_prompt")
        if not (prompt or "").strip() and (prompt is not None or self.full):
            self.report.add(
                "note",
                path,
                "the prompt is empty: the agent has no instructions (and nothing says when "
                "to end the call)",
            )
        self.bind(path, text_value(lambda c: c.agent.main_prompt, r.raw(path)))

    def _tool(self, builtins: dict[str, Any] | None) -> None:
        r = self.r
        bpath = self.p("agent", "prompt", "built_in_tools")
        base = None
        if builtins is not None:
            off = []
            for key, value in builtins.items():
                if value is None:
                    off.append(key)
                elif key == "end_call":
                    base = join(bpath, "end_call")
                elif key != "voicemail_detection":
                    self.report.add(
                        "not_mapped",
                        join(bpath, key),
                        "a built-in tool other than end_call: not modelled",
                    )
            if off:
                self.report.add("note", bpath, "off (null): " + ", ".join(off))
        tools_path = self.p("agent", "prompt", "tools")
        for i, tool in enumerate(r.items(tools_path)):
            where = f"{tools_path}[{i}]"
            if not isinstance(tool, dict):
                r._wrong(where, "an object", tool)
                continue
            params = tool.get("params")
            kind = params.get("system_tool_type") if isinstance(params, dict) else None
            is_end = tool.get("type") == "system" and (
                kind == "end_call" or (kind is None and tool.get("name") == "end_call")
            )
            if is_end and base is None:
                base = where
                self.report.add("note", where, "the end_call tool in the older tools list")
            elif kind == "voicemail_detection":
                continue
            else:
                self.report.add(
                    "not_mapped",
                    where,
                    f"tool '{tool.get('name')}' ({tool.get('type')}): the console models only "
                    "the End Call action",
                )
        ids = r.texts(self.p("agent", "prompt", "tool_ids"))
        if ids:
            self.report.add(
                "note" if base else "problem",
                self.p("agent", "prompt", "tool_ids"),
                f"{len(ids)} tool(s) referenced by id only: they live on ElevenLabs and "
                "could not be resolved from this file",
            )
        if base is not None:
            self._tool_at(base)
            return
        end_path = join(bpath, "end_call")
        known_off = builtins is not None and "end_call" in builtins
        if known_off:
            self.end_call["enabled"] = False
            self.report.add(
                "note",
                end_path,
                "the end_call tool is off (null): the agent can never hang up by itself",
                "end_call.enabled",
            )
        else:
            self.report.add(
                "note" if not self.full else "problem",
                end_path,
                "the file does not say whether the end_call tool is on; the console keeps "
                "its End Call action",
            )
            self.end_call["name"] = DEFAULT_TOOL_NAME
            self.end_call["description"] = STAND_IN_DESCRIPTION
            self.platform["description_is_default"] = True

        def value(c: CallConfig) -> Any:
            if not c.end_call.enabled:
                return None if known_off else KEEP
            if not known_off and c.end_call.description == STAND_IN_DESCRIPTION:
                return KEEP
            return _new_tool(c)

        self.bind(end_path, value)

    def _tool_at(self, base: str) -> None:
        r = self.r
        tool = r.obj(base) or {}
        in_list = "built_in_tools" not in base
        self.mapped(base, "end_call.enabled", "the end_call system tool")
        self.bind(
            base,
            lambda c: KEEP if c.end_call.enabled else (DELETE if in_list else None),
        )
        name_path = join(base, "name")
        name = r.text(name_path)
        self.end_call["name"] = (name or DEFAULT_TOOL_NAME).strip()
        if name:
            self.mapped(name_path, "end_call.name")
        self.bind(
            name_path, text_value(lambda c: c.end_call.name, r.raw(name_path), DEFAULT_TOOL_NAME)
        )
        desc_path = join(base, "description")
        desc = r.text(desc_path)
        if desc is not None:
            self.end_call["description"] = desc
            self.mapped(desc_path, "end_call.description")
        else:
            self.end_call["description"] = STAND_IN_DESCRIPTION
            self.platform["description_is_default"] = True
            self.report.add(
                "default",
                desc_path,
                "empty: ElevenLabs sends its own default end-call description, which the "
                f"file does not show; the console stands in with '{STAND_IN_DESCRIPTION}'",
                "end_call.description",
            )

        def value(c: CallConfig) -> Any:
            if desc is None and c.end_call.description == STAND_IN_DESCRIPTION:
                return KEEP
            return c.end_call.description

        self.bind(desc_path, value)
        self.report.add(
            "note",
            base,
            "when the model calls end_call it passes a reason and, optionally, a farewell "
            "message it writes itself: the LLM agent is offered the same message and speaks "
            "it; without one the goodbye is generated from the main prompt (goodbye prompt "
            "empty, skip goodbye off)",
        )
        r.rest(tool, base, {"type", "name", "description", "params"}, _TOOL_KNOWN)

    def _timeouts(self) -> None:
        r = self.r
        path = self.p("turn", "silence_end_call_timeout")
        silence = r.number(path)
        target = "agent.turn_taking.silence_timeout_s"
        original = r.raw(path)
        if silence is None:
            if self.full:
                self.report.add("default", path, "not set: off (ElevenLabs' default -1)", target)
        elif silence < 0:
            self.mapped(path, target, "-1: off")
        elif not 0 < silence <= 3600:
            self.report.add("problem", path, f"{silence:g} s: outside what the console holds")
        else:
            self.turns["silence_timeout_s"] = silence
            self.mapped(path, target, f"{silence:g} s")

        def silence_value(c: CallConfig) -> Any:
            s = c.agent.turn_taking.silence_timeout_s
            if s is None:
                return KEEP if unset(original) or (silence is not None and silence < 0) else -1
            return _num(s)

        self.bind(path, silence_value)
        path = self.p("conversation", "max_duration_seconds")
        most = r.number(path)
        target = "agent.turn_taking.max_call_s"
        original_max = r.raw(path)
        if most is None and self.full:
            most = DEFAULT_MAX_S
            self.report.add("default", path, f"ElevenLabs' default {most:g} s", target)
        elif most is not None and not 0 < most <= 24 * 3600:
            self.report.add("problem", path, f"{most:g} s: outside what the console holds")
            most = None
        elif most is not None:
            self.mapped(path, target, f"{most:g} s")
        if most is not None:
            self.turns["max_call_s"] = most

        def max_value(c: CallConfig) -> Any:
            s = c.agent.turn_taking.max_call_s
            if s is None:
                return KEEP
            if unset(original_max) and s == DEFAULT_MAX_S:
                return KEEP
            return _num(s)

        def max_warning(c: CallConfig) -> str | None:
            if c.agent.turn_taking.max_call_s is None and not unset(original_max):
                return "agent.turn_taking.max_call_s is off; ElevenLabs always has a maximum"
            return None

        self.bind(path, max_value, max_warning)

    def _voicemail(self, builtins: dict[str, Any] | None) -> None:
        r = self.r
        bpath = self.p("agent", "prompt", "built_in_tools", "voicemail_detection")
        base = None
        if builtins is not None and "voicemail_detection" in builtins:
            base = bpath
        else:
            tools_path = self.p("agent", "prompt", "tools")
            for i, tool in enumerate(r.items(tools_path)):
                params = tool.get("params") if isinstance(tool, dict) else None
                if isinstance(params, dict) and params.get("system_tool_type") == (
                    "voicemail_detection"
                ):
                    base = f"{tools_path}[{i}]"
                    break
        voicemail: dict[str, Any] = {}
        message_path = None
        if base is not None:
            tool = r.raw(base)
            if tool is None:
                voicemail["detection"] = False
                self.mapped(base, "voicemail.detect", "off (null)")
            elif isinstance(tool, dict):
                voicemail["detection"] = True
                message_path = join(base, "params", "voicemail_message")
                message = r.text(message_path)
                voicemail["action"] = "message" if message else "hang_up"
                if message:
                    voicemail["message"] = message
                self.mapped(
                    base,
                    "voicemail",
                    "on: " + ("leaves a message" if message else "hangs up"),
                )
            else:
                r._wrong(base, "an object or null", tool)
        if voicemail:
            self.platform["voicemail"] = voicemail
            self.voicemail = voicemail_section(voicemail)
            self.report.add("note", base or "", VOICEMAIL_NOTE)
        if message_path is not None:
            self.bind(message_path, text_value(machine_message, r.raw(message_path)))
        in_list = base is not None and "built_in_tools" not in base
        was_on = bool(voicemail.get("detection"))

        def detection_value(c: CallConfig) -> Any:
            on = c.voicemail.detect
            if on == was_on:
                return KEEP
            if not on:
                return DELETE if in_list else None
            return {
                "type": "system",
                "name": "voicemail_detection",
                "description": "",
                "params": {
                    "system_tool_type": "voicemail_detection",
                    "voicemail_message": machine_message(c),
                },
            }

        self.bind(base or bpath, detection_value)


def _new_tool(c: CallConfig) -> dict[str, Any]:
    return {
        "type": "system",
        "name": c.end_call.name,
        "description": c.end_call.description,
        "params": {"system_tool_type": "end_call"},
    }
