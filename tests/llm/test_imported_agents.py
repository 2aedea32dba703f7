"""Agents imported from each platform, answered by a real model (llama.cpp's server with
Gemma 3 270M): the imported prompt, tool name and description reach the model, and the
run reports what it did. The small model's choices are its own; the test checks the
plumbing and the honest report, not the model's judgement."""

from __future__ import annotations

import pytest

from console.cli import main
from tests.llm.server import MODEL_ALIAS
from tests.platforms.test_scenarios import imported, scenario

PLATFORMS = [
    ("vapi", ("vapi_new.json",), "endCall"),
    ("retell", ("retell_agent.json", "retell_llm.json"), None),
    ("elevenlabs", ("elevenlabs_full.json",), None),
    ("livekit", ("livekit_agent.py",), None),
]


@pytest.mark.parametrize("platform,files,tool", PLATFORMS, ids=[p[0] for p in PLATFORMS])
def test_an_imported_agent_runs_against_a_real_model(
    platform, files, tool, llama, proxy, tmp_path, capsys
):
    config = imported(tmp_path, platform, *files)
    path = scenario(tmp_path, config, [{"say": "No thanks, goodbye."}], {})
    code = main(
        ["run", str(path), "--llm", proxy.url, "--llm-model", MODEL_ALIAS, "--no-save", "-q"]
    )
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert f"agent: {MODEL_ALIAS}" in out and "could not be read" not in out
    offered = [r for r in proxy.requests if r.get("tools")]
    assert offered, "the model was never offered the End Call tool"
    name = offered[0]["tools"][0]["function"]["name"]
    if tool is not None:
        assert name == tool  # the platform's own tool name reaches the model
    system = offered[0]["messages"][0]
    assert system["role"] == "system" and len(system["content"]) > 40  # the imported prompt
