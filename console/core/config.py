"""The End Call action and agent configuration: typed, validated, versioned.

Pydantic does the type checking and produces the JSON Schema; the rules a tester must
know (what makes a tool name valid, which ranges are allowed) are spelled out in the
error messages so the editor can show them beside the field.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

TOOL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
TOOL_NAME_RULE = (
    "must be a valid tool name: letters, digits, '_' and '-', 1 to 64 characters, "
    "starting with a letter or '_'"
)


class _Strict(BaseModel):
    # Unknown keys are refused so that a typo ("skip_goodby") is an error naming the
    # field instead of a silently ignored setting.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)


class EndCallAction(_Strict):
    """The End Call action exactly as a voice-agent platform configures it."""

    name: str = Field(
        "end_call",
        description="Function name the agent invokes; an LLM sees it as the tool name.",
        json_schema_extra={"pattern": TOOL_NAME_RE.pattern},
    )
    description: str = Field(
        "Use when the contact says goodbye, is not interested, or the conversation is complete.",
        description="When the agent should use the action; the tool description for an LLM.",
        max_length=4000,
    )
    skip_goodbye: bool = Field(
        False, description="Hang up at once, saying nothing (voicemail, speed)."
    )
    goodbye_prompt: str = Field(
        "",
        description=(
            "If set, the goodbye is generated from it (the offline agent speaks its quoted "
            "line, or the prompt itself with {variables} filled in). If empty, the goodbye "
            "comes from the main prompt."
        ),
        max_length=4000,
    )
    # The platforms' own hang-up features (console/platforms). Each is off by default, so a
    # config without them behaves exactly as before.
    enabled: bool = Field(
        True,
        description=(
            "Off: the agent has no End Call tool (a platform agent without one) and can never "
            "invoke the action; only an end-call phrase, a timeout or the caller ends the call."
        ),
    )
    goodbye_message: str = Field(
        "",
        description=(
            "A fixed goodbye: set, it is spoken word for word ({variables} filled in) when the "
            "action fires, instead of a generated one (Vapi endCallMessage, Retell static "
            "text). Empty: the goodbye is generated as usual."
        ),
        max_length=4000,
    )
    phrases: list[str] = Field(
        default_factory=list,
        description=(
            "End-call phrases (Vapi endCallPhrases): the call ends once the agent itself has "
            "finished saying one. Empty: off."
        ),
        max_length=100,
    )
    phrase_match: Literal["substring", "whole_words"] = Field(
        "substring",
        description=(
            "How a phrase matches the agent's words: 'substring' (Vapi's rule: any case, "
            "anywhere, even inside a longer word) or 'whole_words'."
        ),
    )

    @field_validator("phrases")
    @classmethod
    def _usable_phrases(cls, value: list[str]) -> list[str]:
        for phrase in value:
            if not phrase.strip():
                raise ValueError("an end-call phrase cannot be empty")
            if len(phrase) > 200:
                raise ValueError(f"an end-call phrase is at most 200 characters (got {phrase!r})")
        return value

    @field_validator("name")
    @classmethod
    def _valid_tool_name(cls, value: str) -> str:
        if not TOOL_NAME_RE.match(value):
            raise ValueError(f"{TOOL_NAME_RULE} (got {value!r})")
        return value


class Voice(_Strict):
    """How the agent sounds; also used to estimate speech durations in text mode."""

    name: str = Field("", description="TTS voice id or name; empty uses the system default.")
    rate_wpm: int = Field(170, ge=60, le=450, description="Speaking rate in words per minute.")


class TurnTaking(_Strict):
    """When the agent speaks, listens, gives up, and how long it waits before the drop."""

    response_delay_ms: int = Field(
        0, ge=0, le=10_000, description="Extra thinking time before the agent answers."
    )
    endpoint_silence_ms: int = Field(
        500,
        ge=100,
        le=5_000,
        description="Silence after the caller's last word before the utterance is final.",
    )
    end_of_turn: Literal["silence", "adaptive"] = Field(
        "silence",
        description=(
            "What ends the caller's turn. 'silence': endpoint_silence_ms of quiet, whatever "
            "was said. 'adaptive': the words so far decide: a complete answer ends after "
            "min_end_of_turn_ms, a lone 'yes'/'no' after 1.5 times that, and one that stops "
            "on 'and', 'the', 'to', 'I am', 'um' waits up to max_end_of_turn_ms."
        ),
    )
    min_end_of_turn_ms: int = Field(
        200,
        ge=100,
        le=5_000,
        description="adaptive: silence that ends a complete answer ('No thanks.').",
    )
    max_end_of_turn_ms: int = Field(
        1_200,
        ge=100,
        le=10_000,
        description="adaptive: the longest wait for a caller who stopped mid-sentence.",
    )
    barge_in: bool = Field(
        True, description="Caller speech stops the agent's normal speech (never the goodbye)."
    )
    barge_in_cuts_goodbye: bool = Field(
        False, description="Also let caller speech cut the goodbye (off: goodbyes always finish)."
    )
    drop_guard_ms: int = Field(
        200,
        ge=0,
        le=5_000,
        description="Guard between the goodbye's last sample and the line drop.",
    )
    silence_timeout_s: float | None = Field(
        None, gt=0, le=3600, description="Drop after this much caller silence; off when empty."
    )
    max_call_s: float | None = Field(
        None, gt=0, le=24 * 3600, description="Drop after this call length; off when empty."
    )
    on_error: Literal["continue", "end"] = Field(
        "continue",
        description="On a device or backend fault: go on (text mode) or end with reason 'error'.",
    )

    @model_validator(mode="after")
    def _end_of_turn_bounds(self) -> TurnTaking:
        if self.max_end_of_turn_ms < self.min_end_of_turn_ms:
            raise ValueError(
                f"max_end_of_turn_ms ({self.max_end_of_turn_ms}) must be at least "
                f"min_end_of_turn_ms ({self.min_end_of_turn_ms})"
            )
        return self


class ModelEndpoint(_Strict):
    """An OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp's server, LM
    Studio, vLLM, a hosted API). The API key is never part of a config: it comes from
    ENDCALL_LLM_API_KEY or OPENAI_API_KEY, or the window's settings."""

    base_url: str = Field(
        "http://127.0.0.1:11434/v1", max_length=2000, description="The endpoint's /v1 URL."
    )
    model: str = Field("llama3.1", min_length=1, max_length=200)
    temperature: float = Field(0.2, ge=0, le=2)
    seed: int | None = Field(None, description="Asks the server for repeatable sampling.")
    max_tokens: int = Field(300, ge=1, le=32_000, description="A reply is cut after this.")
    reply_deadline_s: float = Field(
        30.0, gt=0, le=600, description="A whole reply must arrive within this."
    )
    timeout_s: float = Field(20.0, gt=0, le=600, description="Connecting, and each wait.")
    stream: bool = True

    @field_validator("base_url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8000/v1")
        if parts.username or parts.password:
            raise ValueError(
                "must not carry a user or password: configs are shared; put the key in "
                "ENDCALL_LLM_API_KEY instead"
            )
        return value


