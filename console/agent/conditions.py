"""Conditions as people write them, read once and matched against what the caller said.

"If the contact responds no", "when the user wants to end the call", "if the lead
becomes rude", "only when the user explicitly requests it", "when appropriate",
`[ If O = "remove me" ]`, "If you hear 'leave a message'": each becomes a `Condition`
naming the caller intents it stands for, the phrases it quotes and, when it names
neither, its content words. The same reader serves prompt rules and End Call
descriptions, so both understand the same phrasings, and every match says how it
matched ("no", "phrase 'that's all, bye'", "words busy").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from console.agent import intents as it
from console.agent.prompt_text import mask, quotes

CALLER = "caller"  # what the caller says or does (or what the agent hears)
AGENT = "agent"  # the agent's own progress: "once you have confirmed the time"
OTHERWISE = "otherwise"  # any other answer
VAGUE = "vague"  # "when appropriate": read as goodbye or conversation complete

_NEGATOR = re.compile(r"\b(?:not|never|n't|no longer)\b")
# fmt: off
_CUES: list[tuple[str, str]] = [
    (it.VOICEMAIL,
     r"voice ?-?mail|answering (?:machine|service)|\bmachine\b|leave a message|\bbeep\b|"
     r"automated (?:greeting|message|system|voice)|\bivr\b|mailbox|recorded (?:greeting|message)"),
    (it.DO_NOT_CALL,
     r"do not call|don'?t call (?:them|him|her|me|again|back)|stop calling|not to be called|"
     r"not be called|no more calls|opts? out|opt-out|do-not-call|\bdnc\b|\bremoved?\b|"
     r"unsubscribe|take (?:them|him|her|me) off|off (?:the|your|our) (?:list|calling list)|"
     r"never (?:to )?call (?:them|again)"),
    (it.WRONG_NUMBER,
     r"wrong (?:number|person)|not the (?:right|correct|intended) (?:person|number)|"
     r"(?:isn'?t|is not|aren'?t|are not) (?:the person|\{\w+\})|"
     r"(?:doesn'?t|does not) know (?:the|who)|"
     r"no one (?:by|named)|nobody (?:by|named)|never heard of"),
    (it.ABUSIVE,
     r"\brude\b|abusive|\babuse|hostile|aggressive|\bswear|\bcurs(?:e|es|ing)\b|profan|"
     r"threat|harass|offensive|insult|\byell|vulgar|inappropriate language|disrespect|"
     r"belligerent|\birate\b"),
    (it.NOT_INTERESTED,
     r"not interested|no interest|uninterested|\bdeclines?\b|\bdeclined\b|\brefuses?\b|"
     r"\brefused\b|turns? (?:it |you |the offer )?down|\brejects?\b|"
     r"(?:doesn'?t|does not|don'?t|do not|no longer) (?:want|wish) (?:it|to (?:continue|"
     r"proceed|talk|buy|hear|go on|move forward))|(?:isn'?t|is not|aren'?t|are not) interested|"
     r"not (?:a )?good fit|says no to"),
    (it.GOODBYE,
     r"good-?bye|\bbye\b|farewell|hangs? up|wants? to (?:leave|go\b|hang|end|stop|finish|get off|"
     r"wrap)|(?:asks?|requests?|wish(?:es)?|tries|is ready|are ready) to (?:end|hang|stop|finish|"
     r"leave|go\b|wrap)|ends? the (?:call|conversation|chat)|\bleaves?\b|signs? off|"
     r"explicitly (?:requests?|asks?|says?|wants?)|(?:has|have|needs?) to (?:go|run|leave)|"
     r"\bleaving\b|requests? (?:it|that|this|to end)"),
    (it.UNRESOLVED,
     r"(?:do(?:es)?n'?t|do(?:es)? not|did not|didn'?t|fails? to|failed to) (?:fix|solve|resolve|"
     r"work|help)|(?:problem|issue|fault|error) (?:persists?|remains?|continues?)|\bpersists?\b|"
     r"\bstill (?:not|doesn'?t|isn'?t|broken|happening|there)|(?:is|are) not (?:fixed|resolved|"
     r"solved)|\bunresolved\b|no luck"),
    (it.NOT_A_NUMBER,
     r"(?:answers?|responds?|replies?) (?:with|in) (?:words|text)|(?:doesn'?t|does not|don'?t|"
     r"do not|fails? to|can'?t|cannot) (?:give|say|answer with|provide|use|pick|choose) a number|"
     r"\bnot (?:a|with a) number\b|\bno number\b|non-?numeric|(?:isn'?t|is not) a number"),
    (it.COMPLETE,
     r"\bcomplete\b|\bcompleted\b|\bfinished\b|\bover\b|\bdone\b|\bresolved\b|"
     r"wrap(?:s|ped)? up|nothing (?:else|more|further)|"
     r"no (?:more|other|further|additional) (?:questions?|requests?|help|needs?|concerns?|"
     r"issues?|topics?)|(?:do(?:es)?n'?t|do(?:es)? not) (?:have|need) (?:any(?:thing)? )?"
     r"(?:more|other|further|additional|else)|(?:has|have|got) (?:everything|all (?:they|the))|"
     r"all set|(?:all|every) (?:of )?(?:their |the |your )?questions? (?:is |are |has been |"
     r"have been )?(?:answered|addressed|resolved)|"
     r"(?:task|goal|request|issue|purpose|question|inquiry|need|problem)s? (?:is |are |has been |"
     r"have been )?(?:complete|done|achieved|handled|resolved|answered|addressed|met|solved)|"
     r"\bconclude|natural (?:end|close|conclusion)|naturally (?:end|close)|\bsatisf|"
     r"no reason to (?:continue|stay)|nothing left"),
    (it.YES,
     r"^(?:yes|yeah|so|yep|sure|affirmative|positive|correct|interested)$|"
     r"says? (?:yes|yeah|sure|ok|okay)\b|answers? (?:yes|yeah|positively|in the affirmative)|"
     r"respon(?:ds?|ded) (?:yes|yeah|positively|affirmatively)|\bagrees?\b|\bconfirms?\b|"
     r"\bconfirmed\b|\baccepts?\b|(?:is|are) interested|is (?:the )?(?:right|correct) person|"
     r"(?:is|are) \{\w+\}|is the account holder|"
     r"wants? to (?:proceed|continue|book|move forward|go ahead|schedule|sign up|buy)|"
     r"(?:has|have) (?:a|the) (?:minute|moment)|(?:is|are) (?:ready|available)|"
     r"answers? in the affirmative|\b(?:a )?(?:good|convenient) time\b|"
     r"^(?:they|he|she|the (?:caller|customer|user|contact|lead|prospect|patient|client|"
     r"person|debtor)) (?:can|could|will|would|do|does|did)(?: (?!not\b)\w+)?$"),
    (it.NO,
     r"^(?:no|not|nope|negative|incorrect)$|says? no\b|answers? (?:no|negatively|in the negative)|"
     r"respon(?:ds?|ded) (?:no|negatively)|\bdisagrees?\b|"
     r"(?:doesn'?t|does not|don'?t|do not) have (?:a |the )?(?:minute|moment|time)|"
     r"(?:is|are) not (?:ready|available)|can'?t talk|cannot talk|\bbad time\b|"
     r"^(?:they|he|she|the (?:caller|customer|user|contact|lead|prospect|patient|client|"
     r"person|debtor)) (?:cannot|can'?t|can not|couldn'?t|could not|won'?t|will not|"
     r"wouldn'?t|would not|don'?t|do not|doesn'?t|does not|didn'?t|did not)(?: \w+)?$"),
]
# fmt: on
_CUE_RES = [(intent, re.compile(p, re.I)) for intent, p in _CUES]

_CONFIRMS_THAT = re.compile(
    r"\bconfirm(?:s|ed)?\s+(?:that\s+)?(?:they|he|she|it|the|their|there|everything|all)\b"
)
_NOT_THEM = re.compile(
    r"(?:isn'?t|is not|aren'?t|are not) (?:the (?:right |correct )?person|\{\w+\})"
)
_DECLINE = re.compile(r"\bdeclin|\brefus|\bturns? (?:it |you |the offer )?down|\breject", re.I)
_OTHERWISE = re.compile(
    r"^\s*(?:otherwise|else|in (?:any|all) other cases?|(?:they |the \w+ )?says? "
    r"(?:anything|something) else|any other (?:answer|response|reply)|for (?:any|all) other)\b",
    re.I,
)
_VAGUE = re.compile(
    r"^\s*(?:(?:it is|it's|it seems|you think it is|you feel it is)\s+)?(?:appropriate|"
    r"necessary|needed|relevant|required|applicable|suitable|it makes sense|the time is right|"
    r"you see fit|you judge it right)\s*$",
    re.I,
)
_PERSON = (
    r"(?:they|he|she|the (?:caller|customer|user|contact|lead|prospect|patient|client|person|"
    r"homeowner|guest|member|debtor|account holder|tenant|buyer|seller|donor|student|parent))"
)
# "the customer has booked or declined": an outcome of the script, known after its end.
# A thing that "has expired" is the caller's situation, heard in their words; a thing that
# "has been booked" is the script's outcome again.
_OUTCOME = re.compile(
    rf"^\s*(?:{_PERSON}\s+(?:has|have|had)\s+(?:\w+\s+)?\w+ed|the \w+\s+(?:has|have|had) been "
    r"\w+ed)\b",
    re.I,
)
# "After they give the address, go to wrap_up": whatever they answer, the answer is given.
_ANY_ANSWER = re.compile(
    rf"^\s*(?:after|once|as soon as|when)\s+{_PERSON}\s+(?:(?:has|have) )?(?:give|gives|gave|"
    r"given|provide|provides|provided|share|shares|shared|state|states|stated|tell you|tells "
    r"you|told you)\b(?!.*\b(?:consent|permission|approval|ok|okay|go-ahead|yes|no|wrong|"
    r"invalid|incorrect|false|fake|bad)\b)",
    re.I,
)
# "If they want to book a routine job": a yes to "would you like to book?", and the verb
# itself when the caller says it unasked ("I'd like to book someone").
_WANTS_VERB = re.compile(r"\bwants? to (book|schedule|sign up|buy)\b")
_PERCEIVE = re.compile(
    r"^\s*(?:you|we)\s+(?:hear|reach|get|detect|encounter|land|hit|notice|receive|are "
    r"(?:sent|connected|transferred|talking|speaking|put)|speak|talk|connect)\b",
    re.I,
)
_AGENT_SUBJECT = re.compile(
    r"^\s*(?:you|we|you've|you have|you're|you are|the agent|the assistant|the ai)\b|"
    r"^\s*(?:after|once)?\s*(?:you\s+)?(?:confirming|booking|collecting|answering|finishing|"
    r"completing|scheduling|sharing|explaining|gathering|getting|delivering|giving|reading)\b",
    re.I,
)
# fmt: off
_STOPWORDS = frozenset(
    """
    a about am an and answer answers any anything are as ask asks asked at be been being by
    caller contact customer did do does doing for from he her his how i if
    in is it its lead me mention mentions my of on or person prospect replies reply respond
    responds say says said she some something tell tells that the their them then there they
    this to user want wants with you your patient client homeowner member like such following
    phrase phrases words word things thing when whenever once after will would can could
    should just only explicitly also either have has had been not no don't never
    describe describes described report reports someone somebody now
    """.split()
)
# fmt: on


@dataclass(frozen=True)
class Condition:
    text: str  # as written
    kind: str  # CALLER, AGENT, OTHERWISE or VAGUE
    intents: tuple[str, ...] = ()  # caller intents it stands for, in the order written
    phrases: tuple[str, ...] = ()  # quoted phrases or phrase-list items, matched as words
    words: tuple[str, ...] = ()  # content words, when it names no intent and no phrase
    note: str = ""  # how it was read, when that needs saying ("'appropriate' read as ...")
    # The words again, one group per alternative the condition lists ("a leak, a burst
    # pipe or flooding"): every word of one alternative is enough.
    groups: tuple[tuple[str, ...], ...] = ()
    # Intents that count only the second time ("warned once and kept going", "if it
    # continues" after "if they become abusive, warn them once").
    again: tuple[str, ...] = ()
    # "If the code has expired", "if the locker will not open": a thing and what happens
    # to it. One of these words must be heard ("the code is 4 8 2" is not "expired").
    required: tuple[str, ...] = ()
    # Words under a negation in the condition ("will not open"): heard only negated
    # ("it won't open"), never in "it opened".
    negated: tuple[str, ...] = ()

    def describe(self) -> str:
        """The condition as the agent understood it, for the prompt map."""
        if self.kind == OTHERWISE:
            return f"any answer ({self.note})" if self.note else "any other answer"
        parts = [it.INTENT_LABELS[i] for i in self.intents]
        parts += [f'"{p}"' for p in self.phrases]
        if self.words and not parts:
            parts.append("words " + ", ".join(self.words))
        if self.kind == AGENT:
            return f"after the agent has done it ({' '.join(self.words) or self.text.strip()})"
        text = " or ".join(parts) if parts else "nothing the agent can hear"
        if self.again:
            again = " or ".join(it.INTENT_LABELS[i] for i in self.again)
            text += f" ({again} a second time: heard before in the call)"
        return text + (f" ({self.note})" if self.note else "")

    @property
    def understood(self) -> bool:
        return self.kind == OTHERWISE or bool(self.intents or self.phrases or self.words)


@dataclass(frozen=True)
class ConditionMatch:
    words: str  # the caller's words that matched
    how: str  # e.g. "no", "phrase 'call me later'", "words busy"
    intent: str = ""  # the intent matched, "" for phrases and words


# Words that name one topic, so "how much is the premium" meets "asks about prices".
_TOPICS = {
    "price": "cost premium fee rate charge pricing expensive cheap much afford payment pay quote",
    "hours": "open opening close closing hour",
    "location": "address located where directions",
    # "If the patient wants a different time": "can we move it?".
    "reschedule": "reschedule rescheduling move postpone rebook different",
    # "If the caller is selling something": a pitch rarely says "sell".
    "sales": "sell selling sales salesperson salesman marketing advertising advertisement "
    "solicitor solicitation telemarketer telemarketing",
}
_TOPIC_OF = {w: topic for topic, words in _TOPICS.items() for w in words.split()}


def _stem(word: str) -> str:
    """Plural to singular, well enough to match "classes" with "class"; a topic's words
    to the topic."""
    word = _singular(word)
    return _TOPIC_OF.get(word, word)


def _singular(word: str) -> str:
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _same_word(a: str, b: str) -> bool:
    """ "deliver" and "delivery", "price" and "pricing": one word for a condition."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short):
        return True
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n >= 5 and n * 10 >= len(short) * 7


