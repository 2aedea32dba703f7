"""Vapi assistants: import an exported assistant JSON, export the console's fields back.

What maps (the README's "Vapi" section has the full table): the name, `firstMessage`, the
system message (older: `model.systemPrompt`), the `endCall` tool (older: the
`endCallFunctionEnabled` flag or a `functions` entry named `endCall`) with its name,
description and request-start message, `endCallMessage`, `endCallPhrases`, the silence and
maximum-duration timeouts, and the voicemail message and detection.

Shapes handled: the new `{"type": "endCall"}` tool, the older flag and `functions` array,
tools referenced only by id (`toolIds`: reported as unresolved), empty strings as unset,
and functions whose name merely contains "endCall" (not the hang-up tool).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from console.core.config import CallConfig
from console.platforms.common import (
    VOICEMAIL_NOTE,
    Binding,
    Docs,
    ImportDraft,
    Imported,
    Reader,
    machine_message,
    shadowed_of,
    text_value,
    unset,
    voicemail_section,
)
from console.platforms.files import read_data
from console.platforms.paths import DELETE, KEEP
from console.platforms.report import PlatformFileError

STAND_IN_DESCRIPTION = "Use when the caller says goodbye or the conversation is complete."
DEFAULT_TOOL_NAME = "endCall"
DEFAULT_SILENCE_S = 30.0
DEFAULT_MAX_S = 600.0

_TOP_KNOWN = {
    "voice": "the text-to-speech voice: the console speaks with its own voice",
    "transcriber": "speech recognition: the console uses its own recogniser",
    "id": "platform bookkeeping",
    "orgId": "platform bookkeeping",
    "createdAt": "platform bookkeeping",
    "updatedAt": "platform bookkeeping",
    "isServerUrlSecretSet": "platform bookkeeping",
    "metadata": "platform bookkeeping",
    "server": "webhooks: there is no server in the console",
    "serverUrl": "webhooks: there is no server in the console",
    "serverUrlSecret": "webhooks: there is no server in the console",
    "serverMessages": "webhooks: there is no server in the console",
    "clientMessages": "messages to a web client",
    "analysisPlan": "after-call analysis",
    "artifactPlan": "after-call recording and transcripts (the console keeps its own)",
    "recordingEnabled": "after-call recording (the console keeps its own)",
    "hipaaEnabled": "data retention",
    "compliancePlan": "data retention",
    "backgroundSound": "audio effects",
    "backgroundDenoisingEnabled": "audio effects",
    "backchannelingEnabled": "backchannel sounds",
    "startSpeakingPlan": "endpointing: set agent.turn_taking.endpoint_silence_ms by hand",
    "stopSpeakingPlan": "barge-in tuning: set agent.turn_taking.barge_in by hand",
    "firstMessageInterruptionsEnabled": "barge-in on the greeting",
    "modelOutputInMessagesEnabled": "transcript storage",
    "transportConfigurations": "telephony transport",
    "credentialIds": "platform credentials",
    "hooks": "event hooks: the console runs no hook actions",
    "keypadInputPlan": "keypad (DTMF) input",
    "messagePlan": "idle messages: not modelled",
    "monitorPlan": "live monitoring",
    "observabilityPlan": "observability",
    "voicemailDetection": "voicemail detection settings (kept in the file)",
}
_MODEL_KNOWN = {
    "provider": "the LLM provider: the console uses its offline agent or your LLM endpoint",
    "model": "the LLM: the console uses its offline agent or your LLM endpoint",
    "temperature": "LLM sampling",
    "maxTokens": "LLM sampling",
    "emotionRecognitionEnabled": "emotion recognition",
    "numFastTurns": "LLM routing",
    "knowledgeBase": "knowledge base: the console cannot query it",
    "knowledgeBaseId": "knowledge base: the console cannot query it",
    "url": "a custom LLM server",
    "toolIds": "tools stored on Vapi by id",
}


class VapiAdapter:
    name = "vapi"
    title = "Vapi"

    def read(self, files: list[Path]) -> Docs:
        if len(files) != 1:
            raise PlatformFileError(["a Vapi assistant is one JSON file"])
        data = read_data(files[0])
        if not isinstance(data, dict):
            raise PlatformFileError(
                [f"a Vapi assistant is a JSON object, not {type(data).__name__}"], files[0].name
            )
        return {"assistant": data}

    def template(self) -> Docs:
        return {
            "assistant": {
                "name": "",
                "firstMessage": "",
                "model": {
                    "messages": [{"role": "system", "content": ""}],
                    "tools": [
                        {
                            "type": "endCall",
                            "function": {"name": DEFAULT_TOOL_NAME, "description": ""},
                        }
                    ],
                },
                "endCallMessage": "",
                "endCallPhrases": [],
                "silenceTimeoutSeconds": DEFAULT_SILENCE_S,
                "maxDurationSeconds": DEFAULT_MAX_S,
                "voicemailMessage": "",
            }
        }

    def render(self, docs: Docs) -> dict[str, str]:
        return {"assistant.json": json.dumps(docs["assistant"], indent=2, ensure_ascii=False)}

    def export_warnings(self, config: CallConfig) -> list[str]:
        out = []
        action = config.end_call
        if action.goodbye_prompt.strip():
            out.append(
                "end_call.goodbye_prompt: Vapi has no generated goodbye; not exported (use a "
                "fixed end_call.goodbye_message)"
            )
        if action.phrase_match != "substring":
            out.append(
                "end_call.phrase_match: Vapi always matches phrases anywhere in the line; "
                "'whole_words' is not exported"
            )
        if action.skip_goodbye and action.goodbye_message.strip():
            out.append(
                "end_call.goodbye_message is not exported: skip goodbye is on, so the export "
                "sets no end-call message"
            )
        return out

    def import_docs(self, docs: Docs, source_file: str = "") -> Imported:
        return _Import(docs["assistant"], source_file).run()


def _seconds(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _Import(ImportDraft):
    def __init__(self, data: Any, source: str) -> None:
        super().__init__("vapi", "Vapi", [source] if source else [], source)
        self.r = Reader(data, self.report, source=source)

    def bind(self, path: str, value, warning=None) -> None:
        self.bind_in("assistant", path, value, warning)

    def run(self) -> Imported:
        r = self.r
        top = r.obj("")
        if top is None:
            raise PlatformFileError(["a Vapi assistant is a JSON object"], r.source)
        handled = {
            "name",
            "firstMessage",
            "firstMessageMode",
            "model",
            "endCallFunctionEnabled",
            "functions",
            "endCallMessage",
            "endCallPhrases",
            "silenceTimeoutSeconds",
            "maxDurationSeconds",
            "voicemailMessage",
            "voicemailDetection",
        }
        self._identity()
        model = r.obj("model")
        self._prompt(model)
        self._tool(model)
        self._phrases()
        self._timeouts()
        self._voicemail()
        r.rest(top, "", handled, _TOP_KNOWN)
        if model is not None:
            model_handled = {"messages", "tools", "functions", "systemPrompt", "toolIds"}
            r.rest(model, "model", model_handled, _MODEL_KNOWN)
        r.finish()
        return self.finished({"assistant": r.data})

    # -- pieces ---------------------------------------------------------------------------
    def _identity(self) -> None:
        r = self.r
        name = r.text("name")
        if name:
            self.agent["name"] = name.strip()[:80]
            self.mapped("name", "agent.name")
        self.bind("name", text_value(lambda c: c.agent.name, r.raw("name"), default="Agent"))
        greeting = r.text("firstMessage")
        if greeting:
            self.agent["greeting"] = greeting
            self.mapped("firstMessage", "agent.greeting")
        self.bind("firstMessage", text_value(lambda c: c.agent.greeting, r.raw("firstMessage")))
        mode = r.text("firstMessageMode")
        if mode == "assistant-speaks-first":
            self.report.add(
                "note",
                "firstMessageMode",
                "the assistant speaks first, as the console's agent does",
            )
        elif mode == "assistant-waits-for-user":
            self.report.add(
                "note",
                "firstMessageMode",
                "the assistant waits for the caller to speak first; the console's agent "
                "greets at once if it has a greeting",
            )
        elif mode == "assistant-speaks-first-with-model-generated-message":
            self.report.add(
                "note",
                "firstMessageMode",
                "the model makes up the first line; the console speaks agent.greeting (or "
                "nothing) instead",
            )

    def _prompt(self, model: dict[str, Any] | None) -> None:
        r = self.r
        system_at = None
        for i, message in enumerate(r.items("model.messages")):
            if not isinstance(message, dict):
                r._wrong(f"model.messages[{i}]", "an object", message)
                continue
            if message.get("role") == "system" and system_at is None:
                system_at = i
            elif message.get("role") == "system":
                self.report.add(
                    "not_mapped",
                    f"model.messages[{i}]",
                    "a second system message: the console has one main prompt",
                )
            else:
                self.report.add(
                    "not_mapped",
                    f"model.messages[{i}]",
                    f"a '{message.get('role')}' message: example turns are not modelled",
                )
        if system_at is not None:
            path = f"model.messages[{system_at}].content"
            prompt = r.text_keep_empty(path)
            if prompt is not None:
                self.agent["main_prompt"] = prompt
            if not (prompt or "").strip():
                self.report.add("note", path, "the system prompt is empty")
            # The whole system message: its role says it is the prompt.
            self.mapped(f"model.messages[{system_at}]", "agent.main_prompt", "the system message")
            self.bind(path, text_value(lambda c: c.agent.main_prompt, r.raw(path)))
            return
        old = r.text("model.systemPrompt")
        if old is not None:
            self.agent["main_prompt"] = old
            self.mapped("model.systemPrompt", "agent.main_prompt", "imported (an older field)")
            self.bind("model.systemPrompt", lambda c: c.agent.main_prompt)
            return
        self.report.add("note", "model.messages", "no system prompt: the main prompt is empty")
        self.bind(
            "model.messages[role=system]",
            lambda c: (
                {"role": "system", "content": c.agent.main_prompt} if c.agent.main_prompt else KEEP
            ),
        )

    def _tool(self, model: dict[str, Any] | None) -> None:
        r = self.r
        found = None
        for i, tool in enumerate(r.items("model.tools")):
            where = f"model.tools[{i}]"
            if not isinstance(tool, dict):
                r._wrong(where, "an object", tool)
                continue
            kind = tool.get("type")
            fn = tool.get("function")
            fname = fn.get("name") if isinstance(fn, dict) else None
            if kind == "endCall" and found is None:
                found = where
            elif kind == "endCall":
                self.report.add(
                    "not_mapped", where, "a second endCall tool: the console has one End Call"
                )
            else:
                label = f"'{fname}' ({kind})" if fname else f"({kind})"
                self.report.add(
                    "not_mapped",
                    where,
                    f"tool {label}: the console models only the End Call action"
                    + (
                        "; a function tool named like endCall is your server's function, not "
                        "Vapi's hang-up tool"
                        if fname and "endcall" in str(fname).lower()
                        else ""
                    ),
                )
        legacy = self._legacy_functions()
        enabled_flag = r.boolean("endCallFunctionEnabled")
        ids = r.texts("model.toolIds")
        if ids:
            self.report.add(
                "problem" if found is None and legacy is None and not enabled_flag else "note",
                "model.toolIds",
                f"{len(ids)} tool(s) referenced by id only ({', '.join(ids[:3])}"
                + ("..." if len(ids) > 3 else "")
                + "): they live on Vapi and could not be resolved from this file"
                + (
                    "; if one is the endCall tool, its name, description and messages are "
                    "not imported"
                    if found is None
                    else ""
                ),
            )
        if found is not None:
            if legacy is not None or enabled_flag:
                self.report.add(
                    "note",
                    "endCallFunctionEnabled",
                    "the file also has the older end-call setting; the endCall tool in "
                    "model.tools is the one imported",
                )
            self._inline_tool(found)
        elif legacy is not None:
            self._legacy_tool(legacy)
        elif enabled_flag:
            self.mapped(
                "endCallFunctionEnabled", "end_call.enabled", "imported (the older end-call flag)"
            )
            self._name(None)
            self._description(None)
            self.bind("endCallFunctionEnabled", lambda c: c.end_call.enabled)
        elif ids:
            self._name(None)
            self._description(None)
        else:
            self.end_call.update(
                enabled=False, name=DEFAULT_TOOL_NAME, description=STAND_IN_DESCRIPTION
            )
            self.report.add(
                "note",
                "model.tools",
                "no endCall tool: the agent can never hang up by itself (end_call.enabled is off)",
                "end_call.enabled",
            )
            if enabled_flag is False:
                self.mapped("endCallFunctionEnabled", "end_call.enabled", "false: off")
                self.bind("endCallFunctionEnabled", lambda c: c.end_call.enabled)
            else:
                self.bind("model.tools[type=endCall]", _new_tool)
        self._goodbye(found)

    def _legacy_functions(self) -> str | None:
        r = self.r
        found = None
        for base in ("functions", "model.functions"):
            for i, fn in enumerate(r.items(base)):
                where = f"{base}[{i}]"
                if not isinstance(fn, dict):
                    r._wrong(where, "an object", fn)
                    continue
                fname = fn.get("name")
                if fname == "endCall" and found is None:
                    found = where
                elif isinstance(fname, str) and "endcall" in fname.lower():
                    self.report.add(
                        "not_mapped",
                        where,
                        f"function '{fname}': its name only contains endCall; it is not the "
                        "hang-up tool",
                    )
                else:
                    self.report.add(
                        "not_mapped",
                        where,
                        f"function '{fname}': the console models only the End Call action",
                    )
        return found

    def _inline_tool(self, base: str) -> None:
        r = self.r
        tool = r.obj(base) or {}
        self.mapped(base, "end_call.enabled", "the endCall tool")
        self.bind(base, lambda c: KEEP if c.end_call.enabled else DELETE)
        fn = r.obj(f"{base}.function")
        self._name(f"{base}.function.name")
        self._description(f"{base}.function.description")
        if fn is not None:
            r.rest(
                fn,
                f"{base}.function",
                {"name", "description"},
                {"parameters": "the tool's parameters: the console's action takes a reason"},
            )
        r.rest(
            tool,
            base,
            {"type", "function", "messages"},
            {
                "async": "tool timing",
                "server": "webhooks: there is no server in the console",
                "rejectionPlan": "a guard against ending too early: not modelled",
                "id": "platform bookkeeping",
                "orgId": "platform bookkeeping",
                "createdAt": "platform bookkeeping",
                "updatedAt": "platform bookkeeping",
            },
        )

    def _legacy_tool(self, base: str) -> None:
        r = self.r
        self.mapped(base, "end_call.enabled", "a function named endCall (older shape)")
        self.bind(base, lambda c: KEEP if c.end_call.enabled else DELETE)
        fn = r.obj(base) or {}
        self._name(f"{base}.name")
        self._description(f"{base}.description")
        r.rest(fn, base, {"name", "description"}, {"parameters": "the function's parameters"})

    def _name(self, path: str | None) -> None:
        r = self.r
        name = r.text(path) if path else None
        self.end_call["name"] = (name or DEFAULT_TOOL_NAME).strip()
        if path is None:
            self.report.add("default", "", f"the tool name is Vapi's default '{DEFAULT_TOOL_NAME}'")
            self.bindings.append(
                Binding(
                    "assistant",
                    "endCallFunctionEnabled",
                    lambda c: KEEP,
                    lambda c: (
                        None
                        if c.end_call.name == DEFAULT_TOOL_NAME
                        else "end_call.name: the older Vapi end-call setting has a fixed name "
                        f"'{DEFAULT_TOOL_NAME}'; the new name is not exported"
                    ),
                )
            )
            return
        if name:
            self.mapped(path, "end_call.name")
        else:
            self.report.add("default", path, f"no name: Vapi's default '{DEFAULT_TOOL_NAME}'")
        self.bind(path, text_value(lambda c: c.end_call.name, r.raw(path), DEFAULT_TOOL_NAME))

    def _description(self, path: str | None) -> None:
        r = self.r
        desc = r.text(path) if path else None
        if desc is not None:
            self.end_call["description"] = desc
            self.mapped(path or "", "end_call.description")
        else:
            self.end_call["description"] = STAND_IN_DESCRIPTION
            self.platform["description_is_default"] = True
            self.report.add(
                "default",
                path or "endCallFunctionEnabled",
                "no tool description: Vapi sends its own default text, which the file does "
                f"not show; the console stands in with '{STAND_IN_DESCRIPTION}'",
                "end_call.description",
            )
        if path is None:
            self.bindings.append(
                Binding(
                    "assistant",
                    "endCallFunctionEnabled",
                    lambda c: KEEP,
                    lambda c: (
                        None
                        if c.end_call.description == STAND_IN_DESCRIPTION
                        else "end_call.description: this Vapi assistant's end-call tool is not in "
                        "the file (older flag or a tool id), so the description is not exported"
                    ),
                )
            )
            return

        def value(c: CallConfig) -> Any:
            if c.end_call.description == STAND_IN_DESCRIPTION and desc is None:
                return KEEP
            return c.end_call.description

        self.bind(path, value)

    def _goodbye(self, tool: str | None) -> None:
        r = self.r
        start_path = None
        if tool is not None:
            for i, message in enumerate(r.items(f"{tool}.messages")):
                where = f"{tool}.messages[{i}]"
                if not isinstance(message, dict):
                    r._wrong(where, "an object", message)
                    continue
                kind = message.get("type")
                if kind == "request-start" and start_path is None:
                    start_path = f"{where}.content"
                    for extra in ("contents", "conditions", "blocking"):
                        if extra in message:
                            self.report.add(
                                "not_mapped",
                                f"{where}.{extra}",
                                "message variants and conditions: the console speaks content",
                            )
                else:
                    self.report.add(
                        "not_mapped",
                        where,
                        f"a '{kind}' tool message: only request-start is spoken at hang-up",
                    )
        end_message = r.text("endCallMessage")
        if start_path is not None:
            text = r.text_keep_empty(start_path) or ""
            self.end_call["goodbye_message"] = text
            self.mapped(start_path, "end_call.goodbye_message", "the request-start message")
            self.bind(start_path, _goodbye_value(r.raw(start_path)))
            if end_message:
                self.platform["shadowed_goodbye"] = end_message
                self.report.add(
                    "note",
                    "endCallMessage",
                    "never spoken: the endCall tool's request-start message replaces it "
                    "(kept in platform.shadowed_goodbye)",
                    "platform.shadowed_goodbye",
                )
            self.bind(
                "endCallMessage",
                text_value(shadowed_of, r.raw("endCallMessage")),
            )
        else:
            text = end_message or ""
            if end_message:
                self.end_call["goodbye_message"] = end_message
                self.mapped("endCallMessage", "end_call.goodbye_message")
            self.bind("endCallMessage", _goodbye_value(r.raw("endCallMessage")))
        if not text.strip():
            self.end_call["skip_goodbye"] = True
            self.report.add(
                "note",
                start_path or "endCallMessage",
                "no end-call message: the call ends without a goodbye (skip goodbye is on)",
                "end_call.skip_goodbye",
            )

    def _phrases(self) -> None:
        r = self.r
        phrases = r.texts("endCallPhrases")
        if phrases:
            self.end_call["phrases"] = phrases
            self.end_call["phrase_match"] = "substring"
            self.mapped(
                "endCallPhrases",
                "end_call.phrases",
                f"{len(phrases)} phrase(s), matched as Vapi does: any case, anywhere in the line",
            )
        elif "endCallPhrases" in r.data:
            self.report.add("note", "endCallPhrases", "no phrases: ending by phrase is off")
        self.bind("endCallPhrases", _phrases_value(r.raw("endCallPhrases")))

    def _timeouts(self) -> None:
        for key, field_name, default, limit in (
            ("silenceTimeoutSeconds", "silence_timeout_s", DEFAULT_SILENCE_S, 3600),
            ("maxDurationSeconds", "max_call_s", DEFAULT_MAX_S, 24 * 3600),
        ):
            value = self.r.number(key)
            target = f"agent.turn_taking.{field_name}"
            if value is None:
                value = default
                self.report.add("default", key, f"Vapi's default {default:g} s", target)
            elif not 0 < value <= limit:
                self.report.add(
                    "problem", key, f"{value:g} s is outside what the console can hold", target
                )
                continue
            else:
                self.mapped(key, target, f"{value:g} s")
            self.turns[field_name] = value
            self.bindings.append(
                Binding(
                    "assistant",
                    key,
                    _seconds_value(field_name, self.r.raw(key), default),
                    _off_warning(field_name, key),
                )
            )

    def _voicemail(self) -> None:
        r = self.r
        voicemail: dict[str, Any] = {}
        message = r.text("voicemailMessage")
        detection = r.raw("voicemailDetection")
        beep = None
        if isinstance(detection, dict):
            voicemail["detection"] = True
            provider = detection.get("provider")
            self.report.add(
                "mapped",
                "voicemailDetection",
                f"on (provider {provider}; its other settings stay in the file)",
                "voicemail.detect",
            )
            beep = r.number("voicemailDetection.beepMaxAwaitSeconds")
            self.bind("voicemailDetection", lambda c: KEEP if c.voicemail.detect else None)
        elif detection is False or (detection is None and "voicemailDetection" in r.data):
            voicemail["detection"] = False
            self.mapped("voicemailDetection", "voicemail.detect", "off")
        elif "voicemailDetection" in r.data:
            r._wrong("voicemailDetection", "an object or null", detection)
        if not isinstance(detection, dict):
            self.bindings.append(
                Binding("assistant", "voicemailDetection", lambda c: KEEP, _detection_warning)
            )
        if message:
            voicemail["message"] = message
            voicemail["action"] = "message"
            self.mapped("voicemailMessage", "voicemail.message", "left after the beep")
        elif voicemail.get("detection"):
            voicemail["action"] = "hang_up"
        if voicemail:
            self.platform["voicemail"] = voicemail
            self.voicemail = voicemail_section(voicemail)
            self.report.add("note", "voicemailDetection", VOICEMAIL_NOTE)
        if beep is not None and 0 <= beep <= 300:
            self.voicemail["beep_max_wait_s"] = beep
            path = "voicemailDetection.beepMaxAwaitSeconds"
            self.mapped(path, "voicemail.beep_max_wait_s", f"{beep:g} s")
            self.bind(path, lambda c: _seconds(c.voicemail.beep_max_wait_s))
        self.bind("voicemailMessage", text_value(machine_message, r.raw("voicemailMessage")))


def _detection_warning(c: CallConfig) -> str | None:
    if not c.voicemail.detect:
        return None
    return (
        "voicemail.detect is on, but this Vapi assistant has no voicemailDetection: turn it "
        "on in Vapi (it needs a provider); not exported"
    )


def _new_tool(c: CallConfig) -> Any:
    if not c.end_call.enabled:
        return KEEP
    return {
        "type": "endCall",
        "function": {"name": c.end_call.name, "description": c.end_call.description},
    }


def _goodbye_value(original: Any):
    def value(c: CallConfig) -> Any:
        text = "" if c.end_call.skip_goodbye else c.end_call.goodbye_message
        if not text.strip() and (unset(original) or not str(original).strip()):
            return KEEP
        return text

    return value


def _phrases_value(original: Any):
    def value(c: CallConfig) -> Any:
        if not c.end_call.phrases and unset(original):
            return KEEP
        return list(c.end_call.phrases)

    return value


def _seconds_value(field_name: str, original: Any, default: float):
    def value(c: CallConfig) -> Any:
        seconds = getattr(c.agent.turn_taking, field_name)
        if seconds is None:
            return KEEP
        if unset(original) and seconds == default:
            return KEEP
        return _seconds(seconds)

    return value


def _off_warning(field_name: str, key: str):
    def warning(c: CallConfig) -> str | None:
        if getattr(c.agent.turn_taking, field_name) is None:
            return f"agent.turn_taking.{field_name} is off, but Vapi cannot turn {key} off; kept"
        return None

    return warning
