"""The goodbye measured on the recording of a real audio call: audible to its end, and
clipped when the sound device dies in the middle of it."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.live.call import LiveCall
from tests.conftest import EventWaiter, on_virtual_devices
from tests.parts import private_sound_server

GOODBYE = "Thank you very much for your time today, and have a wonderful afternoon. Goodbye."
CONFIG = {
    "agent": {
        "main_prompt": '1. Ask "Ready?" If the contact responds no, call end_call and say '
        f'"{GOODBYE}"',
        "turn_taking": {"response_delay_ms": 0, "drop_guard_ms": 250},
    }
}


def test_a_goodbye_played_whole_is_measured_audible(virtual_audio, tmp_path):
    events = EventWaiter()
    call = LiveCall(
        ConfigStore(parse_config(CONFIG)),
        on_virtual_devices(virtual_audio, tmp_path, recognise=False),
        listeners=[events],
    )
    call.start()
    try:
        events.wait(ev.AgentSpeech)
        call.say("no")
        events.wait(ev.LineDropped, timeout=30)
    finally:
        call.close()
    verdict = events.wait(ev.GoodbyeAudibility, timeout=5)
    goodbye = events.of(ev.Goodbye)[0]
    assert verdict.audible_to_end, verdict.verdict
    assert goodbye.start < verdict.sound_end <= goodbye.end + 0.02
    assert verdict.verdict.startswith("goodbye audible to its end")
    logged = (call.session_dir / "events.jsonl").read_text()
    assert '"goodbye_audibility"' in logged and '"audible_to_end": true' in logged


CHILD = """
import json, sys, time
from pathlib import Path
from console.core import events as ev
from console.core.config import ConfigStore, parse_config
from console.live.call import LiveCall, LiveOptions
seen = []
def show(e):
    seen.append(e)
    print(json.dumps(e.to_dict()), flush=True)
    if isinstance(e, ev.SpeechStarted) and e.speech == "goodbye":
        print("GOODBYE", flush=True)
call = LiveCall(ConfigStore(parse_config(json.loads(sys.argv[2]))),
                LiveOptions(input_device="pulse", output_device="pulse",
                            sessions_dir=Path(sys.argv[1]), recognise=False),
                listeners=[show])
call.start()
while not any(isinstance(e, ev.AgentSpeech) for e in seen):
    time.sleep(0.02)
call.say("no")
call.wait(60)
call.close()
print("CLOSED", flush=True)
"""


def test_a_goodbye_cut_by_a_dying_device_is_measured_clipped(tmp_path):
    lines: list[str] = []
    with private_sound_server(tmp_path) as (env, server):
        config = {**CONFIG, "agent": {**CONFIG["agent"], "turn_taking": {"response_delay_ms": 0}}}
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path / "s"), json.dumps(config)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line)
            if line.startswith("GOODBYE"):
                break
        time.sleep(1.0)  # a second into a five-second goodbye, the sound server dies
        server.kill()
        server.wait()
        out, _ = child.communicate(timeout=60)
        lines += out.splitlines()
    assert lines and "CLOSED" in lines[-1], lines[-5:]
    events = [json.loads(line) for line in lines if line.startswith("{")]
    (verdict,) = [e for e in events if e["kind"] == "goodbye_audibility"]
    assert not verdict["audible_to_end"], verdict
    assert verdict["verdict"].startswith("goodbye clipped")
    assert verdict["missing_s"] > 2.0  # most of the goodbye was never played