class AgentBackend(_Strict):
    """Which brain answers: the offline agent, or a language model at an endpoint."""

    kind: Literal["offline", "llm"] = "offline"
    llm: ModelEndpoint = Field(default_factory=ModelEndpoint)


class AgentConfig(_Strict):
    """The agent behind the call: its main prompt and how it takes turns."""

    name: str = Field("Agent", min_length=1, max_length=80)
    main_prompt: str = Field("", max_length=100_000)
    greeting: str = Field("", max_length=4000, description="First words when the call connects.")
    variables: dict[str, str] = Field(
        default_factory=dict,
        description="Values for {placeholders} in the prompt, greeting and goodbye prompt.",
    )
    voice: Voice = Field(default_factory=Voice)
    turn_taking: TurnTaking = Field(default_factory=TurnTaking)
    backend: AgentBackend = Field(
        default_factory=AgentBackend,
        description="Who answers in scenario runs and terminal calls (the window has its "
        "own choice on the toolbar).",
    )

    @field_validator("variables")
    @classmethod
    def _identifier_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", key):
                raise ValueError(f"variable names must be identifiers (got {key!r})")
        return value


class SpeechSettings(_Strict):
    """Where speech recognition comes from (the machine's devices are app settings)."""

    model_path: str = Field(
        "", max_length=4096, description="A vosk model folder; empty: look in models/."
    )


class AudioSettings(_Strict):
    """What runs on the microphone before the recogniser hears it (console/audio/echo.py).

    Both are on by default because the case to protect is a laptop's built-in speakers
    and microphone, or a meeting-room speakerphone: there the microphone hears the agent,
    and without cancellation its words come back as caller speech, barge in on it and can
    end the call. With a headset they find no echo and still cost CPU and capture
    latency: `python -m bench.echo` measures both (the README's Performance section has
    the figures; no figure is kept here, where it would go stale). Turn them off to save
    those, or when the sound system already cancels echo (a PulseAudio/PipeWire
    echo-cancel source).
    """

    echo_cancellation: bool = Field(
        True,
        description=(
            "Remove the agent's voice from the microphone (WebRTC AEC3, with what the "
            "console played as the reference). Needed on speakers; harmless on a headset."
        ),
    )
    noise_suppression: bool = Field(
        True, description="Suppress steady background noise (fans, hum) on the microphone."
    )


