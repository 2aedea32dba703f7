""" "Said goodbye but never hung up": the agent's last words read as a farewell, yet no End
Call action fired before the caller (or the tester) hung up or a timeout dropped the line.

On voice platforms this is the other half of the End Call bug: the model says "Thanks for
calling, have a great day!" and then waits in silence, and the caller is left to hang up.
The check reads only the timeline's events, so a scenario expectation, the suite's
outcome grouping and (later) the engine's own warning can all use it. It imports nothing
above `console.core`, so the engine may call it as it is.
"""

from __future__ import annotations

import re

from console.core import events as ev

# Closing words an agent uses, as whole words in lower case. Thanks alone is not a
# farewell ("thanks for your time, do you own your home?" goes on): the last sentence
# must not ask a question either.
_FAREWELL = re.compile(
    r"\b(?:good-?bye|bye(?:-bye| now| for now)?|farewell|take care|"
    r"have a (?:good|great|nice|wonderful|lovely|pleasant|fantastic|blessed) "
    r"(?:day|evening|night|afternoon|morning|weekend|week|one|rest of your day)|"
    r"talk (?:to you )?(?:soon|later)|speak (?:to you )?soon|see you|good night|"
    r"thanks? (?:you )?(?:so much |very much )?for (?:your time|calling|talking|chatting))\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:not|never|don't|do not|won't|before)\s+(?:\w+\s+){0,2}$", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

# Endings where no one hung up on purpose: the caller or tester did, or a timer did.
_NOT_HUNG_UP_BY_AGENT = (ev.CALLER_HUNG_UP, ev.TESTER_HUNG_UP, ev.TIMEOUT)


def reads_as_farewell(text: str) -> bool:
    """Whether a line of the agent's says goodbye and does not go on to ask something.

    "Thanks for your time, goodbye!" is; "Before you go, can I ask one more thing?" is
    not (a question follows), nor "I won't say goodbye yet" (negated)."""
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    if not sentences or sentences[-1].rstrip().endswith("?"):
        return False
    return any(not _NEGATED.search(text[: match.start()]) for match in _FAREWELL.finditer(text))


def farewell_without_hangup(events: list[ev.Event]) -> str | None:
    """A sentence saying the agent said goodbye but never hung up, or None.

    None when the End Call action fired, when the line has not dropped (yet), when it
    dropped for another reason (an error, an end-call phrase, a remote agent's BYE), or
    when the agent's last line before the drop is not a farewell."""
    if any(isinstance(e, ev.ActionInvoked) for e in events):
        return None
    drop = next((e for e in events if isinstance(e, ev.LineDropped)), None)
    if drop is None or drop.reason not in _NOT_HUNG_UP_BY_AGENT or "phrase" in drop.detail:
        return None
    spoken = [e for e in events if isinstance(e, ev.AgentSpeech) and e.start <= drop.t]
    if not spoken:
        return None
    last = max(spoken, key=lambda e: (e.start, e.seq))
    if not reads_as_farewell(last.text):
        return None
    waited = max(0.0, drop.t - last.end)
    who = {
        ev.CALLER_HUNG_UP: "the caller hung up",
        ev.TESTER_HUNG_UP: "the tester hung up",
        ev.TIMEOUT: f"the line timed out ({drop.detail})" if drop.detail else "it timed out",
    }[drop.reason]
    return (
        f"the agent said goodbye ({last.text!r} at {last.start:.2f} s) but never hung up: no "
        f"End Call action fired, and {who} {waited:.2f} s after it finished speaking"
    )
