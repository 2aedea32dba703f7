"""The scenario runner with a model behind the call: chosen in the scenario file itself,
its real latency on the virtual timeline, and its failures failing the scenario (with a
reason) while the run goes on. The model is the scripted chat-completions server on
127.0.0.1 (tests/agent/fake_llm.py): a real server cannot be made slow or broken on cue.
"""

from __future__ import annotations

import threading
from pathlib import Path

import yaml

from console.cli import main
from console.core import events as ev
from console.core.agent_port import AgentRequest, Emit
from console.core.config import CallConfig, parse_config
from console.scenario import runner
from console.scenario.model import Scenario, load_scenario
from console.scenario.runner import run_scenario
from tests.agent.fake_llm import FakeLLM, Reply

PROMPT = "You are Sam from Acme Solar. Ask whether the contact is ready to move forward."


def scenario_file(folder: Path, name: str, llm: FakeLLM, says: list[str]) -> Path:
    """A scenario whose own `agent:` section puts the model behind it."""
    path = folder / f"{name}.yaml"
    data = {
        "name": name,
        "config": {"agent": {"main_prompt": PROMPT, "greeting": "Hi, this is Sam."}},
        "agent": {"kind": "llm", "llm": {"base_url": llm.url, "model": "tiny-model"}},
        "caller": [{"say": line} for line in says],
        "hang_up_after": 1.0,
    }
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_scenario_files_agent_section_asks_the_model_and_its_latency_is_on_the_timeline(
    llm, tmp_path
):
    llm.replies.put(Reply(text="Great, let us move on.", delay_s=1.0))
    scenario, config = load_scenario(scenario_file(tmp_path, "model", llm, ["Yes, I am ready."]))
    assert config.agent.backend.kind == "llm"
    result = run_scenario(scenario, config)
    assert [r["model"] for r in llm.requests] == ["tiny-model"]
    assert llm.requests[0]["messages"][0] == {"role": "system", "content": PROMPT}
    caller = next(e for e in result.events if isinstance(e, ev.CallerSpeech))
    answer = next(
        e for e in result.events if isinstance(e, ev.AgentSpeech) and e.turn == caller.turn
    )
    assert answer.text == "Great, let us move on."
    # The model took a second of real time; the virtual clock followed it meanwhile.
    assert answer.start - caller.end >= 1.0, (caller.end, answer.start)
    assert result.passed, result.failures


def test_a_model_answering_garbage_fails_its_scenario_with_a_reason_and_the_run_goes_on(
    llm, tmp_path, capsys
):
    llm.replies.put(Reply(garbage=True))  # the first scenario's only request
    llm.replies.put(Reply(text="Sure thing."))
    broken = scenario_file(tmp_path, "garbage", llm, ["Hello?"])
    fine = scenario_file(tmp_path, "fine", llm, ["Hello?"])
    code = main(["run", str(broken), str(fine), "--no-save", "-q"])
    out = capsys.readouterr().out
    assert code == 1, out
    first, _, second = out.partition(f"PASS  fine  ({fine})")
    assert second, out  # the second scenario ran after the first failed, and passed
    assert f"FAIL  garbage  ({broken})" in first, out
    assert "FAILED: the agent failed: the model's answer could not be read" in first, out
    assert "'text/html'" in first  # what came back, named
    assert "FAILED" not in second, out


class _Silent:
    """An agent that never answers anything: what no real server can be made to be, since
    the model agent bounds its own requests (a bug in an agent, a lost output)."""

    backend = "test"

    def __init__(self) -> None:
        self.closed = threading.Event()

    def describe(self) -> dict[str, str]:
        return {"agent": "silent"}

    def prepared_lines(self, config: CallConfig) -> list[str]:
        return []

    def begin(self, request: AgentRequest, emit: Emit) -> None:
        pass

    def cancel(self, turn: int, heard: tuple[str, ...] = ()) -> None:
        pass

    def close(self) -> None:
        self.closed.set()


def test_an_agent_that_stops_answering_fails_the_scenario(monkeypatch):
    monkeypatch.setattr(runner, "STALL_GRACE_S", 0.0)
    config = parse_config(
        {
            "agent": {
                "main_prompt": PROMPT,
                "backend": {"llm": {"reply_deadline_s": 0.2, "timeout_s": 0.1}},
            }
        }
    )
    scenario = Scenario(name="silent agent", caller=[{"say": "Hello?"}])
    result = run_scenario(scenario, config, agent=_Silent())
    assert any("the agent stopped answering" in f for f in result.failures), result.failures
    notice = next(e for e in result.events if isinstance(e, ev.Notice) and e.source == "agent")
    assert notice.level == "error"
