"""Retell agents: the agent file and the Retell LLM file, together or either alone.

A Retell voice agent is two objects: the **agent** (voice, `end_call_after_silence_ms`,
`max_call_duration_ms`, `voicemail_option`, and which response engine answers) and the
**Retell LLM** (`general_prompt`, `begin_message`, `general_tools`, `states`). They are
exported as separate files; a dashboard export embeds the LLM in the agent as
`retellLlmData`. Import takes both (in any order), either alone (with a note saying what
could not be imported), or the embedded form.

States become sections of the one main prompt, each under a line
`## Retell state: NAME`, so the offline agent and an LLM see every state's rules; export
splits the prompt back at those lines. Transitions between states are not modelled.

The `end_call` tool maps to the End Call action: `speak_during_execution` off is skip
goodbye; on, an `execution_message_type` of `static_text` is a fixed goodbye message and
`prompt` (the default) a goodbye prompt, both from `execution_message_description`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from console.core.config import CallConfig
from console.platforms import paths as P
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

STAND_IN_DESCRIPTION = "Use when the caller says goodbye or the conversation is complete."
DEFAULT_SILENCE_MS = 600_000
DEFAULT_MAX_MS = 3_600_000
STATE_MARK = "\n\n## Retell state: {name}\n"
_STATE_SPLIT = re.compile(r"\n\n## Retell state: ([A-Za-z0-9_-]+)\n")

_VOICEMAIL_ACTIONS = {
    "static_text": "message",
    "prompt": "prompt",
    "hangup": "hang_up",
    "bridge_transfer": "transfer",
}

_AGENT_KNOWN = {
    key: reason
    for reason, keys in {
        "platform bookkeeping": "agent_id version is_published last_modification_timestamp channel",
        "the text-to-speech voice: the console speaks with its own voice": "voice_id "
        "voice_model voice_temperature voice_speed volume fallback_voice_ids "
        "enable_expressive_mode pronunciation_dictionary normalize_for_speech",
        "turn-taking tuning: set agent.turn_taking by hand": "responsiveness "
        "interruption_sensitivity enable_backchannel backchannel_frequency backchannel_words "
        "allow_dtmf_interruption",
        "speech recognition: the console uses its own recogniser": "language stt_mode "
        "boosted_keywords vocab_specialization denoising_mode",
        "webhooks: there is no server in the console": "webhook_url webhook_events "
        "webhook_timeout_ms",
        "after-call analysis and storage": "post_call_analysis_data post_call_analysis_model "
        "opt_out_sensitive_data_storage data_storage_setting pii_config signed_url "
        "opt_in_signed_url",
        "audio effects": "ambient_sound ambient_sound_volume",
        "keypad (DTMF) input": "allow_user_dtmf user_dtmf_options",
        "re-prompting a silent caller: not modelled": "reminder_trigger_ms reminder_max_count",
        "a pause before the first line: not modelled": "begin_message_delay_ms",
        "ringing time": "ring_duration_ms",
        "a conversation-flow agent's nodes: not imported": "conversationFlow",
    }.items()
    for key in keys.split()
}
_LLM_KNOWN = {
    key: reason
    for reason, keys in {
        "platform bookkeeping": "llm_id version is_published last_modification_timestamp",
        "the LLM: the console uses its offline agent or your LLM endpoint": "model s2s_model "
        "model_temperature model_high_priority tool_call_strict_mode",
        "knowledge base: the console cannot query it": "knowledge_base_ids kb_config",
        "MCP servers": "mcps",
        "the agent speaks after the caller has been quiet this long: not modelled": (
            "begin_after_user_silence_ms"
        ),
    }.items()
    for key in keys.split()
}
_TOOL_FIELDS = {
    "type",
    "name",
    "description",
    "speak_during_execution",
    "execution_message_description",
    "execution_message_type",
}


def compose_prompt(general: str, states: list[tuple[str, str]]) -> str:
    """The one main prompt: the general prompt, then each state's prompt under its mark."""
    return general + "".join(STATE_MARK.format(name=n) + text for n, text in states)


def split_prompt(prompt: str) -> tuple[str, dict[str, str]]:
    """Inverse of compose_prompt: (general prompt, {state name: state prompt})."""
    parts = _STATE_SPLIT.split(prompt)
    general, rest = parts[0], parts[1:]
    return general, {rest[i]: rest[i + 1] for i in range(0, len(rest), 2)}


