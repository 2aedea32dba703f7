"""Fixtures of each platform's agent files (written for these tests) and small helpers."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

FIXTURES = Path(__file__).parent / "fixtures"

# (platform, files): every shape the import handles.
CASES = [
    ("vapi", ["vapi_new.json"]),
    ("vapi", ["vapi_old_flag.json"]),
    ("vapi", ["vapi_old_functions.json"]),
    ("vapi", ["vapi_toolids.json"]),
    ("vapi", ["vapi_phrases_only.json"]),
    ("retell", ["retell_agent.json", "retell_llm.json"]),
    ("retell", ["retell_llm.json", "retell_agent.json"]),
    ("retell", ["retell_agent.json"]),
    ("retell", ["retell_llm.json"]),
    ("retell", ["retell_embedded.json"]),
    ("retell", ["retell_llm_silent.json"]),
    ("elevenlabs", ["elevenlabs_full.json"]),
    ("elevenlabs", ["elevenlabs_partial.json"]),
    ("elevenlabs", ["elevenlabs_empty_prompt.json"]),
    ("elevenlabs", ["elevenlabs_tools_list.json"]),
    ("livekit", ["livekit_agent.py"]),
    ("livekit", ["livekit_no_goodbye.py"]),
    ("livekit", ["livekit_custom_tool.py"]),
    ("livekit", ["livekit_agent.yaml"]),
]


def case_id(case: tuple[str, list[str]]) -> str:
    return "+".join(Path(n).stem for n in case[1])


def files(names: list[str]) -> list[Path]:
    return [FIXTURES / n for n in names]


def parse_output(name: str, text: str):
    """An exported file's data: JSON, YAML, or (Python) the text itself."""
    if name.endswith(".json"):
        return json.loads(text)
    if name.endswith((".yaml", ".yml")):
        return yaml.safe_load(text)
    return text
