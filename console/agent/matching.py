"""End-of-call triggers from the End Call action's description, as people phrase them.

A description says when to use the action in prose ("Use when the user wants to end
the call", "only when the user explicitly requests it", "when appropriate", "if the
lead becomes rude"), in quoted phrases ("that's all, bye"), or as lists:

    Call when:
    - the user says goodbye
    Do not call when:
    - the user says "thank you" in the middle of the conversation

Each part becomes a `Condition` (console/agent/conditions.py): the conditions to end
on, and the conditions never to end on. A quoted phrase under "do not call when" is
never a trigger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from console.agent import intents as it
from console.agent.conditions import (
    VAGUE,
    Condition,
    ConditionMatch,
    match,
    read_condition,
)
from console.agent.prompt_lines import BULLET, HEADING, NUMBERED, lex
from console.agent.prompt_text import mask, sentences

_NOT_MODE = re.compile(
    r"^\s*(?:do not|don't|dont|never|avoid|not)\b.*\b(?:call|use|end|hang|trigger|invoke)\w*"
    r"\b.*(?:when|if|for|in these cases|on)?\s*:?\s*$|^\s*(?:when|if) not to\b|"
    r"^\s*exceptions?\s*:?",
    re.I,
)
_END_MODE = re.compile(
    r"^\s*(?:call|use|invoke|trigger|end(?: the call)?|hang up|terminate)(?:\s+(?:this|it|the "
    r"tool|this tool|this function|the function))?\s*(?:when|if|on|for|in these cases|only "
    r"when|only if)\b.*:\s*$|^\s*(?:when to (?:call|use|end)|triggers?|end conditions?|use cases?)"
    r"\s*:?\s*$|^\s*(?:end[- ]?call|hang[- ]?up|termination|ending|end)\s+(?:reasons?|"
    r"conditions?|triggers?|cases?|rules?)\s*:?\s*$",
    re.I,
)
_NEG_SENTENCE = re.compile(
    r"(?:^|\b)(?:do not|don't|dont|never|avoid|must not|should not|shouldn't|not)\s+"
    r"(?:ever\s+)?(?:call|use|end|hang|terminate|trigger|invoke|fire)\w*\b",
    re.I,
)
_WHEN = re.compile(
    r"\b(?:only\s+)?(?:when|whenever|if|once|as soon as|in case(?: of)?|after|upon|unless)\b",
    re.I,
)
# "Do not call this unless the caller says goodbye": the condition is when to call it.
_UNLESS = re.compile(r"\b(?:unless|until|till|before|except (?:when|if))\b", re.I)
_UNLESS_MODE = re.compile(
    r"^\s*(?:do not|don't|dont|never|not)\b.*\b(?:call|use|end|hang|trigger|invoke)\w*\b.*"
    r"\b(?:unless|until|except(?: when| if)?)\s*:?\s*$",
    re.I,
)
_FOR = re.compile(r"\b(?:for|on|in case of|upon)\s+(?=\w)", re.I)


@dataclass(frozen=True)
class DescriptionPart:
    line: int  # 1-based line of the description
    text: str
    cond: Condition | None
    end: bool  # True: a trigger; False: never end on it


@dataclass(frozen=True)
class Triggers:
    """End-of-call triggers derived from the action's description."""

    intents: dict[str, str]  # intent -> the description's words that asked for it
    phrases: tuple[str, ...]  # quoted phrases, matched as words
    ends: tuple[Condition, ...] = ()  # every condition to end on
    never: tuple[Condition, ...] = ()  # conditions never to end on
    parts: tuple[DescriptionPart, ...] = ()

    def describe(self) -> str:
        parts = [it.INTENT_LABELS[i] for i in self.intents]
        parts += [f'"{p}"' for p in self.phrases]
        return ", ".join(parts) if parts else "none"

    @property
    def vague(self) -> Condition | None:
        return next((c for c in self.ends if c.kind == VAGUE), None)


def _condition_of(sentence: str) -> tuple[str, bool] | None:
    """(condition text, is a trigger) for one prose sentence of a description."""
    masked = mask(sentence)
    neg = _NEG_SENTENCE.search(masked)
    negated = neg is not None
    if neg is not None:
        cut = _UNLESS.search(masked, neg.end())
        if cut is not None and sentence[cut.end() :].strip(" .,;:"):
            return sentence[cut.end() :], True
    m = _WHEN.search(masked)
    if m:
        return sentence[m.start() :], not negated
    f = _FOR.search(masked)
    if f:
        return sentence[f.end() :], not negated
    if re.search(r'"_+"', masked):
        return sentence, not negated
    return None


@lru_cache(maxsize=256)
def description_triggers(description: str) -> Triggers:
    parts: list[DescriptionPart] = []
    mode: bool | None = None  # list items under "Call when:" (True) or "Do not call when:"
    for ln in lex(description):
        text = ln.text.strip()
        if not text:
            continue
        if (ln.kind in (HEADING, "prose") and text.endswith(":")) or ln.kind == HEADING:
            label = ln.title or text
            if _UNLESS_MODE.match(text):
                mode = True
                parts.append(DescriptionPart(ln.no, text, None, True))
                continue
            if _NOT_MODE.match(label):
                mode = False
                parts.append(DescriptionPart(ln.no, text, None, False))
                continue
            if _END_MODE.match(label) or re.search(r"\b(?:when|if)\s*:?\s*$", label, re.I):
                mode = True
                parts.append(DescriptionPart(ln.no, text, None, True))
                continue
        if ln.kind in (NUMBERED, BULLET) and mode is not None:
            parts.append(DescriptionPart(ln.no, text, read_condition(text), mode))
            continue
        mode = None if ln.kind not in (NUMBERED, BULLET) else mode
        for _, sentence in sentences(text):
            found = _condition_of(sentence)
            if found is None:
                parts.append(DescriptionPart(ln.no, sentence, None, True))
                continue
            cond_text, end = found
            parts.append(DescriptionPart(ln.no, sentence, read_condition(cond_text), end))
    parts = [replace(p, cond=_unpolar(p.cond)) if p.cond is not None else p for p in parts]
    intents: dict[str, str] = {}
    phrases: list[str] = []
    for part in parts:
        if part.cond is None or not part.end:
            continue
        for intent in part.cond.intents:
            intents.setdefault(intent, part.cond.text.strip())
        phrases += part.cond.phrases
    ends = tuple(p.cond for p in parts if p.cond is not None and p.end and p.cond.understood)
    never = tuple(p.cond for p in parts if p.cond is not None and not p.end and p.cond.understood)
    return Triggers(intents, tuple(dict.fromkeys(phrases)), ends, never, tuple(parts))


def _unpolar(cond: Condition) -> Condition:
    """A description has no question to answer: its "says no" is "not interested", and a
    "yes" there names nothing to end on."""
    if not ({it.YES, it.NO} & set(cond.intents)):
        return cond
    intents = [it.NOT_INTERESTED if i == it.NO else i for i in cond.intents if i != it.YES]
    return replace(cond, intents=tuple(dict.fromkeys(intents)))


def match_condition(condition: str, said: it.Analysis) -> ConditionMatch | None:
    """Match caller words against a condition written as text ("responds no")."""
    return match(read_condition(condition), said)


__all__ = ["ConditionMatch", "Triggers", "description_triggers", "match_condition"]