def _is_agent(data: dict[str, Any]) -> bool:
    return bool(
        {"response_engine", "voice_id", "agent_id", "agent_name", "retellLlmData"} & set(data)
    )


def _is_llm(data: dict[str, Any]) -> bool:
    return bool(
        {"general_prompt", "general_tools", "states", "llm_id", "begin_message"} & set(data)
    )


class RetellAdapter:
    name = "retell"
    title = "Retell"

    def read(self, files: list[Path]) -> Docs:
        if not 1 <= len(files) <= 2:
            raise PlatformFileError(["give the Retell agent file, the LLM file, or both"])
        docs: Docs = {}
        for path in files:
            data = read_data(path)
            if not isinstance(data, dict):
                raise PlatformFileError(
                    [f"a Retell file is a JSON object, not {type(data).__name__}"], path.name
                )
            kind = "agent" if _is_agent(data) else "llm" if _is_llm(data) else None
            if kind is None:
                raise PlatformFileError(
                    [
                        "neither a Retell agent (response_engine, voice_id, agent_name) nor a "
                        "Retell LLM (general_prompt, general_tools, states, begin_message)"
                    ],
                    path.name,
                )
            if kind in docs:
                raise PlatformFileError([f"two Retell {kind} files: give one of each"], path.name)
            docs[kind] = data
        return docs

    def template(self) -> Docs:
        return {
            "agent": {
                "agent_name": "",
                "end_call_after_silence_ms": DEFAULT_SILENCE_MS,
                "max_call_duration_ms": DEFAULT_MAX_MS,
            },
            "llm": {
                "general_prompt": "",
                "general_tools": [
                    {
                        "type": "end_call",
                        "name": "end_call",
                        "description": "",
                        "speak_during_execution": False,
                    }
                ],
            },
        }

    def render(self, docs: Docs) -> dict[str, str]:
        return {
            f"{name}.json": json.dumps(doc, indent=2, ensure_ascii=False)
            for name, doc in docs.items()
        }

    def export_warnings(self, config: CallConfig) -> list[str]:
        out = []
        action = config.end_call
        if action.phrases:
            out.append("end_call.phrases: Retell has no end-call phrases; not exported")
        if action.goodbye_message.strip() and action.goodbye_prompt.strip():
            out.append(
                "end_call.goodbye_prompt is not exported: Retell has one execution message, "
                "and the fixed goodbye message takes it"
            )
        return out

    def import_docs(self, docs: Docs, source_file: str = "") -> Imported:
        return _Import(docs, source_file).run()


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _Import(ImportDraft):
    def __init__(self, docs: Docs, source: str) -> None:
        super().__init__("retell", "Retell", [s for s in source.split(" + ") if s], source)
        self.docs = docs
        self.agent_r = (
            Reader(docs["agent"], self.report, "agent: ", source) if "agent" in docs else None
        )
        self.llm_doc = None
        self.llm_base = ""
        if "llm" in docs:
            self.llm_doc = "llm"
            self.llm_r = Reader(docs["llm"], self.report, "llm: ", source)
        elif self.agent_r is not None and isinstance(docs["agent"].get("retellLlmData"), dict):
            self.llm_doc = "agent"
            self.llm_base = "retellLlmData"
            self.llm_r = Reader(docs["agent"], self.report, "agent: ", source)

    def lp(self, *parts: str) -> str:
        return join(self.llm_base, *parts)

    def run(self) -> Imported:
        if self.agent_r is not None:
            if self.agent_r.obj("") is None:
                raise PlatformFileError(["a Retell agent is a JSON object"])
            self._agent()
        else:
            self.report.add(
                "note",
                "",
                "no agent file: the silence and maximum-duration endings and voicemail keep "
                "the console's settings (give the agent file too)",
            )
        if self.llm_doc is not None:
            if self.agent_r is not None and "response_engine" in self.agent_r.data:
                self.report.add(
                    "note",
                    "agent: response_engine",
                    "answers with the Retell LLM imported here",
                )
            self._llm()
        else:
            engine = self.agent_r.raw("response_engine") if self.agent_r else None
            kind = engine.get("type") if isinstance(engine, dict) else None
            if kind == "conversation-flow":
                self.report.add(
                    "problem",
                    "agent: response_engine",
                    "a conversation-flow agent: its nodes are not imported (the console "
                    "follows one prompt); the End Call action keeps the console's settings",
                )
            elif kind == "custom-llm":
                self.report.add(
                    "note",
                    "agent: response_engine",
                    "a custom LLM: the prompt and tools live in your server, not in this file",
                )
            else:
                llm_id = engine.get("llm_id") if isinstance(engine, dict) else None
                self.report.add(
                    "note",
                    "agent: response_engine",
                    "no Retell LLM file"
                    + (f" (the agent uses {llm_id})" if llm_id else "")
                    + ": the prompt, begin message and end_call tool were not imported (give "
                    "the LLM file too)",
                )
        for r in (self.agent_r, getattr(self, "llm_r", None)):
            if r is not None:
                r.finish()
        return self.finished(self.docs)

    def bind(self, doc: str, path: str, value, warning=None) -> None:
        self.bind_in(doc, path, value, warning)

    # -- the agent file -------------------------------------------------------------------
    def _agent(self) -> None:
        r = self.agent_r
        assert r is not None
        top = r.obj("") or {}
        name = r.text("agent_name")
        if name:
            self.agent["name"] = name.strip()[:80]
            self.mapped(r.where("agent_name"), "agent.name")
        self.bind(
            "agent", "agent_name", text_value(lambda c: c.agent.name, r.raw("agent_name"), "Agent")
        )
        for key, field_name, default, limit in (
            ("end_call_after_silence_ms", "silence_timeout_s", DEFAULT_SILENCE_MS, 3600),
            ("max_call_duration_ms", "max_call_s", DEFAULT_MAX_MS, 24 * 3600),
        ):
            value = r.number(key)
            target = f"agent.turn_taking.{field_name}"
            original = r.raw(key)
            if value is None:
                value = default
                self.report.add(
                    "default", r.where(key), f"Retell's default {default / 1000:g} s", target
                )
            else:
                self.mapped(r.where(key), target, f"{value / 1000:g} s")
            if not 0 < value / 1000 <= limit:
                self.report.add(
                    "problem", r.where(key), f"{value / 1000:g} s: outside what the console holds"
                )
                continue
            self.turns[field_name] = value / 1000
            self.bind("agent", key, _ms_value(field_name, original, default), _off(field_name))
        self._voicemail()
        handled = {
            "agent_name",
            "end_call_after_silence_ms",
            "max_call_duration_ms",
            "voicemail_option",
            "enable_voicemail_detection",
            "voicemail_message",
            "voicemail_detection_timeout_ms",
            "response_engine",
            "retellLlmData",
        }
        r.rest(top, "", handled, _AGENT_KNOWN)

    def _voicemail(self) -> None:
        r = self.agent_r
        assert r is not None
        voicemail: dict[str, Any] = {}
        option = r.raw("voicemail_option")
        if "voicemail_option" in r.data:
            if option is None:
                voicemail["detection"] = False
                self.mapped(r.where("voicemail_option"), "voicemail.detect", "off (null)")
            elif isinstance(option, dict):
                kind = r.text("voicemail_option.action.type")
                if kind not in _VOICEMAIL_ACTIONS:
                    r.errors.append(
                        f"{r.where('voicemail_option.action.type')}: expected one of "
                        + ", ".join(_VOICEMAIL_ACTIONS)
                    )
                else:
                    voicemail.update(detection=True, action=_VOICEMAIL_ACTIONS[kind])
                    text = r.text("voicemail_option.action.text")
                    if text:
                        voicemail["message"] = text
                    self.mapped(r.where("voicemail_option"), "voicemail", f"on: {kind}")
                    if kind == "prompt":
                        self.report.add(
                            "note",
                            r.where("voicemail_option.action.text"),
                            "Retell makes the message up from this prompt; the console "
                            "speaks the prompt as written",
                        )
                    elif kind == "bridge_transfer":
                        self.report.add(
                            "note",
                            r.where("voicemail_option.action"),
                            "a transfer: the console hangs up instead",
                        )
                if option.get("detection_prompt"):
                    self.report.add(
                        "not_mapped",
                        r.where("voicemail_option.detection_prompt"),
                        "what counts as voicemail: the console decides from the audio",
                    )
            else:
                r._wrong("voicemail_option", "an object or null", option)
        elif "enable_voicemail_detection" in r.data:
            on = r.boolean("enable_voicemail_detection")
            text = r.text("voicemail_message")
            voicemail["detection"] = bool(on)
            if on:
                voicemail["action"] = "message" if text else "hang_up"
            if text:
                voicemail["message"] = text
            self.mapped(
                r.where("enable_voicemail_detection"),
                "voicemail",
                "older voicemail fields",
            )
            self.bind("agent", "enable_voicemail_detection", _detection_flag(on))
            self.bind(
                "agent",
                "voicemail_message",
                text_value(machine_message, r.raw("voicemail_message")),
            )
        if voicemail:
            self.platform["voicemail"] = voicemail
            self.voicemail = voicemail_section(voicemail)
            self.report.add("note", r.where("voicemail_option"), VOICEMAIL_NOTE)
        if "enable_voicemail_detection" not in r.data:
            self.bind("agent", "voicemail_option", _voicemail_option(option))

    # -- the LLM --------------------------------------------------------------------------
    def _llm(self) -> None:
        r = self.llm_r
        base = self.llm_base
        top = r.obj(base)
        if top is None:
            raise PlatformFileError(["the Retell LLM is not a JSON object"])
        doc = self.llm_doc
        assert doc is not None
        general = r.text_keep_empty(self.lp("general_prompt")) or ""
        states = []
        tool_at = None
        general_tools = self.lp("general_tools")
        for i, tool in enumerate(r.items(general_tools)):
            tool_at = self._one_tool(f"{general_tools}[{i}]", tool, tool_at)
        for i, state in enumerate(r.items(self.lp("states"))):
            where = f"{self.lp('states')}[{i}]"
            if not isinstance(state, dict):
                r._wrong(where, "an object", state)
                continue
            name = state.get("name")
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
                r.errors.append(f"{r.where(where)}.name: a state needs a name (a-z, 0-9, _, -)")
                continue
            prompt = r.text_keep_empty(f"{where}.state_prompt") or ""
            states.append((name, prompt))
            self.bind(
                doc, f"{where}.state_prompt", _state_value(name, r.raw(f"{where}.state_prompt"))
            )
            for j, tool in enumerate(r.items(f"{where}.tools")):
                tool_at = self._one_tool(f"{where}.tools[{j}]", tool, tool_at)
            if state.get("edges"):
                self.report.add(
                    "not_mapped",
                    r.where(f"{where}.edges"),
                    f"{len(state['edges'])} transition(s) out of state '{name}': the console "
                    "does not move between states (every state's rules apply at once)",
                )
            r.rest(state, where, {"name", "state_prompt", "tools", "edges"}, {})
        self.agent["main_prompt"] = compose_prompt(general, states)
        self.mapped(r.where(self.lp("general_prompt")), "agent.main_prompt")
        if states:
            self.mapped(
                r.where(self.lp("states")),
                "agent.main_prompt",
                f"{len(states)} state prompt(s), each after a line '## Retell state: NAME'",
            )
        starting = r.text(self.lp("starting_state"))
        if starting:
            self.report.add(
                "note", r.where(self.lp("starting_state")), f"the call starts in '{starting}'"
            )
        self.bind(
            doc,
            self.lp("general_prompt"),
            text_value(
                lambda c: split_prompt(c.agent.main_prompt)[0], r.raw(self.lp("general_prompt"))
            ),
            _states_warning({n for n, _ in states}),
        )
        self._begin(doc)
        self._variables(doc)
        if tool_at is None:
            self.end_call["enabled"] = False
            self.report.add(
                "note",
                r.where(general_tools),
                "no end_call tool (in general_tools or any state): the agent can never hang up "
                "by itself",
                "end_call.enabled",
            )
            self.bind(doc, f"{general_tools}[type=end_call]", _new_tool)
        else:
            self._tool(tool_at)
        handled = {
            "general_prompt",
            "general_tools",
            "states",
            "starting_state",
            "begin_message",
            "start_speaker",
            "default_dynamic_variables",
        }
        r.rest(top, base, handled, _LLM_KNOWN)

    def _one_tool(self, where: str, tool: Any, found: str | None) -> str | None:
        r = self.llm_r
        if not isinstance(tool, dict):
            r._wrong(where, "an object", tool)
            return found
        if tool.get("type") == "end_call":
            if found is None:
                return where
            self.report.add(
                "not_mapped",
                r.where(where),
                f"another end_call tool ('{tool.get('name')}'): the console has one End Call "
                f"action (imported from {r.where(found)})",
            )
            return found
        self.report.add(
            "not_mapped",
            r.where(where),
            f"tool '{tool.get('name')}' ({tool.get('type')}): the console models only the End "
            "Call action",
        )
        return found

    def _tool(self, where: str) -> None:
        r = self.llm_r
        doc = self.llm_doc
        assert doc is not None
        tool = r.obj(where) or {}
        self.mapped(r.where(where), "end_call.enabled", "the end_call tool")
        self.bind(doc, where, lambda c: KEEP if c.end_call.enabled else DELETE)
        name = r.text(f"{where}.name")
        if name:
            self.end_call["name"] = name.strip()
            self.mapped(r.where(f"{where}.name"), "end_call.name")
        else:
            r.errors.append(f"{r.where(where)}.name: Retell's end_call tool needs a name")
        self.bind(doc, f"{where}.name", lambda c: c.end_call.name)
        desc = r.text(f"{where}.description")
        if desc is not None:
            self.end_call["description"] = desc
            self.mapped(r.where(f"{where}.description"), "end_call.description")
        else:
            self.end_call["description"] = STAND_IN_DESCRIPTION
            self.platform["description_is_default"] = True
            self.report.add(
                "default",
                r.where(f"{where}.description"),
                "no description: the model gets only the tool's name; the console stands in "
                f"with '{STAND_IN_DESCRIPTION}'",
                "end_call.description",
            )
        self.bind(doc, f"{where}.description", _description_value(desc))
        speak_path = f"{where}.speak_during_execution"
        type_path = f"{where}.execution_message_type"
        text_path = f"{where}.execution_message_description"
        speak = r.boolean(speak_path)
        kind = r.text(type_path) or "prompt"
        if kind not in ("prompt", "static_text"):
            r.errors.append(f"{r.where(type_path)}: expected prompt or static_text")
        text = r.text_keep_empty(text_path) or ""
        if not speak:
            self.end_call["skip_goodbye"] = True
            self.mapped(r.where(speak_path), "end_call.skip_goodbye", "off: no goodbye")
        elif kind == "static_text":
            self.end_call["goodbye_message"] = text
            self.mapped(r.where(text_path), "end_call.goodbye_message", "static text")
        else:
            self.end_call["goodbye_prompt"] = text
            self.mapped(r.where(text_path), "end_call.goodbye_prompt", "a prompt")
        self.bind(doc, speak_path, _speak_value(r.raw(speak_path)))
        self.bind(doc, type_path, _type_value(r.raw(type_path)))
        self.bind(doc, text_path, _message_value(r.raw(text_path)))
        r.rest(tool, where, _TOOL_FIELDS, {})

    def _begin(self, doc: str) -> None:
        r = self.llm_r
        path = self.lp("begin_message")
        begin = r.text_keep_empty(path)
        if begin:
            self.agent["greeting"] = begin
            self.mapped(r.where(path), "agent.greeting")
        elif begin == "":
            self.report.add(
                "note", r.where(path), "empty: the agent waits for the caller to speak first"
            )
        else:
            self.report.add(
                "note",
                r.where(path),
                "not set: the model makes up the first line; the console's greeting is empty",
            )
        speaker = r.text(self.lp("start_speaker"))
        if speaker:
            self.report.add(
                "note",
                r.where(self.lp("start_speaker")),
                "the caller is to speak first"
                if speaker == "user"
                else "the agent speaks first, as the console's agent does",
            )
        self.bind(doc, path, lambda c: c.agent.greeting if c.agent.greeting else KEEP)

    def _variables(self, doc: str) -> None:
        r = self.llm_r
        path = self.lp("default_dynamic_variables")
        values = r.obj(path)
        if not values:
            return
        variables = {}
        for key, value in values.items():
            if isinstance(value, str) and key.isidentifier():
                variables[key] = value
            else:
                self.report.add("not_mapped", r.where(join(path, key)), "not a name=text value")
        self.agent["variables"] = variables
        self.mapped(r.where(path), "agent.variables", f"{len(variables)} value(s)")
        self.bind(
            doc,
            path,
            lambda c: KEEP if c.agent.variables == variables else dict(c.agent.variables),
        )


