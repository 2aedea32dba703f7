"""The End Call action as the tool an LLM receives: built from the config at each turn."""

from __future__ import annotations

from typing import Any

from console.core.config import EndCallAction


def tool_definition(action: EndCallAction) -> dict[str, Any]:
    """OpenAI-style function tool: the configured name and description, and a reason."""
    return {
        "type": "function",
        "function": {
            "name": action.name,
            "description": action.description,
            "parameters": {
                "type": "object",
                "properties": {
                    "reason": {
                        "type": "string",
                        "description": "Why the call is ending, in a few words.",
                    }
                },
                "required": ["reason"],
            },
        },
    }
