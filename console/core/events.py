"""The events of a call's timeline, as the semantics doc lists them.

Each event is a typed, immutable record stamped with the session clock (`t`, seconds
since call start) and the config version in force when it happened. Spans (speech,
goodbye) are logged once they end, with `t` equal to their start, so a log read back in
order of `seq` tells the story as it unfolded, and sorted by `t` draws the timeline.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

# Drop reasons, as the timeline and reports name them.
END_CALL_ACTION = "end_call_action"
CALLER_HUNG_UP = "caller_hung_up"  # the caller in the call (a script's hang_up step)
TESTER_HUNG_UP = "tester_hung_up"  # the person at the console pressed Hang up
ERROR = "error"
TIMEOUT = "timeout"
AGENT_HUNG_UP = "agent_hung_up"  # a remote agent (over SIP) sent BYE
END_CALL_PHRASE = "end_call_phrase"  # the agent said a platform's end-call phrase
VOICEMAIL = "voicemail"  # a machine answered (voicemail detection)
DROP_REASONS = (
    VOICEMAIL,
    END_CALL_ACTION,
    END_CALL_PHRASE,
    CALLER_HUNG_UP,
    TESTER_HUNG_UP,
    ERROR,
    TIMEOUT,
    AGENT_HUNG_UP,
)


@dataclass(frozen=True, kw_only=True)
class Event:
    kind: ClassVar[str] = "event"
    t: float
    config_version: int
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True, kw_only=True)
class CallStarted(Event):
    kind: ClassVar[str] = "call_started"
    agent_backend: str
    mode: str = "text"
    devices: dict[str, str] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class StateChanged(Event):
    kind: ClassVar[str] = "state_changed"
    state: str
    previous: str


@dataclass(frozen=True, kw_only=True)
class CallerSpeech(Event):
    kind: ClassVar[str] = "caller_speech"
    text: str
    start: float
    end: float
    turn: int
    # When the utterance became final and reached the agent: end -> heard_at is the
    # endpoint silence plus recognition, heard_at -> the agent's first sample is the
    # agent's own share of the turn.
    heard_at: float | None = None
    # Spoken after the End Call action (e.g. during the goodbye): evidence, not a turn the
    # agent answers (invariant 8).
    after_action: bool = False
    # What ended the turn (turn_taking.end_of_turn): "silence", "adaptive", or "call end"
    # for words pending when the line dropped; empty for typed input. With the silence
    # that ended it and why (the adaptive rule's reading of the words).
    end_rule: str = ""
    end_silence_s: float | None = None
    end_why: str = ""


@dataclass(frozen=True, kw_only=True)
class SpeechStarted(Event):
    """The agent's first sample of an utterance is heard: the timeline shows the line from
    now, growing, until its AgentSpeech (or Goodbye) event closes it."""

    kind: ClassVar[str] = "speech_started"
    utterance_id: int
    text: str
    speech: str = "speech"  # "speech" or "goodbye"
    turn: int = 0
    planned_s: float | None = None  # the audio's length, when known (rendered speech)


@dataclass(frozen=True, kw_only=True)
class AgentSpeech(Event):
    kind: ClassVar[str] = "agent_speech"
    text: str
    start: float
    end: float
    cut_short: bool = False
    why: str = ""
    utterance_id: int = 0
    turn: int = 0  # the caller turn this line answers (0: the opening)


@dataclass(frozen=True, kw_only=True)
class ActionInvoked(Event):
    kind: ClassVar[str] = "action_invoked"
    action_name: str
    why: str
    rule: str = ""
    trigger_words: str = ""
    turn: int = 0
    latency_s: float | None = None  # from the end of the caller speech that triggered it
    skip_goodbye: bool = False


@dataclass(frozen=True, kw_only=True)
class Goodbye(Event):
    kind: ClassVar[str] = "goodbye"
    text: str
    source: str  # "goodbye_prompt" or "main_prompt"
    detail: str = ""  # which line of the prompt, or "default"
    start: float
    end: float
    cut_short: bool = False
    generation_ms: float = 0.0
    since_action_s: float = 0.0
    planned_s: float | None = None  # the rendered goodbye's length, when known
    utterance_id: int = 0


@dataclass(frozen=True, kw_only=True)
class LineDropped(Event):
    kind: ClassVar[str] = "line_dropped"
    reason: str
    detail: str = ""
    since_action_s: float | None = None
    since_goodbye_end_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class ReplyDiscarded(Event):
    """An agent reply that answers a turn the caller has moved past: never spoken
    (invariant 9). `text` is what it would have said, as far as it had got."""

    kind: ClassVar[str] = "reply_discarded"
    turn: int  # the caller turn the reply answered (0: the opening)
    superseded_by: int  # the caller turn that replaced it
    reason: str
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class GoodbyeAudibility(Event):
    """Measured on the recording after the call: did the goodbye's sound play to its end
    before the line dropped? Evidence no voice platform gives."""

    kind: ClassVar[str] = "goodbye_audibility"
    audible_to_end: bool
    sound_end: float | None  # session time the goodbye's sound really ends, if heard
    drop: float
    margin_s: float | None  # drop - sound_end: how long before the drop it fell silent
    missing_s: float = 0.0  # how much of the goodbye was never played
    verdict: str = ""  # in words, for the timeline and the report


@dataclass(frozen=True, kw_only=True)
class AnsweredByVerdict(Event):
    """Who answered (voicemail detection): human, voicemail, IVR or uncertain, how sure,
    what decided it, when (`t`: the moment of the verdict)."""

    kind: ClassVar[str] = "answered_by"
    answered_by: str  # human / voicemail / ivr / uncertain
    confidence: float
    decided_by: str  # beep / words / greeting_shape / initial_silence / timeout / ended
    reason: str
    greeting_s: float | None = None
    beep_start: float | None = None
    cues: list[str] = field(default_factory=list)
    audio_t: float | None = None  # session time of the audio that decided it (`t`: known)

    @property
    def machine(self) -> bool:
        return self.answered_by in ("voicemail", "ivr")


@dataclass(frozen=True, kw_only=True)
class BeepHeard(Event):
    """A voicemail beep, as a span (`t` is its first sample); `heard_at` is when the
    detector knew it had ended: the earliest a message may start."""

    kind: ClassVar[str] = "beep"
    start: float
    end: float
    hz: float
    dbfs: float
    heard_at: float


@dataclass(frozen=True, kw_only=True)
class OpeningHeld(Event):
    """The agent's opening held while the verdict was pending, and what released it."""

    kind: ClassVar[str] = "opening_held"
    start: float
    end: float
    released_by: str  # "human", "uncertain", "voicemail", "ivr" or "hold_expired"