class VoicemailSettings(_Strict):
    """Who answered, judged from the caller's audio and words, and what to do on a machine.

    Off by default. On, the console listens for a beep, measures the greeting's shape and
    reads the recogniser's words (console/audio/amd) and decides human, voicemail, IVR or
    uncertain. On a machine it hangs up at once (the seed's Skip Goodbye case) or waits
    for the beep and leaves `message`, then ends the call.
    """

    detect: bool = Field(
        False,
        description=(
            "Decide from the audio who answered: person, voicemail or IVR. Read when the "
            "call is answered: a mid-call edit applies from the next call."
        ),
    )
    on_machine: Literal["hang_up", "leave_message"] = Field(
        "hang_up",
        description=(
            "On a voicemail or IVR: hang_up drops the line at once, saying nothing; "
            "leave_message waits for the beep, speaks the message, then ends the call. "
            "Read when a machine is decided."
        ),
    )
    message: str = Field(
        "",
        max_length=4000,
        description=(
            "Spoken after the beep with leave_message; {variables} are filled in. Read "
            "when a machine is decided."
        ),
    )
    beep_max_wait_s: float = Field(
        30.0,
        ge=0,
        le=300,
        description=(
            "With leave_message: how long to wait for the beep once a machine is decided; "
            "then the message waits for the machine to go quiet (human_silence_s), so it "
            "never starts over the greeting. Read when a machine is decided."
        ),
    )
    quiet_max_wait_s: float = Field(
        10.0,
        ge=0,
        le=300,
        description=(
            "With leave_message and no beep: how much longer to wait for the machine to go "
            "quiet after beep_max_wait_s; a machine that never does (a looping IVR menu) is "
            "hung up on without the message, with a warning on the timeline."
        ),
    )
    hold_opening_max_s: float = Field(
        4.0,
        ge=0,
        le=30,
        description=(
            "Hold the agent's opening while the verdict is pending, at most this long "
            "(0: never hold). Read when the call is answered: a mid-call edit applies from "
            "the next call."
        ),
    )
    machine_speech_s: float = Field(
        3.0,
        ge=1,
        le=15,
        description=(
            "A greeting that speaks this long without a pause is a machine. Read when the "
            "call is answered: a mid-call edit applies from the next call."
        ),
    )
    human_silence_s: float = Field(
        1.0,
        ge=0.3,
        le=5,
        description=(
            "A short greeting followed by this much silence is a person waiting; a "
            "machine this quiet may be left the message. Read when the call is answered: "
            "a mid-call edit applies from the next call."
        ),
    )


class PlatformVoicemail(_Strict):
    """A platform's voicemail settings as imported, for the record in sessions and reports.
    The console acts on its own `voicemail` section, which the import fills from them."""

    detection: bool | None = Field(None, description="Detection on/off; empty: not in the file.")
    action: Literal["", "hang_up", "message", "prompt", "transfer"] = Field(
        "", description="What the platform does on a machine; empty: not in the file."
    )
    message: str = Field(
        "", max_length=4000, description="The message left (or the prompt that makes it)."
    )


class PlatformRecord(_Strict):
    """Where an imported config came from, so every session says which agent was tested."""

    name: Literal["vapi", "retell", "elevenlabs", "livekit"]
    source_file: str = Field(
        "", max_length=1000, description="The imported file name(s), without folders."
    )
    description_is_default: bool = Field(
        False,
        description=(
            "The platform file left the tool description empty, so the platform sends its "
            "own default text; the console's description is a stand-in for it."
        ),
    )
    shadowed_goodbye: str = Field(
        "",
        max_length=4000,
        description=(
            "A platform end-call message the platform never speaks (Vapi: endCallMessage "
            "when the endCall tool has its own request-start message)."
        ),
    )
    voicemail: PlatformVoicemail = Field(default_factory=PlatformVoicemail)


class CallConfig(_Strict):
    """Everything that shapes one call. Saved with every session, one copy per version."""

    end_call: EndCallAction = Field(default_factory=EndCallAction)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    audio: AudioSettings = Field(default_factory=AudioSettings)
    voicemail: VoicemailSettings = Field(default_factory=VoicemailSettings)
    platform: PlatformRecord | None = Field(
        None,
        description=(
            "Set when the config was imported from a voice-agent platform (File > Import "
            "agent, `endcall-console import`): which platform and file."
        ),
    )


