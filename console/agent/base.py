"""What the offline agent decides for one turn, before it becomes the contract's outputs.

Every decision carries a human-readable reason, the rule that produced it and the
caller's words that triggered it, so the timeline can explain each action. The engine
never sees a Decision: `OfflineAgent.begin` turns it into `Say` and `TurnDone`
(console/core/agent_port.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from console.core.agent_port import EndRequest


@dataclass(frozen=True)
class Decision:
    say: str = ""  # normal speech, spoken before any end request takes effect
    why: str = ""
    rule: str = ""
    trigger_words: str = ""
    end: EndRequest | None = None
    notices: tuple[str, ...] = ()  # warnings a tester should see (e.g. unknown action)
