"""A whole call run as its own process, to be killed at a random moment by
test_process_death.py. It reports on stdout, line by line, what is already on disk:

    session <folder>        the session folder exists
    event <kind> <t>        this event's line has been written and flushed
    clock <t>               session time now (every 50 ms)
    closed                  the call ended and every file is closed

python -m tests.reliability.kill_child MIC SPEAKER SESSIONS_DIR
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from console.core.config import ConfigStore, parse_config
from console.live.call import LiveCall, LiveOptions

PROMPT = (
    '1. Ask "Do you have a minute to talk about your energy bill?" If the contact '
    'responds yes, say "Great, it will be quick." and go to step 2.\n'
    '2. Ask "Do you own your home?" If the contact responds no, call end_call and say '
    '"Thanks for your time, goodbye."\n'
)


def main() -> None:
    mic, speaker, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    store = ConfigStore(
        parse_config(
            {
                "agent": {
                    "main_prompt": PROMPT,
                    "greeting": "Hello, this is Sam from Acme Solar.",
                    "turn_taking": {"response_delay_ms": 0},
                },
            }
        )
    )
    out_lock = threading.Lock()

    def say(line: str) -> None:
        with out_lock:
            print(line, flush=True)

    # Listeners run after the session writer, so an event printed here is on disk.
    call = LiveCall(
        store,
        LiveOptions(input_device=mic, output_device=speaker, sessions_dir=folder, recognise=False),
        listeners=[lambda e: say(f"event {e.kind} {e.t:.6f}")],
    )
    call.start()
    say(f"session {call.session_dir}")
    stop = threading.Event()

    def clock() -> None:
        while not stop.is_set():
            say(f"clock {call.clock.now():.6f}")
            time.sleep(0.05)

    threading.Thread(target=clock, daemon=True).start()
    for i, line in enumerate(["yes, sure", "hmm, let me think", "no, I rent"]):
        deadline = time.monotonic() + 15
        while not call.engine.awaiting_caller and time.monotonic() < deadline:
            time.sleep(0.02)
        if i == 1:
            call.edit({"end_call.description": "When the contact rents or says goodbye."})
        call.say(line)
        time.sleep(0.3)
    call.wait(20)
    stop.set()
    call.close()
    say("closed")
    time.sleep(60)  # killed here too: a finished call must stay complete


if __name__ == "__main__":
    main()
