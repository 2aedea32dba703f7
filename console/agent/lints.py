"""The config lints of the semantics doc, shown before and during a call: all of them
gathered here (hangup_lints.py and voicemail_lints.py hold two families of them).

`lint_data` takes raw data (what a tester typed or a file held), so an invalid field is
itself a lint (an error: the edit is not applied). `lint_config` checks a valid config
for the ways an End Call setup misleads an agent.
"""

from __future__ import annotations

import re
from typing import Any

from console.agent.hangup_lints import platform_lints
from console.agent.lint_record import ERROR, INFO, WARNING, Lint
from console.agent.matching import description_triggers
from console.agent.prompt import parse_prompt
from console.agent.prompt_actions import end_like
from console.agent.prompt_map import not_understood
from console.agent.voicemail_lints import voicemail_lints
from console.core.config import CallConfig, ConfigError, parse_config
from console.core.text_variables import call_variables


def lint_data(data: Any) -> tuple[CallConfig | None, list[Lint]]:
    """Every problem of the data: each invalid field (an error), then every lint of the
    rest of the config, checked with the defaults in place of the invalid fields (so one
    typo never hides the warnings about everything else). The config is None when a
    field is invalid."""
    try:
        config = parse_config(data)
    except ConfigError as exc:
        invalid = [Lint("invalid_field", ERROR, p.field, p.message) for p in exc.problems]
        return None, invalid + _lints_of_the_rest(data, exc)
    return config, lint_config(config)


def _lints_of_the_rest(data: Any, exc: ConfigError) -> list[Lint]:
    """Lints of the config with its invalid fields left out (defaults in their place);
    none when the data is not a mapping or cannot be made valid that way."""
    import copy

    if not isinstance(data, dict):
        return []
    rest = copy.deepcopy(data)
    dropped: list[str] = []
    for _ in range(8):  # a fix can uncover a check that only runs once fields are valid
        paths = [p.field for p in exc.problems]
        if not paths or not all(_drop_field(rest, path) for path in paths):
            return []
        dropped += [p for p in paths if p not in dropped]
        try:
            config = parse_config(rest)
            break
        except ConfigError as again:
            exc = again
    else:
        return []
    # A lint about a left-out field, or one quoting the default that stands in for it
    # ("the action is named 'end_call'"), would describe a config the tester never wrote.
    stand_ins = [f"'{v}'" for v in (_value_at(config, d) for d in dropped) if isinstance(v, str)]
    lints = [
        lint
        for lint in lint_config(config)
        if not any(lint.field == d or lint.field.startswith(d + ".") for d in dropped)
        and not any(quoted in lint.message for quoted in stand_ins if quoted != "''")
    ]
    note = Lint(
        "checked_with_defaults",
        INFO,
        "config",
        "the other checks ran with the defaults in place of the invalid "
        + ("field " if len(dropped) == 1 else "fields ")
        + ", ".join(dropped),
    )
    return [note, *lints]


def _value_at(config: CallConfig, path: str) -> Any:
    node: Any = config
    for part in path.split("."):
        node = getattr(node, part, None)
    return node


def _drop_field(data: dict, path: str) -> bool:
    """Remove the field at a dotted path (a list with a bad item goes as a whole); False
    if there is nothing there to remove."""
    parts = path.split(".") if path else []
    node: Any = data
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            return False
        if i == len(parts) - 1 or isinstance(node[part], list):
            del node[part]
            return True
        node = node[part]
    return False


