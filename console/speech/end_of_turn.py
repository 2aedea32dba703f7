"""When has the caller finished their turn? From the silence, and from what was said.

A fixed silence is a bad judge of a turn's end. Short, and it answers half a sentence
when the caller stops to think ("Yes, I am... ready to move forward"); long, and every
"No thanks." waits for it. The words say which case this is: an utterance that ends in
a conjunction, an article, a preposition, "I am", "um" or another phrase that cannot end
a sentence is unfinished, and the caller is given up to the maximum wait to go on; one
that is only "yes" or "no" so far may be the start of "No, thanks" (a comma-like pause),
so it waits half as long again as a complete answer; anything else is complete and ends
after the short wait.

The rules here are word lists, not a model: deterministic, cheap (microseconds), and
every decision carries the one-line reason the timeline shows. They read the recogniser's
words as vosk writes them (lower case, no punctuation, contractions like "i'm"); the
lists are English. Words the lists do not know (another language) count as complete, so
with a non-English model `adaptive` behaves like a fixed silence of the short wait.

What words cannot tell: "No." and "No, thanks" begin alike, "Yes, I am." and "Yes, I
am... ready" end alike. The first gets the opener's wait; the second waits the maximum
(the cost is latency on that answer, never a cut). Pitch would tell them apart; these
rules do not use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from console.core.config import TurnTaking

SILENCE = "silence"
ADAPTIVE = "adaptive"
RULES = (SILENCE, ADAPTIVE)

# -- what the words say ------------------------------------------------------------------

COMPLETE = "complete"
OPENER = "opener"  # only "yes", "no", "okay"... so far: a comma-like pause may follow
UNFINISHED = "unfinished"
NOTHING = "nothing"  # no words recognised (noise, or not decoded yet)

CONJUNCTIONS = frozenset(
    "and but or nor so because cause cuz if when whenever while whereas although though "
    "unless until till since whether plus".split()
)
ARTICLES = frozenset("a an the my your our their its his every each another".split())
PREPOSITIONS = frozenset(
    "to of for with from about at in on into onto as than between without towards toward "
    "via per like".split()
)
FILLERS = frozenset("um umm uh uhh uhm er erm hmm hm ah".split())
# Contracted forms never end an English sentence ("I'm." is not said).
CONTRACTIONS = frozenset(
    "i'm you're we're they're he's she's it's that's there's what's who's here's "
    "i've you've we've they've i'd you'd we'd they'd he'd she'd i'll you'll we'll "
    "they'll he'll she'll it'll".split()
)
COPULAS = frozenset("am is are was were be been".split())
SUBJECTS = frozenset("i you we they he she it that there this who".split())
# Verbs that want what comes next when they end the words so far ("I think", "I'd like").
WANTING_VERBS = frozenset(
    "think want need like mean hope wish wonder wondering believe suppose going trying "
    "gonna wanna gotta let".split()
)
# Verbs after which "so" closes the sentence ("I think so").
SO_VERBS = frozenset("think hope guess believe suppose said say afraid or".split())
AUXILIARIES = (
    frozenset("am is are was were do does did will would can could should have has had".split())
    | CONTRACTIONS
)
# Alone, these may be the whole answer or its first word before a comma ("No, thanks").
ANSWER_OPENERS = frozenset(
    "yes yeah yep yup no nope nah okay ok sure right alright oh hi hello hey fine great "
    "thanks mhm".split()
)
# Alone (or after an opener), these always lead into more: "Well, ...", "So, ...".
LEAD_INS = frozenset("well so actually honestly basically look listen anyway now".split())

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # words, with inner apostrophes


@dataclass(frozen=True)
class Judgement:
    """What the words so far say about the turn, and why (one line for the timeline)."""

    kind: str  # COMPLETE, OPENER, UNFINISHED or NOTHING
    why: str


def words_of(text: str) -> list[str]:
    """The words as the rules compare them: lower case, letters and apostrophes only.

    vosk's English models write lower-case words without punctuation and mark words they
    could not place as "[unk]"; those are dropped. The script's text (benchmarks) passes
    through the same filter, so the rules never see a comma vosk would not give."""
    tokens = []
    for raw in text.lower().replace("\u2019", "'").split():
        if raw.startswith("[") or raw.startswith("<"):
            continue
        tokens += [t.strip("'") for t in _TOKEN.findall(raw)]
    return [t for t in tokens if t]


def judge(text: str) -> Judgement:
    """Complete, an opener, unfinished, or nothing: from the last word or two."""
    words = words_of(text)
    if not words:
        return Judgement(NOTHING, "nothing recognised")
    last = words[-1]
    before = words[-2] if len(words) > 1 else ""
    if last in LEAD_INS and all(w in ANSWER_OPENERS or w in LEAD_INS for w in words):
        return Judgement(UNFINISHED, f"only {_said(words)} so far: a lead-in")
    if len(words) == 1 and last in ANSWER_OPENERS:
        return Judgement(OPENER, f"only {_said(words)} so far: may go on after a comma")
    if last in FILLERS:
        return Judgement(UNFINISHED, f"ends with the hesitation '{last}'")
    if last == "so" and before in SO_VERBS:
        return Judgement(COMPLETE, f"complete: ends with '{before} so'")
    if last in CONJUNCTIONS:
        return Judgement(UNFINISHED, f"ends with the conjunction '{last}'")
    if last in ARTICLES:
        return Judgement(UNFINISHED, f"ends with the article '{last}'")
    if last in ("like", "want") and before == "you":  # "if you like", "whatever you want"
        return Judgement(COMPLETE, f"complete: ends with 'you {last}'")
    if last in WANTING_VERBS and before in SUBJECTS | AUXILIARIES | {"me", "to"}:
        return Judgement(UNFINISHED, f"ends with '{before} {last}', which wants more")
    if last in PREPOSITIONS:
        return Judgement(UNFINISHED, f"ends with the preposition '{last}'")
    if last in CONTRACTIONS:
        return Judgement(UNFINISHED, f"ends with '{last}', which cannot end a sentence")
    if last in COPULAS:  # "I am", "the best time is", "that would be"
        return Judgement(UNFINISHED, f"ends with '{' '.join(words[-2:])}'")
    if last == "not" and before in AUXILIARIES:
        return Judgement(UNFINISHED, f"ends with '{before} not'")
    if last == "me" and before == "let":
        return Judgement(UNFINISHED, "ends with 'let me'")
    return Judgement(COMPLETE, f"complete: ends with '{last}'")


def _said(words: Sequence[str]) -> str:
    return "'" + " ".join(words) + "'"


# -- how long to wait --------------------------------------------------------------------


@dataclass(frozen=True)
class Wait:
    """End the turn once the caller has been quiet this long; `why` says how it was set."""

    silence_s: float
    why: str


@dataclass(frozen=True)
class TurnEnd:
    """How a turn ended: by which rule, after how much silence, and why."""

    rule: str  # "silence", "adaptive", or "call end" (words pending when the line dropped)
    silence_s: float
    why: str

    def fields(self) -> dict[str, object]:
        """As the keyword arguments of `CallEngine.caller_utterance` (the timeline's)."""
        return {"end_rule": self.rule, "end_silence_s": self.silence_s, "end_why": self.why}


class EndOfTurn(Protocol):
    """A rule that says how much silence ends the turn, given the words so far."""

    name: str

    @property
    def shortest_s(self) -> float:
        """The least silence that can end a turn (the decoder is flushed before it)."""
        ...

    def wait(self, text: str) -> Wait: ...


@dataclass(frozen=True)
class SilenceRule:
    """The classic endpointer: a fixed silence, whatever was said."""

    silence_s: float
    name: str = SILENCE

    @property
    def shortest_s(self) -> float:
        return self.silence_s

    def wait(self, text: str) -> Wait:
        return Wait(self.silence_s, f"{self.silence_s * 1000:.0f} ms of silence")


@dataclass(frozen=True)
class AdaptiveRule:
    """A complete answer ends after `min_s`; a lone "yes"/"no" after half as long again
    (a comma-like pause may follow); an unfinished one after `max_s`."""

    min_s: float
    max_s: float
    name: str = ADAPTIVE

    @property
    def shortest_s(self) -> float:
        return self.min_s

    @property
    def opener_s(self) -> float:
        return min(self.max_s, 1.5 * self.min_s)

    def wait(self, text: str) -> Wait:
        verdict = judge(text)
        if verdict.kind == UNFINISHED:
            return Wait(self.max_s, f"{verdict.why}: waits up to {self.max_s * 1000:.0f} ms")
        if verdict.kind == OPENER:
            return Wait(self.opener_s, verdict.why)
        return Wait(self.min_s, verdict.why)


def rule_for(turn_taking: TurnTaking) -> EndOfTurn:
    """The rule a config's `agent.turn_taking` section asks for."""
    if turn_taking.end_of_turn == ADAPTIVE:
        return AdaptiveRule(
            turn_taking.min_end_of_turn_ms / 1000.0, turn_taking.max_end_of_turn_ms / 1000.0
        )
    return SilenceRule(turn_taking.endpoint_silence_ms / 1000.0)


class TurnEnding:
    """One rule applied to one stretch of quiet: judged once the words are in (after the
    decoder is flushed), and again after every new sound from the caller."""

    def __init__(self, rule: EndOfTurn) -> None:
        self.rule = rule
        self.wait: Wait | None = None

    def sound(self) -> None:
        """The caller made a sound: the words so far will change; judge again."""
        self.wait = None

    def check(self, quiet_s: float, text: Callable[[], str]) -> TurnEnd | None:
        """The turn's end, if `quiet_s` of silence is enough after the words so far
        (`text()`, read once per pause: the rule judges them when the pause begins)."""
        if self.wait is None:
            self.wait = self.rule.wait(text())
        if quiet_s + 1e-9 >= self.wait.silence_s:
            return TurnEnd(self.rule.name, quiet_s, self.wait.why)
        return None
