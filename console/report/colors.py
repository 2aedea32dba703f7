"""The timeline's colours: one table for the app, the text report and exported reports.

Chosen to stay readable on light and dark backgrounds (mid-tone fills with a darker
edge) and to be told apart by people with the common colour-vision deficiencies
(blue/orange/purple/teal rather than red/green pairs).
"""

from __future__ import annotations

LANES = ("line", "caller", "agent", "goodbye", "action", "model", "config", "notes")

LANE_TITLES = {
    "line": "Line",
    "caller": "Caller",
    "agent": "Agent",
    "goodbye": "Goodbye",
    "action": "End Call",
    "model": "Model",
    "config": "Config",
    "notes": "Warnings",
}

# (fill, edge) as hex RGB.
COLORS = {
    "line": ("#6b7f99", "#3d4a5c"),
    "caller": ("#3f8fd2", "#1f5f99"),
    "agent": ("#9a6fc4", "#6a4294"),
    "goodbye": ("#e39b2d", "#a86a0c"),
    "action": ("#d6455d", "#9b1f35"),
    "config": ("#2aa198", "#17706a"),
    "model": ("#5b8c5a", "#3a5f39"),
    "notes": ("#c9a227", "#8a6d0f"),
    "latency": ("#808080", "#505050"),
    "cut": ("#000000", "#000000"),
}