# -- binding values ------------------------------------------------------------------------
def _general_of(c: CallConfig) -> str:
    return split_prompt(c.agent.main_prompt)[0]


def _ms_value(field_name: str, original: Any, default: int):
    def value(c: CallConfig) -> Any:
        seconds = getattr(c.agent.turn_taking, field_name)
        if seconds is None:
            return KEEP
        ms = _num(round(seconds * 1000, 3))
        if unset(original) and ms == default:
            return KEEP
        return ms

    return value


def _off(field_name: str):
    def warning(c: CallConfig) -> str | None:
        if getattr(c.agent.turn_taking, field_name) is None:
            return f"agent.turn_taking.{field_name} is off, but Retell cannot turn it off; kept"
        return None

    return warning


def _state_value(name: str, original: Any):
    def value(c: CallConfig) -> Any:
        states = split_prompt(c.agent.main_prompt)[1]
        if name not in states:
            return KEEP
        text = states[name]
        if text == "" and unset(original):
            return KEEP
        return text

    return value


def _states_warning(names: set[str]):
    def warning(c: CallConfig) -> str | None:
        found = set(split_prompt(c.agent.main_prompt)[1])
        lost = sorted(names - found)
        added = sorted(found - names)
        parts = []
        if lost:
            parts.append(f"state section(s) removed from the main prompt ({', '.join(lost)})")
        if added:
            parts.append(f"new state section(s) ({', '.join(added)}) that Retell does not have")
        return ("agent.main_prompt: " + "; ".join(parts) + ": not exported") if parts else None

    return warning


