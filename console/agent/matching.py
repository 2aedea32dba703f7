"""Match caller words against the conditions people write in prompts and descriptions.

A condition such as "responds no" or "is not interested" is itself run through the
intent matcher, so the vocabulary of yes/no/goodbye lives in one place
(`intents.PHRASES`). Conditions that name no intent ("asks who is calling", "says they
are busy") fall back to their content words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.agent import intents as it
from console.agent.prompt import quotes

_STOPWORDS = frozenset(
    """
    a about am an and answer answers any anything are ask asks at be been by caller
    contact customer did do does for he her his i if in is it its me mention mentions my
    of on or person prospect replies reply respond responds say says she some something
    tell tells that the their them there they to user want wants with you your
    """.split()
)


@dataclass(frozen=True)
class ConditionMatch:
    words: str  # the caller's words that matched
    how: str  # e.g. "no", "phrase 'call me later'", "words busy"


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def match_condition(condition: str, said: it.Analysis) -> ConditionMatch | None:
    quoted = quotes(condition)
    if quoted:
        for q in quoted:
            words = it.tokens_of(q)
            if said.contains_words(words):
                return ConditionMatch(" ".join(words), f"phrase '{q}'")
        return None
    wanted = it.analyse(condition)
    intents = {h.intent for h in wanted.hits if not h.negated}
    if intents & {it.YES, it.NO}:
        polarity = said.polarity()
        want = it.YES if it.YES in intents else it.NO
        if polarity is None:
            return None
        got = it.YES if polarity.intent == it.YES else it.NO
        return ConditionMatch(polarity.words, it.INTENT_LABELS[want]) if got == want else None
    for intent in intents:
        hit = said.hit(intent)
        if hit:
            return ConditionMatch(hit.words, it.INTENT_LABELS[intent])
    if intents:
        return None
    content = [_stem(w) for w in it.tokens_of(condition) if w not in _STOPWORDS]
    if not content:
        return None
    heard = {_stem(w) for clause in said.clauses for w in clause}
    found = [w for w in content if w in heard]
    if len(found) * 2 >= len(content):
        return ConditionMatch(" ".join(found), "words " + ", ".join(found))
    return None


# What an End Call description can say, and the caller intent each cue stands for.
_DESCRIPTION_CUES = {
    it.GOODBYE: r"good-?bye|\bbye\b|farewell|hangs? up|wants to leave|ends the call",
    it.NOT_INTERESTED: r"not interested|no interest|uninterested|declines?|refuses?|says no",
    it.COMPLETE: r"complete|finished|is over|is done|resolved|wrap(?:s|ped)? up|nothing else",
    it.WRONG_NUMBER: r"wrong (?:number|person)",
    it.DO_NOT_CALL: r"do not call|don'?t call|stop calling|opts? out|do-not-call|remove",
    it.VOICEMAIL: r"voice ?mail|answering machine|machine answers|leave a message",
}


@dataclass(frozen=True)
class Triggers:
    """End-of-call triggers derived from the action's description."""

    intents: dict[str, str]  # intent -> the description's words that asked for it
    phrases: tuple[str, ...]  # quoted phrases, matched literally

    def describe(self) -> str:
        parts = [it.INTENT_LABELS[i] for i in self.intents]
        parts += [f'"{p}"' for p in self.phrases]
        return ", ".join(parts) if parts else "none"


def description_triggers(description: str) -> Triggers:
    found: dict[str, str] = {}
    unquoted = re.sub(r"\"[^\"]*\"|“[^”]*”", " ", description)
    for intent, pattern in _DESCRIPTION_CUES.items():
        m = re.search(pattern, unquoted, re.IGNORECASE)
        if m:
            found[intent] = m.group(0)
    return Triggers(found, tuple(quotes(description)))