@dataclass(frozen=True, kw_only=True)
class AudioGap(Event):
    """A stream's timing jumped: the playback stalled (the agent's audio paused while the
    computer fell behind) or the capture lost or skipped audio. `t` is where it happened
    on the session clock; the timeline and the recording both carry the gap."""

    kind: ClassVar[str] = "audio_gap"
    stream: str  # "output" (the agent's audio) or "input" (the microphone)
    length_s: float  # positive: a pause of this long; negative: audio skipped
    # "" for a jump in the stream's timing (the clock re-anchored: the recording carries
    # it); "underflow" or "overflow" for blocks the device itself flagged
    # (console/audio/xruns.py), with `blocks` of them in a row.
    cause: str = ""
    blocks: int = 0


@dataclass(frozen=True, kw_only=True)
class ConfigChanged(Event):
    kind: ClassVar[str] = "config_changed"
    field: str
    old: Any
    new: Any
    version: int


@dataclass(frozen=True, kw_only=True)
class Notice(Event):
    """A warning or error a person can act on (device, model, agent backend, rule)."""

    kind: ClassVar[str] = "notice"
    level: str  # "warning" or "error"
    source: str  # "agent", "config", "audio", "speech", "backend", ...
    message: str


@dataclass(frozen=True, kw_only=True)
class ModelCall(Event):
    """One call to a language model: how long it took, what it said and did with it."""

    kind: ClassVar[str] = "model_call"
    purpose: str  # "opening", "reply" or "goodbye"
    model: str
    ttft_s: float | None = None  # time to the first token
    total_s: float = 0.0
    text: str = ""
    tool_calls: list[dict[str, str]] = field(default_factory=list)  # raw name + arguments
    outcome: str = ""  # what the console did with the reply, in words
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class SipEvent(Event):
    """One thing on a SIP line to a remote agent: a SIP message sent or received (INVITE,
    180/183, 200 OK, BYE, CANCEL, an error answer) or a media fact (first RTP, no RTP,
    DTMF), so the hang-up from outside is on the timeline as the wire saw it."""

    kind: ClassVar[str] = "sip"
    message: str  # "INVITE", "180 Ringing", "BYE", "first RTP from the agent", ...
    direction: str = ""  # "sent", "received", or "" for what the console observed
    status: int | None = None  # the SIP status code of a response
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class FarEndVerdict(Event):
    """How a remote agent ended the call, judged from its audio and its BYE.

    `t` is when it was judged (the drop, or the end of the wait after a farewell)."""

    kind: ClassVar[str] = "far_end_verdict"
    agent_hung_up: bool  # a BYE came from the agent
    bye_t: float | None = None  # session time of the agent's BYE
    last_utterance: str = ""  # the agent's last utterance before the end
    last_sound_t: float | None = None  # end of the agent's last sound
    gap_s: float | None = None  # last sound -> BYE
    cut: bool = False  # the BYE cut the agent's speech
    cut_why: str = ""
    farewell: bool = False  # the last utterance was a farewell
    never_hung_up: bool = False  # a farewell, then no BYE within `waited_s`
    waited_s: float | None = None
    caller_turn: int = 0  # caller turns before the end


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        CallStarted,
        StateChanged,
        CallerSpeech,
        AgentSpeech,
        ActionInvoked,
        Goodbye,
        LineDropped,
        ConfigChanged,
        Notice,
        ModelCall,
        ReplyDiscarded,
        SipEvent,
        FarEndVerdict,
        SpeechStarted,
        GoodbyeAudibility,
        AnsweredByVerdict,
        BeepHeard,
        OpeningHeld,
        AudioGap,
    )
}


class EventFormatError(ValueError):
    pass


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild a typed event; unknown keys from newer versions are ignored."""
    if not isinstance(data, dict):
        raise EventFormatError("an event must be a JSON object")
    kind = data.get("kind")
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise EventFormatError(f"unknown event kind {kind!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise EventFormatError(f"{kind}: {exc}") from None
