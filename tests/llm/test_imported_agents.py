"""Agents imported from each platform, answered by a real model (llama.cpp's server with
Gemma 3 270M): the imported prompt is the system message word for word, the platform's
own tool name and the scenario's ending reach the model, and the model's tool call under
that name ends the call at the turn it was asked for. The small model almost never picks
a tool by itself, so the test proxy asks for it on the ending line (tool_choice): what is
tested is the plumbing from the platform's file to the model and back, not its judgement.
"""

from __future__ import annotations

import pytest

from console.cli import main
from console.core.config import load_config
from console.core.text_variables import fill_for
from tests.llm.server import MODEL_ALIAS
from tests.platforms.test_scenarios import imported, scenario

ENDING = "No thanks, goodbye."
PLATFORMS = [
    ("vapi", ("vapi_new.json",), "endCall"),
    ("retell", ("retell_agent.json", "retell_llm.json"), "end_call"),
    ("retell", ("retell_embedded.json",), "hang_up"),  # the LLM inside the agent file
    ("elevenlabs", ("elevenlabs_full.json",), "end_call"),
    ("livekit", ("livekit_agent.py",), "end_call"),
]


@pytest.mark.parametrize(
    "platform,files,tool",
    PLATFORMS,
    ids=["vapi", "retell", "retell-embedded", "elevenlabs", "livekit"],
)
def test_an_imported_agent_runs_against_a_real_model(
    platform, files, tool, llama, proxy, tmp_path, capsys
):
    config = imported(tmp_path, platform, *files)
    path = scenario(
        tmp_path,
        config,
        [{"say": "Hello?"}, {"say": ENDING}],
        {"action_invoked": True, "action_turn": 2},
    )
    proxy.ending_lines.add(ENDING)
    code = main(
        ["run", str(path), "--llm", proxy.url, "--llm-model", MODEL_ALIAS, "--no-save", "-q"]
    )
    out = capsys.readouterr().out
    assert code == 0, out  # the action fired at turn 2, under the platform's tool name
    assert f"agent: {MODEL_ALIAS}" in out and "could not be read" not in out
    offered = [r for r in proxy.requests if r.get("tools")]
    assert offered, "the model was never offered the End Call tool"
    assert {r["tools"][0]["function"]["name"] for r in offered} == {tool}
    forced = [r for r in offered if r.get("tool_choice")]
    assert [r["messages"][-1]["content"] for r in forced] == [ENDING]
    loaded = load_config(config)
    # Word for word, with the platform's {{variables}} filled from its defaults (Retell's
    # {{customer_name}}): a model never sees the placeholder.
    prompt = fill_for(loaded, loaded.agent.main_prompt)
    assert "{{" not in prompt
    assert all(r["messages"][0] == {"role": "system", "content": prompt} for r in offered)
