"""The `{variables}` a config's texts may hold, and filling them in.

A platform's agent is written with placeholders (`{{customer_name}}` in Retell and Vapi,
`{agent_name}` in the console's own examples); the config's `agent.variables` give them
values. Every text the agent speaks or is instructed with passes here: the offline agent's
lines, the LLM agent's system prompt, greeting and goodbye instruction, the fixed End Call
message and the voicemail message. One place, so no path sends a model, or a caller, the
raw `{{customer_name}}`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.core.config import CallConfig

_DOUBLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_SINGLE = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


def call_variables(config: CallConfig) -> dict[str, str]:
    """The values a call fills in: `agent_name`, then the config's own variables."""
    return {"agent_name": config.agent.name, **config.agent.variables}


def fill(text: str, variables: dict[str, str]) -> str:
    """Fill {name} and {{name}} placeholders that have a value; leave the others as written
    (a tester sees which one had no value)."""
    text = _DOUBLE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)
    return _SINGLE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def fill_for(config: CallConfig, text: str) -> str:
    """`text` with the call's variables filled in."""
    return fill(text, call_variables(config))
