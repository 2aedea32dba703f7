"""What the caller meant: yes, no, goodbye, not interested... with the words that said it.

Recognisers give lower-case words without punctuation ("no thanks bye"), typed input
gives sentences ("No, I'm not done."), so matching works on normalised word tokens with
clause breaks where punctuation was. Phrases are matched longest first ("absolutely
not" beats "absolutely"), and a positive phrase preceded in its clause by "not"/"never"
is negated ("no, I'm not done" holds a no, but no goodbye).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

YES = "yes"
NO = "no"
GOODBYE = "goodbye"
NOT_INTERESTED = "not_interested"
COMPLETE = "conversation_complete"
WRONG_NUMBER = "wrong_number"
DO_NOT_CALL = "do_not_call"
VOICEMAIL = "voicemail"
CONTINUE = "continue"
ABUSIVE = "abusive"
UNRESOLVED = "unresolved"  # "it still says offline": what the agent tried did not help
# "If they answer with words, ask them for a number": an answer with no number in it.
# Not a phrase: `has_number` decides.
NOT_A_NUMBER = "not_a_number"

INTENT_LABELS = {
    YES: "yes",
    NO: "no",
    GOODBYE: "goodbye",
    NOT_INTERESTED: "not interested",
    COMPLETE: "conversation complete",
    WRONG_NUMBER: "wrong number",
    DO_NOT_CALL: "do not call",
    VOICEMAIL: "voicemail greeting",
    CONTINUE: "wants to go on",
    ABUSIVE: "rude or abusive",
    UNRESOLVED: "the problem persists",
    NOT_A_NUMBER: "an answer without a number",
}

_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve first second third "
    "fourth fifth half".split()
)


def has_number(said: Analysis) -> bool:
    """Whether the caller said a number ("4", "five", "I'd say a three")."""
    return any(t.isdigit() or t in _NUMBER_WORDS for clause in said.clauses for t in clause)


# Phrases per intent, in normalised form (contractions expanded, lower case).
# fmt: off
PHRASES: dict[str, list[str]] = {
    YES: [
        "yes", "yeah", "yea", "yep", "yup", "sure", "yeah sure", "absolutely", "definitely",
        "of course", "ok", "okay", "alright", "all right", "ready", "i am ready",
        "sounds good", "go ahead", "let us do it", "let us go", "why not", "certainly",
        "correct", "that is right", "i do", "i am in", "please do", "fine",
        "i guess so", "i think so", "uh huh", "affirmative", "totally", "for sure",
        "yes please", "i would love to", "i would like that", "that works", "i am interested",
        "go for it", "sounds great", "perfect", "speaking", "it is me", "that is me",
        "this is she", "this is he", "yes it is",
    ],
    NO: [
        "no", "nope", "nah", "not really", "no thanks", "no thank you", "not now", "not today",
        "not at the moment", "not right now", "i do not think so", "negative",
        "absolutely not", "definitely not", "certainly not",
        "not yet", "no way", "i will pass", "pass", "i am good", "maybe later",
        "not at this time", "i would rather not", "not ready", "i am not ready",
        "i can not", "i could not", "we can not", "i am unable", "i am not able",
    ],
    GOODBYE: [
        "goodbye", "good bye", "bye", "bye bye", "see you", "see ya", "talk to you later",
        "talk later", "have a good day", "have a nice day", "have a great day", "take care",
        "farewell", "i have to go", "i got to go", "i gotta go", "i need to go",
        "got to go", "gotta go", "hang up", "i am hanging up", "i will let you go",
        "good night", "catch you later", "bye for now", "gotta run", "i have to run",
        "i need to run", "i should go", "i am going to go", "you can hang up",
        "end the call", "end this call", "let us end the call", "talk soon", "so long",
        "i am leaving", "i will hang up", "cheers bye",
    ],
    NOT_INTERESTED: [
        "not interested", "i am not interested", "no interest", "do not want",
        "do not want it", "do not need", "do not need it", "not for me",
        "not something i need", "i will never buy", "stop selling",
    ],
    COMPLETE: [
        "that is all", "that is everything", "that is it", "nothing else", "i am done",
        "we are done", "all done", "all set", "i am all set", "no more questions",
        "that covers it", "that will be all", "i am finished", "we are finished",
        "that is all i needed", "i have what i need", "we are all good",
        "that is all for now", "that is all i need", "nothing more", "that should be it",
        "that is all for today", "no more", "i am all good", "that was all",
        "that answers my question", "that answers it", "that is everything i needed",
    ],
    WRONG_NUMBER: [
        "wrong number", "wrong person", "no one by that name", "nobody by that name",
        "you have the wrong", "you got the wrong", "no one here by that name",
        "nobody here by that name", "does not live here", "not the person",
    ],
    DO_NOT_CALL: [
        "do not call", "stop calling", "take me off", "remove me", "remove my number",
        "do not call list", "never call", "do not contact", "no more calls", "quit calling",
        "unsubscribe", "lose my number", "put me on your do not call list",
    ],
    VOICEMAIL: [
        "voicemail", "voice mail", "leave a message", "leave your message", "after the tone",
        "after the beep", "at the tone", "not available to take your call",
        "can not take your call", "can not come to the phone", "mailbox",
        "record your message", "leave your name and number", "please leave your name",
        "is not available", "unable to answer", "mailbox is full", "please record",
        "at the sound of the tone", "the number you have dialed", "after the signal",
        "i will get back to you", "i will call you back as soon as",
    ],
    CONTINUE: [
        "not done", "i am not done", "not finished", "hold on", "hang on", "wait a second",
        "wait a minute", "wait a moment", "just a second", "just a moment",
        "one more thing", "one more question", "another question", "i have a question",
        "not so fast", "before you go", "do not hang up", "do not go", "not over",
        "one second", "one sec", "actually wait", "wait wait",
    ],
    # Said after trying something: "still" or a past "did not". A first "it does not
    # work" describes the problem and is left out.
    UNRESOLVED: [
        "still not working", "still does not work", "still not fixed", "still broken",
        "still says", "still shows", "still showing", "still the same", "still getting",
        "still having", "still offline", "still down", "still blank", "did not work",
        "did not help", "did not fix", "that did not", "no luck", "no change",
        "nothing changed", "same problem", "same issue", "not fixed", "it is still not",
    ],
    ABUSIVE: [
        "shut up", "screw you", "go to hell", "piss off", "get lost", "you idiot",
        "idiot", "moron", "f off", "fuck off", "fuck", "fucking", "damn you",
        "you suck", "you are useless", "useless bot", "idiots",
    ],
}
# fmt: on

# Phrases that already carry their own negation are never negated again.
_NEGATIVE_INTENTS = {NO, NOT_INTERESTED, DO_NOT_CALL, WRONG_NUMBER, CONTINUE, ABUSIVE, UNRESOLVED}
_NEGATORS = {"not", "never"}
_NEGATION_WINDOW = 3

# fmt: off
_CONTRACTIONS = [
    (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"), (r"\bwon't\b", "will not"),
    (r"\bshan't\b", "shall not"), (r"\bain't\b", "am not"), (r"n't\b", " not"),
    (r"\bi'm\b", "i am"), (r"'re\b", " are"), (r"'ll\b", " will"), (r"'ve\b", " have"),
    (r"'d\b", " would"), (r"\blet's\b", "let us"), (r"\b(that|it|what|there|he|she)'s\b",
    r"\1 is"), (r"\bgonna\b", "going to"), (r"\bwanna\b", "want to"),
]
# fmt: on
_CLAUSE_BREAK = re.compile(r"[,.;:!?]+|\s-\s|\bbut\b")
_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> list[list[str]]:
    """Clauses of lower-case word tokens, contractions expanded."""
    s = text.lower().replace("’", "'").replace("‘", "'")
    for pattern, repl in _CONTRACTIONS:
        s = re.sub(pattern, repl, s)
    return [_WORD.findall(c) for c in _CLAUSE_BREAK.split(s) if _WORD.findall(c)]


def tokens_of(text: str) -> list[str]:
    return [t for clause in normalise(text) for t in clause]


@dataclass(frozen=True)
class PhraseHit:
    intent: str
    words: str
    clause: int
    start: int  # token index within the clause
    negated: bool = False
    negator: str = ""


@dataclass
class Analysis:
    """All the intents found in one utterance, with where they were found."""

    text: str
    clauses: list[list[str]]
    hits: list[PhraseHit] = field(default_factory=list)

    def has(self, intent: str) -> bool:
        return any(h.intent == intent and not h.negated for h in self.hits)

    def hit(self, intent: str) -> PhraseHit | None:
        for h in self.hits:
            if h.intent == intent and not h.negated:
                return h
        return None

    def negated(self, intent: str) -> PhraseHit | None:
        for h in self.hits:
            if h.intent == intent and h.negated:
                return h
        return None

    def polarity(self) -> PhraseHit | None:
        """The first yes or no in the utterance (a not-interested counts as a no)."""
        for h in sorted(self.hits, key=lambda h: (h.clause, h.start)):
            if not h.negated and h.intent in (YES, NO, NOT_INTERESTED):
                return h
        return None

    def contains_words(self, words: list[str]) -> bool:
        """Whether the words appear in order, contiguously, in one clause."""
        n = len(words)
        return n > 0 and any(
            clause[i : i + n] == words for clause in self.clauses for i in range(len(clause))
        )


_PHRASE_TOKENS: list[tuple[str, tuple[str, ...]]] = sorted(
    ((intent, tuple(p.split())) for intent, plist in PHRASES.items() for p in plist),
    key=lambda item: -len(item[1]),
)
# The same phrases by first word, each with its rank in the longest-first order.
_BY_FIRST: dict[str, list[tuple[int, str, tuple[str, ...]]]] = {}
for _rank, (_intent, _phrase) in enumerate(_PHRASE_TOKENS):
    _BY_FIRST.setdefault(_phrase[0], []).append((_rank, _intent, _phrase))


def analyse(text: str) -> Analysis:
    clauses = normalise(text)
    result = Analysis(text=text, clauses=clauses)
    for ci, clause in enumerate(clauses):
        taken = [False] * len(clause)
        found: list[tuple[int, str, tuple[str, ...]]] = []
        # Longest phrases first; a word belongs to one phrase only, so "absolutely not"
        # is a no and never also a yes, and "do not call list" is one do-not-call.
        matches = [
            (rank, i, intent, phrase)
            for i, word in enumerate(clause)
            for rank, intent, phrase in _BY_FIRST.get(word, ())
            if tuple(clause[i : i + len(phrase)]) == phrase
        ]
        for _rank, i, intent, phrase in sorted(matches):
            n = len(phrase)
            if not any(taken[i : i + n]):
                for k in range(i, i + n):
                    taken[k] = True
                found.append((i, intent, phrase))
        for i, intent, phrase in sorted(found):
            negator = ""
            if intent not in _NEGATIVE_INTENTS:
                window = clause[max(0, i - _NEGATION_WINDOW) : i]
                negator = next((w for w in reversed(window) if w in _NEGATORS), "")
            result.hits.append(PhraseHit(intent, " ".join(phrase), ci, i, bool(negator), negator))
    return result
