"""The End Call action as the tool an LLM receives: built from the config at each turn.

Its parameters are the platform's: a `reason` always, and for an agent imported from
ElevenLabs also the optional `message`, the farewell its end_call tool lets the model
write (the console speaks it as the goodbye).
"""

from __future__ import annotations

from typing import Any

from console.core.config import CallConfig


def offers_message(config: CallConfig) -> bool:
    """The tool takes a farewell `message` (ElevenLabs' end_call system tool does)."""
    return config.platform is not None and config.platform.name == "elevenlabs"


def tool_definition(config: CallConfig) -> dict[str, Any]:
    """OpenAI-style function tool: the configured name and description, and a reason."""
    action = config.end_call
    properties: dict[str, Any] = {
        "reason": {
            "type": "string",
            "description": "Why the call is ending, in a few words.",
        }
    }
    if offers_message(config):
        properties["message"] = {
            "type": "string",
            "description": "What to say to the contact as the call ends (optional).",
        }
    return {
        "type": "function",
        "function": {
            "name": action.name,
            "description": action.description,
            "parameters": {"type": "object", "properties": properties, "required": ["reason"]},
        },
    }