def _description_value(original: str | None):
    def value(c: CallConfig) -> Any:
        if original is None and c.end_call.description == STAND_IN_DESCRIPTION:
            return KEEP
        return c.end_call.description

    return value


def _speak_value(original: Any):
    def value(c: CallConfig) -> Any:
        speak = not c.end_call.skip_goodbye
        if not speak and unset(original):
            return KEEP
        return speak

    return value


def _type_value(original: Any):
    def value(c: CallConfig) -> Any:
        if c.end_call.skip_goodbye:
            return KEEP
        kind = "static_text" if c.end_call.goodbye_message.strip() else "prompt"
        if kind == "prompt" and unset(original):
            return KEEP
        return kind

    return value


def _message_value(original: Any):
    def value(c: CallConfig) -> Any:
        if c.end_call.skip_goodbye:
            return KEEP
        action = c.end_call
        text = action.goodbye_message if action.goodbye_message.strip() else action.goodbye_prompt
        if text == "" and unset(original):
            return KEEP
        return text

    return value


def _detection_flag(original: bool | None):
    def value(c: CallConfig) -> Any:
        on = c.voicemail.detect
        return KEEP if on == bool(original) else on

    return value


def _voicemail_option(original: Any):
    def value(c: CallConfig) -> Any:
        vm = c.voicemail
        if not vm.detect:
            return KEEP if unset(original) else None
        was = P.get(original, "action.type") if isinstance(original, dict) else None
        if vm.on_machine == "leave_message":
            kind = was if was in ("static_text", "prompt") else "static_text"
            action: dict[str, Any] = {"type": kind, "text": vm.message}
        else:
            action = {"type": was if was in ("hangup", "bridge_transfer") else "hangup"}
        option = dict(original) if isinstance(original, dict) else {}
        if option.get("action") == action:
            return KEEP
        option["action"] = action
        return option

    return value


def _new_tool(c: CallConfig) -> Any:
    if not c.end_call.enabled:
        return KEEP
    tool: dict[str, Any] = {
        "type": "end_call",
        "name": c.end_call.name,
        "description": c.end_call.description,
        "speak_during_execution": not c.end_call.skip_goodbye,
    }
    if not c.end_call.skip_goodbye:
        fixed = c.end_call.goodbye_message.strip()
        tool["execution_message_type"] = "static_text" if fixed else "prompt"
        tool["execution_message_description"] = (
            c.end_call.goodbye_message if fixed else c.end_call.goodbye_prompt
        )
    return tool
