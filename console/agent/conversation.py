"""What a model is told was said in the call: the caller's lines and the agent's answers,
each under the caller turn it belongs to.

A model's reply is not what the caller heard. A barge-in cuts it, and its queued
sentences are dropped; a reply still streaming is cancelled after its first sentences
played. The engine says, for every such turn, which lines did play (`keep_heard`), and
the conversation keeps exactly those: the model must not be told it said a sentence the
caller never heard (it would refer back to it, or skip what it meant to say next).

Plain data; the agent that owns it serialises access (console/agent/llm.py).
"""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]


class Conversation:
    def __init__(self) -> None:
        self._entries: list[tuple[int, Message]] = []  # (caller turn, chat message)

    def add(self, turn: int, message: Message) -> None:
        self._entries.append((turn, message))

    def messages(self) -> list[Message]:
        return [message for _turn, message in self._entries]

    def keep_heard(self, turn: int, heard: str) -> None:
        """The agent's answer to `turn` becomes what the caller heard of it. A tool call
        stays (the engine acts on one even when the words before it were cut); an answer
        of which nothing was heard, and that called nothing, goes; an answer that was
        never remembered (cancelled while it streamed) is added as far as it was heard."""
        answers = [
            i for i, (t, m) in enumerate(self._entries) if t == turn and m["role"] == "assistant"
        ]
        if not answers:
            if heard:
                at = max((i + 1 for i, (t, _m) in enumerate(self._entries) if t <= turn), default=0)
                self._entries.insert(at, (turn, {"role": "assistant", "content": heard}))
            return
        for i in answers:
            self._entries[i][1]["content"] = heard if i == answers[0] else ""
        gone = {
            i
            for i in answers
            if not self._entries[i][1]["content"] and not self._entries[i][1].get("tool_calls")
        }
        self._entries = [entry for i, entry in enumerate(self._entries) if i not in gone]
