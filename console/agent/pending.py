"""Whether a caller who says goodbye still wants something: "bye for now, but can you
email me the quote first?".

A farewell with a pending request or question is not the end of the conversation
(semantics invariant 10; the most reported End Call bug on voice platforms is an agent
hanging up on exactly this). A request is a "can/could/would you ...", a "please send
...", an "I need/want/would like ..."; a question is a clause that ends with "?" or, in
recogniser text without punctuation, starts like a question. Questions that only ask
who is calling, or requests to stop calling, are not pending requests: they are part of
the caller leaving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.agent import intents as it

_REQUEST = re.compile(
    r"\b(?:can|could|would|will) you\b(?!\s+(?:please\s+)?(?:stop|remove|take (?:me|us) off|"
    r"not call|hang up|leave (?:me|us) alone|put (?:me|us) on|lose my number|just go|go away))|"
    r"\bplease (?:send|email|e-mail|text|call me|mail|check|tell|give|book|schedule|confirm|"
    r"add|update|change|cancel|transfer|forward|note|let me|reschedule|resend|explain|help)|"
    r"\b(?:i|we) (?:still )?(?:need|want|would like|'d like|wanted)\b(?!\s+to\s+(?:go|leave|"
    r"hang up|end|run|get off|stop))|\bcan i (?:get|have|ask|book|change|still)\b|"
    r"\bbefore (?:you go|we hang up|i go|that|we finish)\b|\bone (?:more|last) (?:thing|question)|"
    r"\bquick question\b|\bfirst\s*\?",
    re.I,
)
_QUESTION_START = re.compile(
    r"^\s*(?:and |so |but |oh |also |um |uh |wait |actually )*(?:what|when|where|which|how|why|"
    r"who|is|are|do|does|did|can|could|would|will|should|may|have|has)\b",
    re.I,
)
_NOT_PENDING = re.compile(
    r"^\s*(?:and |so |but |oh |um |uh )*(?:who (?:is|'s|are) (?:this|that|you|calling|speaking)|"
    r"who are you|why (?:are|do|did|would) you (?:keep )?call|what is this (?:about|regarding)|"
    r"how did you get (?:my|this) number|is this a (?:robot|sales|scam|recording)|"
    r"how are you|are you (?:a robot|real|still there|kidding)|what(?:'s| is) the point|"
    r"can you hear me|do you understand|are we done|is that (?:it|all)|did you get that)",
    re.I,
)
_CLAUSES = re.compile(r"(?<=[.!?;])\s+|,\s*(?:but|and|oh|also)\s+|\s+but\s+|\s*-\s+")


@dataclass(frozen=True)
class Pending:
    words: str  # the request or question as the caller said it
    kind: str  # "request" or "question"


def pending_request(text: str, said: it.Analysis | None = None) -> Pending | None:
    """The caller's still-open request or question in `text`, if any."""
    said = said or it.analyse(text)
    for clause in _CLAUSES.split(text):
        c = clause.strip().strip(",")
        if not c:
            continue
        lowered = c.lower().replace("’", "'")
        sub = it.analyse(c)
        if any(sub.has(i) for i in (it.DO_NOT_CALL, it.WRONG_NUMBER, it.VOICEMAIL, it.ABUSIVE)):
            continue
        if _NOT_PENDING.match(lowered):
            continue
        if _REQUEST.search(lowered):
            return Pending(c.rstrip(".!"), "request")
        if c.rstrip().endswith("?") or (
            _QUESTION_START.match(lowered) and "?" not in text and len(lowered.split()) >= 3
        ):
            if sub.has(it.GOODBYE) and len(lowered.split()) <= 3:
                continue  # "bye?"
            return Pending(c.rstrip(".!"), "question")
    return None
