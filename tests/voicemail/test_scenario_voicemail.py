"""Voicemail scenarios in text mode, on the virtual clock: the detector, the engine and
the checks together, where a greeting's timing decides what the tester sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.core import events as ev
from console.scenario.model import load_scenario
from console.scenario.runner import RunResult, run_scenario
from tests.conftest import ASSETS

# A greeting that names the machine early ("leave a message") and then talks on, with
# pauses shorter than human_silence_s (1 s), and never beeps.
LONG_GREETING = """
name: no beep, a long greeting
config: {config}
config_overrides:
  end_call.skip_goodbye: false
  voicemail.detect: true
  voicemail.on_machine: leave_message
  voicemail.message: "Hi, this is {{agent_name}}. Please call us back."
  voicemail.beep_max_wait_s: 1
  voicemail.quiet_max_wait_s: {quiet_max}
caller:
  - answer:
      by: voicemail
      between_s: 0.4
      lines:
        - "Hi, you have reached Jordan, please leave a message."
        - "I am away from my desk until Monday and will return your call then."
        - "For anything urgent, call my colleague Priya on extension two one four."
expect:
  answered_by: voicemail
  drop_reason: voicemail
{expect}"""


def run(tmp_path: Path, text: str, expect: str = "", **fields) -> RunResult:
    path = tmp_path / "scenario.yaml"
    config = ASSETS / "configs" / "voicemail.yaml"
    path.write_text(text.format(config=config, expect=expect, **fields))
    scenario, config = load_scenario(path)
    return run_scenario(scenario, config, source=str(path))


def greeting_end(result: RunResult) -> float:
    """Where the greeting's last line ends on the virtual clock (as the runner planned it:
    speech logged after the drop is cut at the drop)."""
    from console.audio.amd.text import TextAnswer, plan_answer

    step = result.scenario.caller[0].answer
    answer = TextAnswer(step.by, tuple(step.lines), step.start_s, step.between_s)
    return plan_answer(answer, result.scenario.caller_wpm).speech[-1][1]


def of(result: RunResult, cls: type[ev.Event]) -> list:
    return [e for e in result.events if isinstance(e, cls)]


def test_with_no_beep_the_message_starts_once_the_greeting_has_gone_quiet(tmp_path):
    result = run(tmp_path, LONG_GREETING, quiet_max=30)
    assert result.passed, result.failures
    verdict = of(result, ev.AnsweredByVerdict)[0]
    end = greeting_end(result)
    (message,) = of(result, ev.Goodbye)
    # The beep wait (1 s) ran out while the greeting still spoke: the message waited.
    assert verdict.t + 1.0 < end
    assert message.source == "voicemail_message" and not message.cut_short
    assert end + 1.0 <= message.start <= end + 1.05, (end, message)
    assert "no beep" in message.detail and "quiet since" in message.detail


def test_a_greeting_that_outlasts_the_quiet_wait_gets_no_message(tmp_path):
    result = run(tmp_path, LONG_GREETING, quiet_max=2)
    assert result.passed, result.failures
    verdict = of(result, ev.AnsweredByVerdict)[0]
    (drop,) = of(result, ev.LineDropped)
    assert of(result, ev.Goodbye) == [] and of(result, ev.SpeechStarted) == []
    assert drop.t == pytest.approx(verdict.t + 1.0 + 2.0)  # the beep wait, then the quiet wait
    assert drop.t < greeting_end(result)  # the machine still talking
    assert "without the message" in drop.detail
    assert any("never went quiet" in n.message for n in of(result, ev.Notice))


def test_message_after_beep_fails_when_no_beep_was_heard(tmp_path):
    result = run(tmp_path, LONG_GREETING, "  message_after_beep: true\n", quiet_max=30)
    assert of(result, ev.Goodbye) and of(result, ev.BeepHeard) == []
    (failure,) = result.failures
    assert "no beep was heard" in failure


def test_message_after_beep_false_passes_when_no_beep_was_heard(tmp_path):
    result = run(tmp_path, LONG_GREETING, "  message_after_beep: false\n", quiet_max=30)
    assert result.passed, result.failures


def test_message_after_beep_false_fails_when_the_message_followed_the_beep(tmp_path):
    text = (ASSETS / "scenarios" / "14-voicemail-leave-message.yaml").read_text()
    assert "message_after_beep: true" in text
    path = tmp_path / "scenario.yaml"
    path.write_text(
        text.replace("../configs/", f"{ASSETS / 'configs'}/").replace(
            "message_after_beep: true", "message_after_beep: false"
        )
    )
    scenario, config = load_scenario(path)
    result = run_scenario(scenario, config, source=str(path))
    assert result.failures == ["expected no whole message after a beep; one played"]
