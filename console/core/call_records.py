"""The records a call is made of: its state, its utterances, the agent's audio port, and
the engine's bookkeeping of requests, queued speech, the ending and voicemail screening.

Plain typed data, apart from the behaviour in console/core/engine.py and
console/core/screening.py, so each of those reads as steps over named records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from console.core import events as ev
from console.core.agent_port import AgentOutput, EndRequest, GoodbyeText, Purpose


class CallState(str, Enum):
    IDLE = "idle"
    CONNECTED = "connected"
    LISTENING = "listening"
    AGENT_SPEAKING = "agent_speaking"
    ENDING = "ending"
    DROPPED = "dropped"


@dataclass(frozen=True)
class Utterance:
    id: int
    text: str
    kind: str  # "speech" or "goodbye"
    why: str = ""
    turn: int = 0  # the caller turn it answers


class VoicePort(Protocol):
    """The agent's audio path. It reports back through the engine's agent_audio_* calls."""

    def play(self, utterance: Utterance) -> None: ...

    def stop(self, utterance_id: int) -> None: ...

    def line_dropped(self) -> None: ...


Listener = Callable[[ev.Event], None]


@dataclass
class Playing:
    utt: Utterance
    requested: float
    started: float | None = None
    planned_s: float | None = None  # how long its audio is, when the voice knows


@dataclass
class Request:
    """One question put to the agent, and what has become of it."""

    id: int
    purpose: Purpose
    turn: int
    started: float
    due: float  # outputs wait until then: the response delay
    caller_end: float | None
    done: bool = False  # its last output was applied (or it was dropped)
    answered: bool = False  # its last output arrived (it may still wait for the delay)
    discarded: bool = False
    said: list[str] = field(default_factory=list)  # speech received, for a discard's record


@dataclass(frozen=True)
class Held:
    """An agent output waiting for its request's response delay to pass."""

    request: Request
    output: AgentOutput


@dataclass(frozen=True)
class SpeechItem:
    utt: Utterance


@dataclass(frozen=True)
class EndItem:
    """An End Call request that waits for the speech queued before it."""

    end: EndRequest
    turn: int
    caller_end: float | None


Queued = SpeechItem | EndItem


@dataclass
class Ending:
    """The call's ending, from the action to the drop, as one record."""

    action_at: float
    end: EndRequest
    turn: int
    caller_end: float | None
    goodbye: GoodbyeText | None = None
    goodbye_ms: float = 0.0  # how long the goodbye took to produce
    awaiting_goodbye: bool = False
    goodbye_start: float | None = None  # its first sample played
    goodbye_end: float | None = None  # its last sample (or when it was given up)
    drop_at: float | None = None
    drop_detail: str = ""
    reason: str = ev.END_CALL_ACTION  # the drop's reason: the action, or a machine answered


@dataclass
class Screening:
    """Voicemail detection in a call: the opening held for the verdict, the verdict, the
    beep, and a message that waits for the beep, or with no beep for the machine's side
    to go quiet (console/audio/amd decides; the engine acts)."""

    held_since: float | None = None  # the opening waits from then...
    hold_until: float | None = None  # ...at most until then
    verdict: ev.AnsweredByVerdict | None = None
    beep: ev.BeepHeard | None = None
    message: str = ""  # leave_message: the text, once a machine is decided
    message_due: float | None = None  # the beep is waited for until then
    quiet_until: float | None = None  # no beep came: the quiet is waited for until then
    quiet_since: float | None = None  # the machine's side is quiet since then (None: not)

    @property
    def holding(self) -> bool:
        return self.held_since is not None

    @property
    def awaiting_message(self) -> bool:
        """A message is to be left and has not started: waiting for the beep or quiet."""
        return self.message_due is not None or self.quiet_until is not None