class ConfigError(ValueError):
    """A config that cannot be used; `problems` holds one line per field."""

    def __init__(self, problems: list[FieldProblem], source: str = ""):
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def problems_from(error: ValidationError, prefix: str = "") -> list[FieldProblem]:
    out = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        if prefix:
            loc = f"{prefix}.{loc}" if loc else prefix
        msg = item["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if item["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling)"
        out.append(FieldProblem(loc, msg))
    return out


def parse_config(data: Any, source: str = "") -> CallConfig:
    """Validate plain data into a CallConfig or raise ConfigError naming each field."""
    if not isinstance(data, dict):
        raise ConfigError(
            [FieldProblem("", f"a config must be a mapping, not {type(data).__name__}")], source
        )
    try:
        return CallConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_from(exc), source) from None


def read_data_file(path: Path) -> Any:
    """Read JSON or YAML (chosen by suffix; YAML is a superset, so it is the fallback).

    YAML is loaded with the safe loader so a file can never make the console run code.
    Only a regular file of at most MAX_DATA_FILE bytes is read (a FIFO, /dev/zero or a
    huge file is refused before reading), and data nested deeper than the console's own
    files ever are, or a YAML alias bomb, is refused by name.
    """
    from console.core.files import FileRefused, data_shape_problem, read_text_limited

    try:
        text = read_text_limited(path, MAX_DATA_FILE)
    except FileNotFoundError:
        raise ConfigError([FieldProblem("", "file not found")], str(path)) from None
    except OSError as exc:
        reason = f"it {exc}" if isinstance(exc, FileRefused) else f"({exc})"
        raise ConfigError(
            [FieldProblem("", f"cannot read the file: {reason}")], str(path)
        ) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigError([FieldProblem("", f"not valid JSON: {exc}")], str(path)) from None
    except yaml.YAMLError as exc:  # named by the file, never PyYAML's "<unicode string>"
        from console.core.yaml_errors import describe_yaml_error

        where = describe_yaml_error(exc, path.name)
        raise ConfigError([FieldProblem("", f"not valid YAML: {where}")], str(path)) from None
    except RecursionError:
        data = None
        shape = "is nested too deeply to read"
    else:
        shape = data_shape_problem(data)
    if shape:
        raise ConfigError([FieldProblem("", f"the {_kind(path)} data {shape}")], str(path))
    return data


MAX_DATA_FILE = 2 * 1024 * 1024  # a config or scenario file (prompts inline are 100k chars)
MAX_PROMPT_FILE = 512 * 1024  # main_prompt_file: 100,000 characters of UTF-8 at most


