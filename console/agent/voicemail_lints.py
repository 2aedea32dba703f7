"""Lints for the `voicemail` section: answered-by detection and what happens on a machine.

Called at the end of `lint_config` (console/agent/lints.py). Each lint names a way a
voicemail setup does something other than what the tester meant: a message that is
never said, a description that counts on detection that is off, a placeholder with no
value.
"""

from __future__ import annotations

import re

from console.agent.lint_record import INFO, WARNING, Lint
from console.core.config import CallConfig
from console.core.text_variables import call_variables

# Words in an End Call description that ask the agent to act on a machine.
MENTIONS_VOICEMAIL = re.compile(
    r"voice ?-?mail|answering (?:machine|service)|\bmachines?\b|leave a message|\bbeep\b|"
    r"\bmail ?box\b|\bIVR\b|phone (?:menu|tree)",
    re.IGNORECASE,
)


def voicemail_lints(config: CallConfig) -> list[Lint]:
    vm = config.voicemail
    action = config.end_call
    out: list[Lint] = []
    message = vm.message.strip()
    speaks = vm.detect and vm.on_machine == "leave_message"
    if action.skip_goodbye and message:
        if speaks:
            detail = (
                "on a machine the message is spoken after the beep, although Skip Goodbye "
                "says to hang up saying nothing; keep one of the two"
            )
        else:
            why = "detection is off" if not vm.detect else "voicemail.on_machine is hang_up"
            detail = (
                f"the message is never spoken ({why}). To leave it, turn on voicemail.detect "
                "and set voicemail.on_machine to leave_message; to hang up silently, clear it"
            )
        out.append(
            Lint(
                "voicemail_skip_with_message",
                WARNING,
                "voicemail.message",
                f"Skip Goodbye Message is on and a voicemail message is set: {detail}",
            )
        )
    elif message and not speaks:
        why = "detection is off" if not vm.detect else "voicemail.on_machine is hang_up"
        out.append(
            Lint(
                "voicemail_message_unused",
                INFO,
                "voicemail.message",
                f"the voicemail message is never spoken ({why}); set voicemail.detect and "
                "voicemail.on_machine: leave_message to leave it",
            )
        )
    if speaks and not message:
        out.append(
            Lint(
                "voicemail_message_empty",
                WARNING,
                "voicemail.message",
                "voicemail.on_machine is leave_message but the message is empty: after the "
                "beep there is nothing to say",
            )
        )
    found = MENTIONS_VOICEMAIL.search(action.description)
    if found and not vm.detect:
        out.append(
            Lint(
                "voicemail_detection_off",
                WARNING,
                "end_call.description",
                f"the description mentions '{found.group(0)}' but voicemail detection is "
                "off: the agent learns of a machine only from the greeting's words, once the "
                "greeting has ended, so the beep and the greeting's shape go unused. Turn on "
                "voicemail.detect to decide from the audio as the greeting plays",
            )
        )
    if vm.detect and config.audio.echo_cancellation and vm.hold_opening_max_s < vm.machine_speech_s:
        # Measured (bench.voicemail, "processed, agent talking"): while the agent speaks,
        # the canceller suppresses the microphone, even with no echo on the line, and the
        # detector misses greetings and beeps (a third of machines called people).
        held = (
            "the opening is never held"
            if vm.hold_opening_max_s == 0
            else f"the opening is held only {vm.hold_opening_max_s:g} s, less than the "
            f"{vm.machine_speech_s:g} s a greeting needs to be called a machine"
        )
        out.append(
            Lint(
                "voicemail_opening_over_detection",
                WARNING,
                "voicemail.hold_opening_max_s",
                f"{held}: while the agent speaks, echo cancellation holds the microphone down "
                "and the detector misses greetings and beeps (about a third of machines "
                "called people in bench.voicemail). Hold the opening at least "
                "voicemail.machine_speech_s, or use a headset with echo cancellation off",
            )
        )
    if message:
        known = call_variables(config)
        missing = sorted({m for m in re.findall(r"\{(\w+)\}", message) if m not in known})
        if missing:
            out.append(
                Lint(
                    "unknown_variable",
                    WARNING,
                    "voicemail.message",
                    "no value for "
                    + ", ".join("{" + m + "}" for m in missing)
                    + ": it is spoken as written; set it under agent.variables",
                )
            )
    return out
