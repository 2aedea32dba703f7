"""A session's facts (its session.json) as rows a person reads: "Devices, input" ->
"pulse:virtual_mic", never a Python dict. Used by the HTML and Markdown reports.

Values are plain text here; each report escapes them for its own format.
"""

from __future__ import annotations

from typing import Any

# session.json keys in the order a bug report wants them, with their labels.
LABELS = {
    "name": "Name",
    "scenario": "Scenario",
    "scenario_file": "Scenario file",
    "created": "Started (UTC)",
    "duration_s": "Duration (s)",
    "drop_reason": "Ended by",
    "status": "Status",
    "agent_backend": "Agent backend",
    "platform": "Platform",
    "imported_from": "Imported from",
    "mode": "Mode",
    "devices": "Devices",
    "models": "Models",
    "app_version": "App version",
    "os": "OS",
    "python": "Python",
    "clock": "Clock",
}
HIDDEN = {"pid", "bug", "app"}  # bookkeeping, or shown elsewhere (the bug note on top)
MAX_DEPTH = 3  # deeper than this a value is summarised in one cell


def fact_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for every fact worth reading; a mapping becomes one row per key
    ("Devices, input"), a list one comma-separated cell."""
    keys = [k for k in LABELS if k in meta] + [
        k for k in meta if k not in LABELS and k not in HIDDEN
    ]
    rows: list[tuple[str, str]] = []
    for key in keys:
        _rows(label(key), meta[key], rows, 1)
    return rows


def label(key: object) -> str:
    text = str(key)
    return LABELS.get(text) or text.replace("_", " ").strip().capitalize() or "(empty)"


def _rows(name: str, value: Any, out: list[tuple[str, str]], depth: int) -> None:
    if isinstance(value, dict) and value and depth < MAX_DEPTH:
        for key, inner in value.items():
            _rows(f"{name}, {str(key).replace('_', ' ')}", inner, out, depth + 1)
        return
    out.append((name, readable(value)))


def readable(value: Any) -> str:
    """One value in words: yes/no, none, numbers as written, lists joined by commas,
    a mapping as "key: value; key: value"."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        if not value:
            return "none"
        return "; ".join(f"{str(k).replace('_', ' ')}: {readable(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(readable(v) for v in value) if value else "none"
    return str(value)