def _kind(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "YAML"


def load_config(path: str | Path) -> CallConfig:
    path = Path(path)
    try:
        data = resolve_includes(read_data_file(path), path.parent)
    except ConfigError as exc:
        raise ConfigError(exc.problems, exc.source or str(path)) from None
    return parse_config(data, str(path))


def resolve_includes(data: Any, folder: Path) -> Any:
    """`agent.main_prompt_file: prompts/x.md` reads the main prompt from a file.

    Prompts are long prose that testers edit in their own editor; keeping them in their
    own file (relative to the config) keeps configs short and diffs readable.
    """
    if not isinstance(data, dict) or not isinstance(data.get("agent"), dict):
        return data
    agent = dict(data["agent"])
    if "main_prompt_file" not in agent:
        return data
    rel = agent.pop("main_prompt_file")
    if "main_prompt" in agent:
        raise ConfigError(
            [
                FieldProblem(
                    "agent.main_prompt_file", "give main_prompt or main_prompt_file, not both"
                )
            ]
        )
    from console.core.files import FileRefused, read_text_limited

    if not isinstance(rel, str) or not rel.strip():
        raise ConfigError(
            [FieldProblem("agent.main_prompt_file", "must be a file name (text)")]
        ) from None
    try:
        agent["main_prompt"] = read_text_limited(folder / rel, MAX_PROMPT_FILE)
    except FileNotFoundError:
        raise ConfigError(
            [FieldProblem("agent.main_prompt_file", f"cannot read {rel!r} (file not found)")]
        ) from None
    except (OSError, ValueError) as exc:
        reason = f"it {exc}" if isinstance(exc, FileRefused) else f"({exc})"
        raise ConfigError(
            [FieldProblem("agent.main_prompt_file", f"cannot read {rel!r}: {reason}")]
        ) from None
    return {**data, "agent": agent}


class _ReadableDumper(yaml.SafeDumper):
    """Multi-line strings (prompts) as literal blocks, so saved configs read like prose."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(str, _str_representer)


def dump_config(config: CallConfig, fmt: Literal["json", "yaml"] = "yaml") -> str:
    data = config.model_dump(mode="json")
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(data, Dumper=_ReadableDumper, sort_keys=False, allow_unicode=True, width=100)


def save_config(config: CallConfig, path: str | Path) -> None:
    path = Path(path)
    fmt: Literal["json", "yaml"] = "json" if path.suffix.lower() == ".json" else "yaml"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dump_config(config, fmt), encoding="utf-8")
    tmp.replace(path)  # atomic: a crash never leaves half a config behind


def config_schema() -> dict[str, Any]:
    schema = CallConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "End Call Console config"
    return schema


def get_field(config: CallConfig, path: str) -> Any:
    value: Any = config
    for part in path.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


@dataclass
class EditResult:
    """What became of an edit: accepted (with the new version) or refused (with why)."""

    accepted: bool
    version: int
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)


class ConfigStore:
    """The config in force and its history; every accepted edit bumps the version.

    A refused edit changes nothing: the last valid config stays in force, which is what a
    tester typing into a field mid-call needs.
    """

    def __init__(self, config: CallConfig | None = None):
        self._current = config or CallConfig()
        self._version = 1
        self.history: list[tuple[int, CallConfig]] = [(1, self._current)]

    @property
    def current(self) -> CallConfig:
        return self._current

    @property
    def version(self) -> int:
        return self._version

    def edit(self, changes: dict[str, Any]) -> EditResult:
        """Apply {"end_call.skip_goodbye": True, ...} atomically."""
        new, problems = self.candidate(changes)
        if new is None:
            return EditResult(False, self._version, problems=problems)
        return self._accept(new)

    def check(self, changes: dict[str, Any]) -> EditResult:
        """What `edit` would do, without doing it: validation for a thread that must not
        wait for the one that applies edits (the window during a call)."""
        new, problems = self.candidate(changes)
        if new is None:
            return EditResult(False, self._version, problems=problems)
        changed = diff_configs(self._current, new)
        return EditResult(True, self._version + (1 if changed else 0), changes=changed)

    def candidate(
        self, changes: dict[str, Any], base: CallConfig | None = None
    ) -> tuple[CallConfig | None, list[FieldProblem]]:
        """The config `changes` make of `base` (the current one by default), or the
        problems that refuse them. Changes nothing."""
        data = (base or self._current).model_dump(mode="python")
        problems: list[FieldProblem] = []
        for path, value in changes.items():
            parts = path.split(".")
            target = data
            try:
                for part in parts[:-1]:
                    target = target[part]
                if not isinstance(target, dict) or parts[-1] not in target:
                    raise KeyError(path)
            except (KeyError, TypeError):
                problems.append(FieldProblem(path, "unknown field (check the spelling)"))
                continue
            target[parts[-1]] = copy.deepcopy(value)
        if problems:
            return None, problems
        try:
            return CallConfig.model_validate(data), []
        except ValidationError as exc:
            return None, problems_from(exc)

    def replace(self, new: CallConfig | dict[str, Any]) -> EditResult:
        if not isinstance(new, CallConfig):
            try:
                new = parse_config(new)
            except ConfigError as exc:
                return EditResult(False, self._version, problems=exc.problems)
        return self._accept(new)

    def _accept(self, new: CallConfig) -> EditResult:
        changes = diff_configs(self._current, new)
        if not changes:
            return EditResult(True, self._version)
        self._version += 1
        self._current = new
        self.history.append((self._version, new))
        return EditResult(True, self._version, changes=changes)


def diff_configs(old: CallConfig, new: CallConfig) -> list[tuple[str, Any, Any]]:
    """Leaf-level differences as (dotted field, old, new)."""
    return _diff(old.model_dump(mode="json"), new.model_dump(mode="json"), "")


def _diff(a: Any, b: Any, prefix: str) -> list[tuple[str, Any, Any]]:
    if (
        isinstance(a, dict)
        and isinstance(b, dict)
        and prefix.count(".") < 2
        and prefix != ("agent.variables")
    ):
        out = []
        for key in list(a) + [k for k in b if k not in a]:
            out += _diff(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else key)
        return out
    return [] if a == b else [(prefix, a, b)]
