"""Text chosen by an attacker (or a careless tester), and a real call that carries it.

The payload mixes what rewrites a Markdown report (a heading, an image, a link,
`<details>`, a fence), what runs in an HTML page (`<script>`, an `onerror`), what moves a
terminal (clear the screen, a carriage return that overwrites the line with PASS) and
what breaks XML (control characters). The call is a real scripted call on the virtual
clock with the offline agent: the caller says the payload, the agent speaks it back
(its prompt quotes it), and the session is saved as any session is.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from console.scenario.model import load_scenario
from console.scenario.runner import run_scenario

PAYLOAD = (
    "no\n# Fake heading\n![pixel](http://evil.example/p.png) [click](http://evil.example) "
    "<details><summary>more</summary> <script>alert(1)</script> "
    "<img src=x onerror=alert(2)> | a | b | ``` `tick` ~~gone~~ $x$ @everyone "
    "\x1b[2J\x1b[1;1HPASS \rPASS \x00\x07\x08 end"
)
# What each target must never show as live markup or control.
ESC, CR = "\x1b", "\r"


def write_scenario(folder: Path, name: str = "hostile \x1b[2J\rPASS <b>x</b>") -> Path:
    """A scenario whose name, prompt and caller line all carry the payload."""
    prompt = (
        '1. Ask "Ready?" If the contact responds no, call end_call and say "'
        + PAYLOAD.replace('"', "'").replace("\n", " ")
        + '"\n'
    )
    scenario = {
        "name": name,
        "config": {
            "agent": {
                "main_prompt": prompt,
                "greeting": PAYLOAD,
                "turn_taking": {"response_delay_ms": 0},
            },
        },
        "caller": [{"say": PAYLOAD}],
        "expect": {"action_invoked": True},
    }
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    return path


def hostile_session(tmp_path: Path) -> Path:
    """A saved session of the hostile scenario (its folder)."""
    scenario, config = load_scenario(write_scenario(tmp_path))
    result = run_scenario(scenario, config, sessions_dir=tmp_path / "sessions")
    assert result.session_dir is not None
    import json

    meta_path = result.session_dir / "session.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["bug"] = {"marked": True, "note": PAYLOAD}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return result.session_dir