def lint_config(config: CallConfig) -> list[Lint]:
    out: list[Lint] = []
    action = config.end_call
    name = action.name
    prompt_text = config.agent.main_prompt
    prompt = parse_prompt(prompt_text, name)

    mentioned = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", prompt_text) is not None
    if not mentioned and action.enabled:  # End Call off: a platform lint says so instead
        out.append(
            Lint(
                "prompt_missing_action",
                WARNING,
                "agent.main_prompt",
                f"the main prompt never mentions '{name}': without being told when to end the "
                "call the agent may hesitate or end calls inconsistently. Add a rule such as: "
                f'If the contact responds no, call {name} and say "Thanks for your time."',
            )
        )
    others: dict[str, int] = {}
    for ref in prompt.refs:
        # Only a name used to end the call: "use the transfer_call tool" is another tool.
        ending = ref.ending or end_like(ref.name)
        if ref.explicit and ref.name and ref.name != name and ending:
            others.setdefault(ref.name, ref.line)
    for other, line in others.items():
        out.append(
            Lint(
                "prompt_other_action",
                WARNING,
                "agent.main_prompt",
                f"the main prompt asks for '{other}' but the End Call action is named '{name}': "
                f"the agent cannot invoke '{other}', so the call does not end there. Rename the "
                "action or the reference.",
                line,
            )
        )
    if not action.description.strip():
        out.append(
            Lint(
                "empty_description",
                WARNING,
                "end_call.description",
                "the description is empty: an LLM is not told when to use the action, and the "
                "offline agent derives no end-of-call triggers from it",
            )
        )
    elif not description_triggers(action.description).ends:
        out.append(
            Lint(
                "description_no_triggers",
                INFO,
                "end_call.description",
                "the offline agent finds no end-of-call trigger in the description (goodbye, not "
                "interested, conversation complete, wrong number, do not call, voicemail, or a "
                '"quoted phrase")',
            )
        )
    if action.skip_goodbye and action.goodbye_prompt.strip():
        out.append(
            Lint(
                "skip_with_goodbye_prompt",
                WARNING,
                "end_call.goodbye_prompt",
                "Skip Goodbye Message is on, so the Goodbye Message Prompt is ignored",
            )
        )
    if action.skip_goodbye:
        for ref in prompt.refs:
            if ref.says and ref.ending and (ref.name == name or not ref.name):
                out.append(
                    Lint(
                        "skip_with_goodbye_in_prompt",
                        WARNING,
                        "end_call.skip_goodbye",
                        f"Skip Goodbye Message is on, but the prompt asks the agent to say "
                        f'"{ref.says}" when it ends the call: it will not be said',
                        ref.line,
                    )
                )
        if prompt.closing:
            out.append(
                Lint(
                    "skip_with_goodbye_in_prompt",
                    WARNING,
                    "end_call.skip_goodbye",
                    "Skip Goodbye Message is on, but the prompt's closing line "
                    f'"{prompt.closing[0]}" will not be said',
                    prompt.closing[1],
                )
            )
    for entry in not_understood(prompt.entries):
        text = entry.text if len(entry.text) <= 90 else entry.text[:87] + "..."
        if entry.unclear:
            # A step (or rule) came of the line, but its instruction gave nothing to say.
            became = "; ".join(
                p for p in entry.detail.split("; ") if not p.startswith("not understood")
            )
            message = (
                f'"{text}" reads like an instruction, but the offline agent could not turn it '
                f'into words to say ({became}). Write the line in quotes, e.g. Ask "..."'
            )
        else:
            why = "" if entry.detail.startswith("not understood") else f" ({entry.detail})"
            message = (
                f'"{text}" reads like an instruction, but the offline agent made no step, rule '
                f"or line of it{why}. Write it as a rule it can follow, e.g. If the caller says "
                f'..., say "..." and call {name}'
            )
        out.append(
            Lint(
                "prompt_not_understood",
                WARNING if entry.about_ending else INFO,
                "agent.main_prompt",
                message,
                entry.line,
            )
        )
    known = call_variables(config)
    texts = {
        "agent.main_prompt": prompt_text,
        "agent.greeting": config.agent.greeting,
        "end_call.goodbye_prompt": action.goodbye_prompt,
    }
    for field_name, text in texts.items():
        missing = sorted({m for m in re.findall(r"\{(\w+)\}", text) if m not in known})
        if missing:
            out.append(
                Lint(
                    "unknown_variable",
                    WARNING,
                    field_name,
                    "no value for "
                    + ", ".join("{" + m + "}" for m in missing)
                    + ": it is spoken as written; set it under agent.variables",
                )
            )
    # The platforms' hang-up features (end-call phrases, a fixed goodbye, an imported
    # agent's pitfalls) and answered-by detection: families of their own.
    out += platform_lints(config)
    out += voicemail_lints(config)
    return out


def has_errors(lints: list[Lint]) -> bool:
    return any(lint.severity == ERROR for lint in lints)
