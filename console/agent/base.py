"""What an agent brain decides, in a form the call engine can act on and log.

The engine never asks an agent *how* it decided, only *what* and *why*: every decision
carries a human-readable reason, the rule that produced it and the caller's words that
triggered it, so the timeline can explain each action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from console.core.config import CallConfig


@dataclass(frozen=True)
class EndRequest:
    """The agent invokes the End Call action."""

    action_name: str
    why: str
    rule: str = ""
    trigger_words: str = ""
    say_hint: str = ""  # the line the prompt attaches to this ending, "" if none


@dataclass(frozen=True)
class Decision:
    say: str = ""  # normal speech, spoken before any end request takes effect
    why: str = ""
    rule: str = ""
    trigger_words: str = ""
    end: EndRequest | None = None
    notices: tuple[str, ...] = ()  # warnings a tester should see (e.g. unknown action)


@dataclass(frozen=True)
class GoodbyeText:
    text: str
    source: str  # "goodbye_prompt" or "main_prompt"
    detail: str  # which line produced it, or "polite default"


class Agent(Protocol):
    """A brain behind the agent. Called from the engine's thread only."""

    backend: str

    def start(self, config: CallConfig) -> Decision:
        """The agent's first turn when the call connects."""

    def respond(self, config: CallConfig, caller_text: str, turn: int) -> Decision:
        """The agent's answer to one final caller utterance."""

    def goodbye(self, config: CallConfig, end: EndRequest) -> GoodbyeText:
        """The goodbye to play after `end` (only called when skip goodbye is off)."""


# -- agents that answer over time (a language model) -------------------------------------
@dataclass(frozen=True)
class Say:
    """A piece of speech ready to play (a sentence, as soon as a model has produced it)."""

    text: str
    why: str = ""


@dataclass(frozen=True)
class Final:
    """The end of one agent turn: the action, if invoked, warnings, and the model call."""

    end: EndRequest | None = None
    notices: tuple[str, ...] = ()
    error: str = ""  # the turn failed (endpoint down, timeout, HTTP error...)
    model_call: dict | None = None  # fields of a ModelCall event


@dataclass(frozen=True)
class GoodbyeReady:
    goodbye: GoodbyeText | None
    error: str = ""
    model_call: dict | None = None


AgentOutput = Say | Final | GoodbyeReady