def _negated_before(masked: str, start: int) -> bool:
    window = " ".join(masked[:start].split()[-3:])
    return bool(_NEGATOR.search(window.lower()))


@lru_cache(maxsize=2048)
def read_condition(text: str, extra_phrases: tuple[str, ...] = ()) -> Condition:
    """Read one condition. `extra_phrases` come from a phrase list under it."""
    phrases = tuple(dict.fromkeys([*quotes(text), *extra_phrases]))
    masked = mask(text)
    plain = re.sub(r'"_*"', " ", masked)
    plain = re.sub(r"`[^`]*`", " ", plain)
    plain = re.sub(r"[\[\]*]", " ", plain)
    plain = re.sub(r"\bO\s*=", " says ", plain)  # `[ If O = "remove me" ]`
    lowered = " ".join(plain.lower().replace("’", "'").split())
    lowered = re.sub(r"^(?:otherwise|else)\s*,?\s+(?=(?:if|when)\b)", "", lowered)
    stripped = re.sub(
        r"^(?:if|elif|else if|when|whenever|once|after|as soon as|in case|upon|should|unless|"
        r"only if|only when)\s+",
        "",
        lowered,
    ).strip(" .,:;-")
    if _OTHERWISE.match(stripped) and not phrases:
        return Condition(text, OTHERWISE)
    if _ANY_ANSWER.match(lowered) and not phrases:
        return Condition(text, OTHERWISE, note="any answer gives it")
    if _VAGUE.match(stripped) or re.fullmatch(r"(?:when |if )?(?:appropriate|necessary)", lowered):
        return Condition(
            text,
            VAGUE,
            (it.GOODBYE, it.COMPLETE),
            note=f"{stripped!r} read as: the caller says goodbye or the conversation is complete",
        )
    kind = CALLER
    outcome = bool(_OUTCOME.match(stripped))
    if (_AGENT_SUBJECT.match(stripped) and not _PERCEIVE.match(stripped)) or outcome:
        kind = AGENT
    found: list[str] = []
    again: list[str] = []
    spans: list[tuple[int, int]] = []
    for intent, cue in _CUE_RES:
        for m in cue.finditer(stripped):
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue
            negated = _negated_before(stripped, m.start()) and intent not in (
                it.NOT_INTERESTED,
                it.NO,
                it.DO_NOT_CALL,
            )
            if negated and intent == it.YES:
                intent_now = it.NO
            elif negated:
                continue
            else:
                intent_now = intent
            spans.append((m.start(), m.end()))
            if intent_now not in found:
                found.append(intent_now)
                if _AGAIN.search(_clause_around(stripped, m.start(), m.end())):
                    again.append(intent_now)
            break
    if it.YES in found and len(found) > 1 and _CONFIRMS_THAT.search(stripped):
        found.remove(it.YES)  # "confirms they have no more questions": what is confirmed
    if it.NOT_INTERESTED in found and it.NO not in found and _DECLINE.search(stripped):
        found.append(it.NO)  # "if they decline": a no to the question asked is a decline
    if it.WRONG_NUMBER in found and it.NO not in found and _NOT_THEM.search(stripped):
        found.append(it.NO)  # "if the person is not {name}": a no to "Am I speaking with ...?"
    if kind == AGENT and it.COMPLETE in found:
        kind = CALLER  # "when you have answered all their questions": the talk is over
    elif kind == AGENT:
        found = [i for i in found if i not in (it.YES, it.NO)]  # "once you've confirmed"
    words: tuple[str, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()
    if not phrases:
        rest = stripped
        for a, b in sorted(spans, reverse=True):
            rest = rest[:a] + " " + rest[b:]
        content = [
            _stem(w)
            for w in it.tokens_of(rest)
            if w not in _STOPWORDS and len(w) > 1 and not w.isdigit()
        ]
        listed = bool(found and content and re.search(r"\b(?:or|and)\b", rest))
        if not found or (content and kind == AGENT) or listed:
            words = tuple(dict.fromkeys(content))
            groups = _alternatives(rest) if words and not found else ()
        wanted = _WANTS_VERB.search(stripped)
        if wanted and it.YES in found and not words:
            words = (_stem(wanted.group(1).split()[0]),)
    if outcome:
        words = ()  # known at the end of the script, not from the words
    required: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()
    if words:
        # "they never asked for a test drive", "the locker will not open": the words after
        # a negation in their clause are heard only negated too.
        negated = tuple(
            dict.fromkeys(w for w in _after_negation(it.normalise(stripped)) if w in words)
        )
        pred = _THING_STATE.match(stripped)
        if pred is not None:
            state = {_stem(t) for t in it.tokens_of(pred.group(1))}
            required = tuple(w for w in words if w in state)
    return Condition(
        text,
        kind,
        tuple(found),
        phrases,
        words,
        groups=groups if words else (),
        again=tuple(i for i in again if i in found),
        required=required,
        negated=negated,
    )


# "the code has expired", "the locker will not open", "the parcel is damaged": a thing
# (not the caller) and what happens to it; group 1 is what happens.
_THING_STATE = re.compile(
    r"^(?:the|my|their|your|its|his|her) (?!caller|customer|user|contact|lead|prospect|patient|"
    r"client|person|debtor)[a-z]+(?: [a-z]+)? (?:has been|have been|has|have|is|are|was|were|"
    r"will not|won't|will|does not|doesn't|did not|didn't|can not|cannot|can't|keeps?|"
    r"shows?|says?) (.+)$"
)


_AGAIN = re.compile(
    r"\bwarn(?:ed|ing)?\b|\bkeeps? going\b|\bkept going\b|\bcontinues? to\b|\bpersists? in\b|"
    r"(?<!call )(?<!called )(?<!calling )(?<!contacted )(?<!back )\bagain\b|\ba second time\b|"
    r"\btwice\b|\brepeatedly\b|\bmore than once\b",
    re.I,
)


def _clause_around(text: str, start: int, end: int) -> str:
    """The part of a condition that belongs with one cue: "when X, or after an abusive
    caller was warned once and kept going" -> "after an abusive caller was warned ..."."""
    cuts = [m.end() for m in re.finditer(r",|;|\bor\b", text[:start])]
    stop = re.search(r",|;|\bor\b", text[end:])
    return text[cuts[-1] if cuts else 0 : end + stop.start() if stop else len(text)]


def _alternatives(rest: str) -> tuple[tuple[str, ...], ...]:
    """ "describes a leak, a burst pipe or flooding" -> (leak), (burst, pipe), (flooding):
    the alternatives a condition lists, when it lists more than one."""
    out = []
    for piece in re.split(r",|;|/|\bor\b", rest):
        group = tuple(
            dict.fromkeys(
                _stem(w)
                for w in it.tokens_of(piece)
                if w not in _STOPWORDS and len(w) > 1 and not w.isdigit()
            )
        )
        if group:
            out.append(group)
    return tuple(out) if len(out) > 1 else ()


def _negated_words(said: it.Analysis) -> set[str]:
    """The caller's words under a "not" / "never" ("it will not open" -> open)."""
    return set(_after_negation(said.clauses))


def _after_negation(clauses: list[list[str]]) -> list[str]:
    """The words after a "not", "never" or "no" in their clause, stemmed."""
    out = []
    for clause in clauses:
        seen = False
        for w in clause:
            if w in ("not", "never", "no"):
                seen = True
            elif seen:
                out.append(_stem(w))
    return out


def contains_phrase(said: it.Analysis, phrase: str) -> str | None:
    """The caller's words for `phrase` if they said it (across commas, not negated)."""
    wanted = it.tokens_of(phrase)
    if not wanted:
        return None
    flat = [w for clause in said.clauses for w in clause]
    n = len(wanted)
    for i in range(len(flat) - n + 1):
        if flat[i : i + n] == wanted:
            window = flat[max(0, i - 3) : i]
            if any(w in ("not", "never") for w in window) and not _negative_phrase(wanted):
                continue
            return " ".join(wanted)
    return None


def _negative_phrase(words: list[str]) -> bool:
    return bool({"not", "no", "never", "stop"} & set(words))


def match(
    cond: Condition,
    said: it.Analysis,
    answered_anything_else: bool = False,
    heard_before: frozenset[str] = frozenset(),
) -> ConditionMatch | None:
    """Whether the caller's words meet the condition, and how.

    `answered_anything_else`: the agent's last question was "anything else?", so a plain
    "no" means the conversation is complete. `heard_before`: the intents the caller
    showed in earlier turns, for the conditions that count only a second time.
    """
    if cond.kind == OTHERWISE:
        return None  # decided by the caller of `match`, after every other rule
    for phrase in cond.phrases:
        words = contains_phrase(said, phrase)
        if words:
            return ConditionMatch(words, f"phrase '{phrase}'")
    polar = [i for i in cond.intents if i in (it.YES, it.NO)]
    for intent in cond.intents:
        if intent in polar or (intent in cond.again and intent not in heard_before):
            continue
        if intent == it.NOT_A_NUMBER:
            if said.clauses and not it.has_number(said):
                return ConditionMatch(said.text.strip(), it.INTENT_LABELS[intent], intent)
            continue
        hit = said.hit(intent)
        if hit:
            return ConditionMatch(hit.words, it.INTENT_LABELS[intent], intent)
        if intent == it.COMPLETE and answered_anything_else:
            p = said.polarity()
            if (
                p is not None
                and p.intent in (it.NO, it.NOT_INTERESTED)
                and not said.has(it.CONTINUE)
            ):
                return ConditionMatch(p.words, "no to 'anything else?'", it.COMPLETE)
    if polar:
        p = said.polarity()
        if p is not None:
            got = it.YES if p.intent == it.YES else it.NO
            if got in polar and (got not in cond.again or got in heard_before):
                return ConditionMatch(p.words, it.INTENT_LABELS[got], got)
    if cond.words and cond.kind != AGENT:
        heard = {_stem(w) for clause in said.clauses for w in clause}
        unsaid = _negated_words(said)
        found = [
            w
            for w in cond.words
            if any(_same_word(w, h) for h in (unsaid if w in cond.negated else heard))
        ]
        if cond.required and not set(found) & set(cond.required):
            return None
        if found and len(found) * 2 >= len(cond.words):
            return ConditionMatch(" ".join(found), "words " + ", ".join(found))
        for group in cond.groups:
            if all(
                any(_same_word(w, h) for h in (unsaid if w in cond.negated else heard))
                for w in group
            ):
                return ConditionMatch(" ".join(group), "words " + ", ".join(group))
    return None
