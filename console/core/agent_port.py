"""The agent contract: what any brain behind the call offers the engine.

The engine asks for one thing at a time, an `AgentRequest`: the opening, the reply to
caller turn N, or the goodbye after the End Call action. The agent answers through one
streaming interface, `emit`, with typed outputs that each name the turn they answer:

- `Say`: a piece of speech ready to play (a sentence, as soon as a model has it);
- `TurnDone`: the end of an opening or a reply (the End Call request if the agent
  invoked it, warnings, a failure, and the model call behind it);
- `GoodbyeDone`: the goodbye text (or why there is none) and the model call behind it.

The engine, never the agent, decides what happens to outputs: it applies the response
delay to every agent alike, drops output that answers a turn the caller has moved past
(and says so on the timeline), and decides what is spoken and when the line drops.

An agent may answer at once, from inside `begin` (the offline agent), or later, from a
thread of its own (a language model); `emit` is safe to call from any thread. `cancel`
tells it the caller moved past a turn (work on it can stop, its output will be dropped
anyway) and what of its answer the caller heard: a model's history keeps only that.

This module belongs to the core: agents import it, the core never imports an agent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from console.core.config import CallConfig


class Purpose(str, Enum):
    OPENING = "opening"
    REPLY = "reply"
    GOODBYE = "goodbye"


@dataclass(frozen=True)
class EndRequest:
    """The agent invokes the End Call action under `action_name`, and says why."""

    action_name: str
    why: str
    rule: str = ""
    trigger_words: str = ""
    say_hint: str = ""  # the line the prompt attaches to this ending, "" if none
    farewell: str = ""  # a goodbye the agent passed with the call (ElevenLabs' message)
    # The prompt asks to end with no goodbye ("without leaving a message"): its words.
    silent: str = ""


@dataclass(frozen=True)
class GoodbyeText:
    text: str
    source: str  # "goodbye_prompt" or "main_prompt"
    detail: str  # which line produced it, or how it was generated


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str


@dataclass(frozen=True)
class ModelCallRecord:
    """One request to a language model: how long it took and what became of it."""

    purpose: str
    model: str
    ttft_s: float | None = None  # time to the first token (None: nothing arrived)
    total_s: float = 0.0
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    outcome: str = ""  # what the console did with the reply, in words
    error: str = ""

    def event_fields(self) -> dict[str, Any]:
        """The fields of a ModelCall event."""
        return {
            "purpose": self.purpose,
            "model": self.model,
            "ttft_s": self.ttft_s,
            "total_s": self.total_s,
            "text": self.text,
            "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in self.tool_calls],
            "outcome": self.outcome,
            "error": self.error,
        }


@dataclass(frozen=True)
class AgentRequest:
    """What the engine asks for. `turn` is the caller turn answered (0: the opening)."""

    purpose: Purpose
    turn: int
    config: CallConfig
    caller_text: str = ""
    end: EndRequest | None = None  # the ending a goodbye follows


@dataclass(frozen=True)
class Say:
    turn: int
    text: str
    why: str = ""


@dataclass(frozen=True)
class TurnDone:
    """An opening or reply is complete. `error` set: it failed (nothing more comes)."""

    turn: int
    end: EndRequest | None = None
    notices: tuple[str, ...] = ()
    error: str = ""
    model_call: ModelCallRecord | None = None


@dataclass(frozen=True)
class GoodbyeDone:
    turn: int
    goodbye: GoodbyeText | None
    error: str = ""
    model_call: ModelCallRecord | None = None
    generation_ms: float = 0.0
    notices: tuple[str, ...] = field(default_factory=tuple)


AgentOutput = Say | TurnDone | GoodbyeDone
Emit = Callable[[AgentOutput], None]


class Agent(Protocol):
    """A brain behind the call. `begin`, `cancel` and `close` are called from the
    engine's thread; `emit` may be called back from any thread."""

    backend: str  # "offline", "llm", ...

    def describe(self) -> dict[str, str]:
        """What to record about the agent in the session (never a secret)."""
        ...

    def prepared_lines(self, config: CallConfig) -> list[str]:
        """Lines whose text is known before the call (to synthesise ahead of time)."""
        ...

    def begin(self, request: AgentRequest, emit: Emit) -> None:
        """Start answering `request`; outputs go to `emit`, each naming request.turn."""
        ...

    def cancel(self, turn: int, heard: tuple[str, ...] = ()) -> None:
        """The caller moved past `turn`: stop working on answers to it. `heard` holds
        the lines of its answer that played (a cut one included); the rest was never
        said, and an agent that keeps the conversation must not remember it as said."""
        ...

    def close(self) -> None:
        """The call is over: release threads and connections."""
        ...
