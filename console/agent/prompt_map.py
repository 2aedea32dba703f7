"""The prompt map: for every line of a config's prompts, what the offline agent made of it.

A tester who pastes a production prompt needs to see which lines the agent follows and
how (a step, a rule, an objection answer, an end trigger, a "not an end" rule, an
example, a phrase list), and which lines it could not use (ignored), instead of finding
out from a misleading call. The same map is printed by `endcall-console lint --explain`
and shown beside the text in the window's Main prompt tab; lines that read like
instructions but became nothing are also the `prompt_not_understood` lint.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from console.agent.goodbye import goodbye_from_prompt
from console.agent.matching import description_triggers
from console.agent.prompt import (
    R_CONTEXT,
    R_END,
    R_IGNORED,
    R_NOT_END,
    R_SECTION,
    MapEntry,
    ParsedPrompt,
    parse_prompt,
)
from console.core.config import CallConfig

__all__ = ["ConfigMap", "MapEntry", "config_map", "format_map", "not_understood", "prompt_map"]


@dataclass(frozen=True)
class ConfigMap:
    mode: str  # how the agent follows the main prompt, in words
    prompt: tuple[MapEntry, ...]  # one per non-blank line of the main prompt
    description: tuple[MapEntry, ...]  # one per part of the End Call description
    goodbye: str  # how the goodbye prompt is read


def prompt_map(prompt: str, action_name: str = "") -> tuple[MapEntry, ...]:
    """What the offline agent understood of each non-blank line of `prompt`."""
    return parse_prompt(prompt, action_name).entries


def not_understood(entries: tuple[MapEntry, ...]) -> list[MapEntry]:
    """Lines that read like instructions but became no step, rule or line (or a step with
    nothing to say)."""
    return [e for e in entries if (e.role == R_IGNORED or e.unclear) and e.instruction_like]


def _mode(parsed: ParsedPrompt) -> str:
    steps = len(parsed.steps)
    rules = len([r for r in parsed.rules if not r.not_end])
    if parsed.explicit_script:
        how = f"a numbered script of {steps} step{'s' if steps != 1 else ''}"
    elif steps:
        how = (
            f"a conversation: {steps} instruction{'s' if steps != 1 else ''} said in order, then "
            "it goes on until an end condition"
        )
    else:
        how = "a conversation that goes on until an end condition"
    extra = f"; {rules} rule{'s' if rules != 1 else ''} outside the steps" if rules else ""
    return how + extra


def _description_entries(description: str) -> tuple[MapEntry, ...]:
    out = []
    for part in description_triggers(description).parts:
        if part.cond is None:
            role, detail = (
                (R_SECTION, "list of conditions follows")
                if part.text.rstrip().endswith(":")
                else (R_CONTEXT, "what the action does: no condition in it")
            )
        elif not part.cond.understood:
            role, detail = R_IGNORED, "a condition the agent cannot hear"
        elif part.end:
            role, detail = R_END, f"ends the call on: {part.cond.describe()}"
        else:
            role, detail = R_NOT_END, f"never ends the call on: {part.cond.describe()}"
        out.append(MapEntry(part.line, role, detail, part.text, role == R_IGNORED, True))
    return tuple(out)


def config_map(config: CallConfig) -> ConfigMap:
    parsed = parse_prompt(config.agent.main_prompt, config.end_call.name)
    gp = config.end_call.goodbye_prompt.strip()
    if config.end_call.skip_goodbye:
        goodbye = "skip goodbye is on: no goodbye is said"
    elif gp:
        line = goodbye_from_prompt(gp)
        goodbye = f'"{line.text}" ({line.detail})'
    else:
        goodbye = (
            "empty: the goodbye is the line of the rule that ends the call, else the prompt's "
            "closing line"
            + (f' ("{parsed.closing[0]}", line {parsed.closing[1]})' if parsed.closing else "")
            + ", else a polite default"
        )
    return ConfigMap(
        _mode(parsed), parsed.entries, _description_entries(config.end_call.description), goodbye
    )


def _rows(entries: tuple[MapEntry, ...], width: int) -> list[str]:
    lines = []
    for e in entries:
        text = e.text if len(e.text) <= width - 24 else e.text[: width - 27] + "..."
        lines.append(f"  {e.line:>4}  {e.role:<16}  {text}")
        for piece in textwrap.wrap(e.detail, width - 26) or [""]:
            lines.append(f"  {'':>4}  {'':<16}  -> {piece}" if piece else "")
            break
        rest = textwrap.wrap(e.detail, width - 26)[1:]
        lines += [f"  {'':>4}  {'':<16}     {piece}" for piece in rest]
    return lines


def format_map(cmap: ConfigMap, width: int = 100) -> str:
    """The map as text for a terminal: line, role, the line as written, what it became."""
    out = [f"main prompt: {cmap.mode}"]
    out += _rows(cmap.prompt, width) or ["  (empty)"]
    out.append("End Call description:")
    out += _rows(cmap.description, width) or ["  (empty: no end-of-call trigger)"]
    out += textwrap.wrap(f"goodbye prompt: {cmap.goodbye}", width, subsequent_indent="  ")
    missing = not_understood(cmap.prompt)
    if missing:
        lines = ", ".join(str(e.line) for e in missing)
        out.append(f"not understood: line{'s' if len(missing) > 1 else ''} {lines}")
    return "\n".join(out)
