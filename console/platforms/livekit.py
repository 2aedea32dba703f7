"""LiveKit Agents: the agent's instructions and its `EndCallTool(...)` settings.

A LiveKit agent has no config file: it is Python. The console reads the agent's source
with `ast` (it never imports or runs it): `EndCallTool(extra_description=...,
end_instructions=..., delete_room=...)`, the agent's `instructions=` (`Agent(...)` or
`super().__init__(...)` in an `Agent` subclass), and a fixed first line
`session.say("...")`. Values must be literals (or module-level string constants); anything
built at run time is reported, not guessed. A short JSON/YAML description written by hand
works too:

```yaml
instructions: |
  You are Sam from Acme Solar...
greeting: "Hi, this is Sam."            # optional: a fixed first line
end_call_tool:                          # absent or null: no EndCallTool
  extra_description: "Also end the call if they ask not to be called again."
  end_instructions: "say goodbye to the user"   # null: hang up without a goodbye
  delete_room: true
```

LiveKit names the tool `end_call` and puts its own description before
`extra_description`; the console stands in for that text (in its own words) at the start
of the End Call description. `end_instructions` is the instruction LiveKit gives the model
for its goodbye: a goodbye prompt; `None` is skip goodbye. Export writes the values back
into the same source, literal by literal, and shows the diff.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from console.core.config import CallConfig
from console.platforms.common import (
    Binding,
    Docs,
    Imported,
    Reader,
    apply_changes,
    build_config,
    text_value,
)
from console.platforms.files import read_data, read_text
from console.platforms.paths import KEEP, MISSING
from console.platforms.report import FieldChange, ImportReport, PlatformFileError

STAND_IN_DESCRIPTION = (
    "Ends the call. Use when the caller is clearly done or says goodbye, or the "
    "conversation is complete; not when they ask to hold or to be transferred, or when it "
    "is unclear."
)
TOOL_NAME = "end_call"
DEFAULT_END_INSTRUCTIONS = "say goodbye to the user"  # EndCallTool's default
MAX_SOURCE = 1024 * 1024
_END_CALL_LIKE = re.compile(r"^(end_?call|hang_?up|end_the_call|finish_call)$", re.IGNORECASE)


def compose_description(extra: str) -> str:
    return STAND_IN_DESCRIPTION + (f"\n{extra}" if extra else "")


def extra_of(description: str) -> tuple[str, bool]:
    """(extra_description, whether the stand-in prefix was still there)."""
    if description.startswith(STAND_IN_DESCRIPTION):
        return description[len(STAND_IN_DESCRIPTION) :].lstrip("\n"), True
    return description, False


# -- reading Python source without running it ----------------------------------------------
@dataclass(frozen=True)
class Site:
    """Where a literal sits in the source, as character offsets."""

    start: int
    end: int


@dataclass
class SourceFacts:
    """What the source says, each value with the site of its literal (None: not a literal
    the console can rewrite)."""

    values: dict[str, Any]
    sites: dict[str, Site]
    call_end: int | None  # offset of the ')' closing EndCallTool(...): for new arguments
    notes: list[tuple[str, str, str]]  # (kind, where, message) for the report


class _Offsets:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = re.split(r"(?<=\r\n)|(?<=\n)|(?<=\r)(?!\n)", text)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def at(self, lineno: int, col_bytes: int) -> int:
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col_bytes].decode("utf-8"))

    def site(self, node: ast.AST) -> Site:
        return Site(
            self.at(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.at(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _constants(tree: ast.Module) -> dict[str, ast.Constant]:
    """Module-level NAME = "text" assigned exactly once."""
    seen: dict[str, list[ast.AST]] = {}
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                seen.setdefault(target.id, []).append(node.value)  # type: ignore[union-attr]
    return {
        name: values[0]
        for name, values in seen.items()
        if len(values) == 1 and isinstance(values[0], ast.Constant)
    }


def parse_source(text: str, name: str) -> SourceFacts:
    try:
        tree = ast.parse(text, filename=name)
    except SyntaxError as exc:
        line = f" (line {exc.lineno})" if exc.lineno else ""
        raise PlatformFileError([f"not valid Python: {exc.msg}{line}"], name) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise PlatformFileError([f"cannot read the Python source ({exc})"], name) from None
    off = _Offsets(text)
    consts = _constants(tree)
    facts = SourceFacts({}, {}, None, [])

    def literal(key: str, node: ast.AST, where: str) -> None:
        target = node
        if isinstance(node, ast.Name) and node.id in consts:
            target = consts[node.id]
            facts.notes.append(("note", where, f"read from the constant {node.id}"))
        if isinstance(target, ast.Constant) and (
            isinstance(target.value, str) or target.value is None
        ):
            facts.values[key] = target.value
            facts.sites[key] = off.site(target)
        elif isinstance(target, ast.Constant) and isinstance(target.value, bool):
            facts.values[key] = target.value
        else:
            facts.values[key] = MISSING
            facts.notes.append(
                (
                    "problem",
                    where,
                    "built when the agent runs (not a literal): the console does not run "
                    "your code, so this was not imported",
                )
            )

    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    tools = [c for c in calls if _call_name(c) == "EndCallTool"]
    if tools:
        tool = tools[0]
        facts.values["tool"] = True
        facts.call_end = off.site(tool).end - 1
        where = f"EndCallTool(...) line {tool.lineno}"
        for kw in tool.keywords:
            key = {"extra_instructions": "extra_description", "on_end": "end_instructions"}.get(
                kw.arg or "", kw.arg
            )
            if kw.arg in ("extra_instructions", "on_end"):
                facts.notes.append(
                    ("note", f"{where}: {kw.arg}", f"an older LiveKit name for {key}")
                )
            if key in ("extra_description", "end_instructions", "delete_room"):
                literal(key, kw.value, f"{where}: {kw.arg}")
            else:
                facts.notes.append(("not_mapped", f"{where}: {kw.arg}", "not an End Call setting"))
        for extra in tools[1:]:
            facts.notes.append(
                ("not_mapped", f"EndCallTool(...) line {extra.lineno}", "a second EndCallTool")
            )
    agent_calls = [
        c
        for c in calls
        if _call_name(c) == "Agent"
        or (_call_name(c) == "__init__" and any(k.arg == "instructions" for k in c.keywords))
    ]
    found_instructions = False
    for call in agent_calls:
        for kw in call.keywords:
            if kw.arg == "instructions":
                where = f"instructions= line {call.lineno}"
                if found_instructions:
                    facts.notes.append(
                        (
                            "not_mapped",
                            where,
                            "another agent's instructions: the console follows one agent",
                        )
                    )
                    continue
                found_instructions = True
                literal("instructions", kw.value, where)
    for call in calls:
        name = _call_name(call)
        if name == "say" and call.args and "greeting" not in facts.values:
            literal("greeting", call.args[0], f"say(...) line {call.lineno}")
        elif name == "generate_reply" and "generated_greeting" not in facts.values:
            facts.values["generated_greeting"] = True
            facts.notes.append(
                (
                    "note",
                    f"generate_reply(...) line {call.lineno}",
                    "the model makes up a line here; the console speaks agent.greeting (or "
                    "nothing) instead",
                )
            )
        elif name == "AgentSession":
            for kw in call.keywords:
                if kw.arg == "user_away_timeout":
                    facts.notes.append(
                        (
                            "not_mapped",
                            f"AgentSession(...) line {call.lineno}: user_away_timeout",
                            "marks the caller away after silence; hanging up then is your "
                            "code, not a setting",
                        )
                    )
    if not tools:
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            decorated = any("function_tool" in ast.unparse(d) for d in node.decorator_list)
            if decorated and _END_CALL_LIKE.match(node.name):
                facts.values["custom_tool"] = node.name
                facts.values["custom_doc"] = ast.get_docstring(node) or ""
                facts.notes.append(
                    (
                        "note",
                        f"def {node.name} line {node.lineno}",
                        "your own end-call function tool: what it does (goodbye, hang-up) "
                        "is your code; the console models it as its End Call action",
                    )
                )
                break
    return facts


def py_literal(value: str | None) -> str:
    """A Python literal for `value`, triple-quoted when it spans lines."""
    if value is None:
        return "None"
    if "\n" in value:
        body = value.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        if body.endswith('"'):
            body = body[:-1] + '\\"'
        candidate = f'"""{body}"""'
        try:
            if ast.literal_eval(candidate) == value:
                return candidate
        except (SyntaxError, ValueError):
            pass
    return repr(value)


class LiveKitAdapter:
    name = "livekit"
    title = "LiveKit"

    def read(self, files: list[Path]) -> Docs:
        if len(files) != 1:
            raise PlatformFileError(["a LiveKit agent is one Python file or one description"])
        path = files[0]
        if path.suffix.lower() == ".py":
            text = read_text(path, MAX_SOURCE)
            parse_source(text, path.name)  # refuse what cannot be parsed, now
            return {"code": {"text": text, "file": path.name}}
        data = read_data(path)
        if not isinstance(data, dict):
            raise PlatformFileError(
                [
                    "a LiveKit agent description is a mapping (instructions, greeting, "
                    f"end_call_tool), not {type(data).__name__}"
                ],
                path.name,
            )
        return {"agent": data}

    def template(self) -> Docs:
        return {
            "agent": {
                "instructions": "",
                "greeting": "",
                "end_call_tool": {
                    "extra_description": "",
                    "end_instructions": DEFAULT_END_INSTRUCTIONS,
                },
            }
        }

    def render(self, docs: Docs) -> dict[str, str]:
        if "code" in docs:
            return {docs["code"].get("file", "agent.py"): docs["code"]["text"]}
        text = yaml.safe_dump(docs["agent"], sort_keys=False, allow_unicode=True, width=100)
        return {"agent.yaml": text}

    def export_warnings(self, config: CallConfig) -> list[str]:
        action = config.end_call
        out = []
        if action.goodbye_message.strip():
            out.append(
                "end_call.goodbye_message: EndCallTool has no fixed goodbye (say it with "
                "session.say in your code); not exported"
            )
        if action.phrases:
            out.append("end_call.phrases: LiveKit has no end-call phrases; not exported")
        return out

    def import_docs(self, docs: Docs, source_file: str = "") -> Imported:
        if "code" in docs:
            return _import_code(docs, source_file)
        return _import_description(docs, source_file)

    def apply(self, base: Docs, changes: list[FieldChange]) -> Docs:
        if "code" not in base:
            return apply_changes(base, changes)
        code = dict(base["code"])
        code["text"] = _patch_source(code["text"], code.get("file", "agent.py"), changes)
        return {**base, "code": code}


def source_diff(old: str, new: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"{name} (imported)",
            f"{name} (from the console)",
        )
    )


def _patch_source(text: str, name: str, changes: list[FieldChange]) -> str:
    facts = parse_source(text, name)
    edits: list[tuple[int, int, str]] = []
    inserts: list[str] = []
    for change in changes:
        key = change.path
        if key in facts.sites:
            site = facts.sites[key]
            edits.append((site.start, site.end, py_literal(change.new)))
        elif key in ("extra_description", "end_instructions") and facts.call_end is not None:
            inserts.append(f"{key}={py_literal(change.new)}")
        else:
            raise PlatformFileError(
                [f"{key}: not a literal in {name}; change it in your code by hand"]
            )
    if inserts and facts.call_end is not None:
        before = text[: facts.call_end].rstrip()
        joiner = "" if before.endswith(("(", ",")) else ", "
        lead = " " if before.endswith(",") else ""
        edits.append((facts.call_end, facts.call_end, lead + joiner + ", ".join(inserts)))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise PlatformFileError(
            [f"the rewritten source does not parse ({exc.msg}); change it by hand"]
        ) from None
    return text


# -- import ---------------------------------------------------------------------------------
def _import_code(docs: Docs, source_file: str) -> Imported:
    code = docs["code"]
    name = code.get("file", source_file or "agent.py")
    facts = parse_source(code["text"], name)
    report = ImportReport("LiveKit", [source_file] if source_file else [])
    for kind, where, message in facts.notes:
        report.add(kind, where, message)  # type: ignore[arg-type]
    v = facts.values
    end_call: dict[str, Any] = {}
    agent: dict[str, Any] = {}
    platform: dict[str, Any] = {"name": "livekit", "source_file": source_file}
    bindings: list[Binding] = []

    def bind(key: str, value) -> None:
        bindings.append(Binding("code", key, value))

    instructions = v.get("instructions", MISSING)
    if isinstance(instructions, str):
        agent["main_prompt"] = instructions
        report.add("mapped", "instructions", "the agent's instructions", "agent.main_prompt")
        bind("instructions", _changed(lambda c: c.agent.main_prompt, instructions))
    elif "instructions" not in v:
        report.add("note", "instructions", "no instructions= found: the main prompt is empty")
    greeting = v.get("greeting", MISSING)
    if isinstance(greeting, str):
        agent["greeting"] = greeting
        report.add("mapped", "say(...)", "the first fixed line", "agent.greeting")
        bind("greeting", _changed(lambda c: c.agent.greeting, greeting))
    if v.get("tool"):
        _tool_settings(
            report,
            end_call,
            platform,
            v.get("extra_description", ""),
            v.get("end_instructions", DEFAULT_END_INSTRUCTIONS),
            "end_instructions" in v,
        )
        bindings.append(Binding("code", "tool", lambda c: KEEP, _tool_removed_warning))
        bindings.append(Binding("code", "tool", lambda c: KEEP, _end_call_tool_warning))
        extra0 = v.get("extra_description", "")
        if extra0 is not MISSING:
            bind("extra_description", _extra_value(extra0 or ""))
        end0 = v.get("end_instructions", DEFAULT_END_INSTRUCTIONS)
        if end0 is not MISSING:
            bind("end_instructions", _end_value(end0))
        if "delete_room" in v:
            report.add(
                "not_mapped",
                "EndCallTool(...): delete_room",
                f"{v['delete_room']}: whether LiveKit deletes the room; the console's line "
                "drops either way",
            )
    elif "custom_tool" in v:
        end_call["name"] = v["custom_tool"]
        end_call["description"] = v["custom_doc"]
        report.add("mapped", f"def {v['custom_tool']}", "its name", "end_call.name")
        report.add("mapped", f"def {v['custom_tool']}", "its docstring", "end_call.description")
        bindings.append(
            Binding(
                "code", "tool", lambda c: KEEP, _custom_warning(v["custom_tool"], v["custom_doc"])
            )
        )
    else:
        end_call["enabled"] = False
        report.add(
            "note",
            "EndCallTool",
            "no EndCallTool (nor an end_call function tool): the agent can never hang up by itself",
            "end_call.enabled",
        )
        bindings.append(Binding("code", "tool", lambda c: KEEP, _tool_added_warning))
    for key, getter in (
        ("instructions", lambda c: c.agent.main_prompt),
        ("greeting", lambda c: c.agent.greeting),
    ):
        if v.get(key, "") is MISSING or (key == "greeting" and key not in v):
            bindings.append(Binding("code", key, lambda c: KEEP, _by_hand(key, getter)))
    data = {"end_call": end_call, "agent": agent, "platform": platform}
    config = build_config(data, source_file)
    return Imported(config, report, bindings, docs)


def _tool_settings(
    report: ImportReport,
    end_call: dict[str, Any],
    platform: dict[str, Any],
    extra: Any,
    end_instructions: Any,
    has_end: bool,
) -> None:
    end_call["name"] = TOOL_NAME
    report.add("mapped", "EndCallTool", f"the tool, named '{TOOL_NAME}'", "end_call.name")
    if isinstance(extra, str) and extra.strip():
        end_call["description"] = compose_description(extra)
        report.add(
            "mapped",
            "EndCallTool: extra_description",
            "after a stand-in for LiveKit's own description",
            "end_call.description",
        )
    else:
        end_call["description"] = STAND_IN_DESCRIPTION
        platform["description_is_default"] = True
        report.add(
            "default",
            "EndCallTool: extra_description",
            "empty: LiveKit's own description only; the console stands in for it with "
            f"'{STAND_IN_DESCRIPTION}'",
            "end_call.description",
        )
    if end_instructions is None:
        end_call["skip_goodbye"] = True
        report.add(
            "mapped", "EndCallTool: end_instructions", "None: no goodbye", "end_call.skip_goodbye"
        )
    elif isinstance(end_instructions, str):
        end_call["goodbye_prompt"] = end_instructions
        if has_end:
            report.add(
                "mapped",
                "EndCallTool: end_instructions",
                "the model's goodbye instruction",
                "end_call.goodbye_prompt",
            )
        else:
            report.add(
                "default",
                "EndCallTool: end_instructions",
                f"LiveKit's default '{DEFAULT_END_INSTRUCTIONS}'",
                "end_call.goodbye_prompt",
            )


def _tool_removed_warning(c: CallConfig) -> str | None:
    if c.end_call.enabled:
        return None
    return "end_call.enabled is off: remove EndCallTool(...) from the agent's tools by hand"


def _end_call_tool_warning(c: CallConfig) -> str | None:
    out = []
    if c.end_call.name != TOOL_NAME:
        out.append(f"end_call.name: LiveKit's EndCallTool is always named '{TOOL_NAME}'")
    if not extra_of(c.end_call.description)[1]:
        out.append(
            "end_call.description no longer starts with the stand-in for LiveKit's own text: "
            "all of it is exported as extra_description, after LiveKit's own text"
        )
    return "; ".join(out) or None


def _custom_warning(name: str, doc: str):
    def warning(c: CallConfig) -> str | None:
        if c.end_call.name != name or c.end_call.description != doc or not c.end_call.enabled:
            return (
                f"the end-call tool is your own function '{name}': change its name, docstring "
                "or presence in your code by hand"
            )
        return None

    return warning


def _tool_added_warning(c: CallConfig) -> str | None:
    if not c.end_call.enabled:
        return None
    return (
        "end_call.enabled is on but the source has no EndCallTool: add "
        f"{describe_code_export(c)} to the agent's tools by hand"
    )


def _by_hand(key: str, getter):
    def warning(c: CallConfig) -> str | None:
        if getter(c):
            return f"{key}: not a literal in the source (or not there); set it by hand"
        return None

    return warning


def _changed(getter, original: str):
    def value(c: CallConfig) -> Any:
        new = getter(c)
        return KEEP if new == original else new

    return value


def _extra_value(original: str):
    def value(c: CallConfig) -> Any:
        extra, _ = extra_of(c.end_call.description)
        return KEEP if extra == original else extra

    return value


def _end_value(original: str | None):
    def value(c: CallConfig) -> Any:
        new = None if c.end_call.skip_goodbye else c.end_call.goodbye_prompt
        return KEEP if new == original else new

    return value


def _import_description(docs: Docs, source_file: str) -> Imported:
    data = docs["agent"]
    report = ImportReport("LiveKit", [source_file] if source_file else [])
    r = Reader(data, report, source=source_file)
    end_call: dict[str, Any] = {}
    agent: dict[str, Any] = {}
    platform: dict[str, Any] = {"name": "livekit", "source_file": source_file}
    bindings: list[Binding] = []
    instructions = r.text_keep_empty("instructions")
    if instructions is not None:
        agent["main_prompt"] = instructions
        report.add("mapped", "instructions", "imported", "agent.main_prompt")
    bindings.append(
        Binding(
            "agent",
            "instructions",
            text_value(lambda c: c.agent.main_prompt, r.raw("instructions")),
        )
    )
    greeting = r.text("greeting")
    if greeting:
        agent["greeting"] = greeting
        report.add("mapped", "greeting", "imported", "agent.greeting")
    bindings.append(
        Binding("agent", "greeting", text_value(lambda c: c.agent.greeting, r.raw("greeting")))
    )
    tool = r.obj("end_call_tool")
    if tool is not None:
        extra = r.text_keep_empty("end_call_tool.extra_description") or ""
        has_end = "end_instructions" in tool
        end = r.text_keep_empty("end_call_tool.end_instructions") if has_end else None
        end_value = end if has_end else DEFAULT_END_INSTRUCTIONS
        _tool_settings(report, end_call, platform, extra, end_value, has_end)
        raw_extra = r.raw("end_call_tool.extra_description")

        def extra_value(c: CallConfig) -> Any:
            new, _ = extra_of(c.end_call.description)
            if new == "" and (raw_extra is MISSING or raw_extra is None or raw_extra == ""):
                return KEEP
            return new

        bindings.append(Binding("agent", "end_call_tool.extra_description", extra_value))

        def end_instructions_value(c: CallConfig) -> Any:
            new = None if c.end_call.skip_goodbye else c.end_call.goodbye_prompt
            if not has_end and new == DEFAULT_END_INSTRUCTIONS:
                return KEEP
            return new

        bindings.append(Binding("agent", "end_call_tool.end_instructions", end_instructions_value))
        room = r.boolean("end_call_tool.delete_room")
        if room is not None:
            report.add(
                "not_mapped",
                "end_call_tool.delete_room",
                f"{room}: whether LiveKit deletes the room; the console's line drops either way",
            )
        r.rest(
            tool,
            "end_call_tool",
            {"extra_description", "end_instructions", "delete_room"},
            {},
        )
        bindings.append(
            Binding(
                "agent",
                "end_call_tool",
                lambda c: KEEP if c.end_call.enabled else None,
                _end_call_tool_warning,
            )
        )
    else:
        if "end_call_tool" in data and data["end_call_tool"] is not None:
            r._wrong("end_call_tool", "a mapping or null", data["end_call_tool"])
        end_call["enabled"] = False
        report.add(
            "note",
            "end_call_tool",
            "no EndCallTool: the agent can never hang up by itself",
            "end_call.enabled",
        )

        def new_tool(c: CallConfig) -> Any:
            if not c.end_call.enabled:
                return KEEP
            return {
                "extra_description": extra_of(c.end_call.description)[0],
                "end_instructions": None if c.end_call.skip_goodbye else c.end_call.goodbye_prompt,
            }

        bindings.append(Binding("agent", "end_call_tool", new_tool))
    r.rest(data, "", {"instructions", "greeting", "end_call_tool"}, {})
    r.finish()
    config = build_config({"end_call": end_call, "agent": agent, "platform": platform}, source_file)
    return Imported(config, report, bindings, docs)


def describe_code_export(config: CallConfig) -> str:
    """The EndCallTool(...) call for the config: a snippet to paste where there is none."""
    extra, _ = extra_of(config.end_call.description)
    end = None if config.end_call.skip_goodbye else config.end_call.goodbye_prompt
    return f"EndCallTool(extra_description={py_literal(extra)}, end_instructions={py_literal(end)})"
