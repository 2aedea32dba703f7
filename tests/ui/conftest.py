"""GUI tests: real Qt widgets, offscreen unless a display (Xvfb) is given."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Settings and the remembered config go to a throw-away home, not the tester's.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="endcall-ui-config-")

from console.core.config import ConfigStore, parse_config

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

PROMPT = (
    '1. Ask "Are you ready to move forward?"\n'
    '   - If the contact responds no, call end_call and say "Thanks for your time."\n'
    '   - If the contact responds yes, say "Great." and go to step 2.\n'
    '2. Ask "Anything else?"\n'
)


@pytest.fixture
def store() -> ConfigStore:
    return ConfigStore(
        parse_config(
            {
                "agent": {
                    "name": "Sam",
                    "main_prompt": PROMPT,
                    "turn_taking": {"response_delay_ms": 0, "drop_guard_ms": 100},
                },
            }
        )
    )


@pytest.fixture
def window(qtbot, store, tmp_path):
    from console.ui.main_window import TYPED_ONLY, MainWindow

    w = MainWindow(store=store, sessions_dir=tmp_path / "sessions", load_model=False)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.input_combo.setCurrentIndex(w.input_combo.findText(TYPED_ONLY))
    w.show()
    yield w
    if w.call is not None:
        w.call.close()


def screenshot(widget, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


def live_sound(window, lane: str) -> float:
    """The loudest sample drawn so far in a lane's waveform (0.0 when none is drawn)."""
    envelope = window.timeline.waveforms.get(lane)
    return float(envelope.hi.max()) if envelope is not None and len(envelope.hi) else 0.0
