"""One sentence of a prompt, read: a rule, a step's instruction, a "not an end", a line.

People write the same rule in many shapes; each shape here is read into one
`Statement`:

- `If the contact responds no, call end_call and say "Thanks."` (condition first);
- `Use end_call when the user says goodbye.` (condition after the action);
- `**No** -> say "Okay." -> use end_call` (arrows), `[ If O = "remove me" ] -> A: ...`
  (bracketed conditions), `If you hear "leave a message", ...`;
- `DO NOT call end_call when the user says 'thank you'` (a negated action: a "not an
  end" rule, never a trigger);
- `When you end the call, say "..."` (a closing line), `Begin the call with "..."`
  (an opening line), `Never say "guarantee"` (forbidden words);
- an instruction (`Ask for their email`), persona or style prose (context), or a
  sentence the agent cannot use (nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from console.agent.conditions import CALLER, VAGUE, Condition, read_condition
from console.agent.prompt_actions import _ACTION_VERBS, KNOWN_NAMES, Action, parse_actions
from console.agent.prompt_text import as_sentence, looks_like_function, mask, quotes, swap_person

WAIT = "wait"  # "Wait for their answer", "Listen to their concern": the agent listens
RULE, HEAD, NOT_END, INSTRUCTION, OPENING, CLOSING, FORBIDDEN, CONFIRM, CONTEXT, EXAMPLE, NONE = (
    "rule",
    "head",
    "not_end",
    "instruction",
    "opening",
    "closing",
    "forbidden",
    "confirm",
    "context",
    "example",
    "none",
)

_COND_START = re.compile(
    r"^\s*\(?\s*(?:if|elif|else if|else|otherwise|when|whenever|once|after|as soon as|"
    r"in case(?: of)?|in the event(?: that)?|"
    r"upon|should|unless|only if|only when|any ?time|every time|the moment|on (?:a |an |the )?"
    r"(?:voice ?-?mail|answering machine|machine|beep|recording|ivr))\b",
    re.I,
)
_COND_INNER = re.compile(
    r"\b(?:only\s+)?(?:when|whenever|if|once|as soon as|in case|unless|after|until|upon|while|"
    r"during)\b",
    re.I,
)
_INDIRECT = re.compile(
    r"\b(?:ask|asks|asking|know|knows|find out|check|see|wonder|confirm|determine|whether|"
    r"understand|learn|clarify|note|tell|remember|decide|figure out|verify|explain|describe|"
    r"sure|matter|regardless of|no matter)\s+(?:them\s+|him\s+|her\s+|the \w+\s+)?$",
    re.I,
)
_BARE_ASKED = re.compile(
    r"^\s*(?:if|when|whenever)\s+(?:asked|they ask|the \w+ asks|someone asks|questioned)"
    r"(?:\s+about\s+(?:it|this|that))?\s*[.!]?\s*$",
    re.I,
)
_ARROW = re.compile(r"\s*(?:->|=>|→|⇒|-->|—>)\s*")
_BRACKET = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(?:->|=>|→|⇒|:|-|,)?\s*(.*)$")
_ACTIONISH = re.compile(
    r"^\s*(?:you\s+(?:should|must|can|may|will|need to)\s+)?(?:(?:please|politely|immediately|"
    r"simply|just|always|kindly|gently|firmly|then|warmly|briefly|quickly|courteously|"
    rf"respectfully)\s+)*(?:do not\s+|don't\s+|never\s+)?(?:{_ACTION_VERBS}|\"|`|A\s*:)",
    re.I,
)
_HEAD_END = re.compile(
    r"(?::|\blike|such as|any of (?:the following|these)(?: phrases| things)?|the following|"
    r"one of these|similar to|e\.g\.?|for example|something like)\s*$",
    re.I,
)
_NEG_END = re.compile(
    r"(?:^|\b)(?:do not|don't|dont|never|must not|mustn't|should not|shouldn't|avoid|cannot|"
    r"can't|no need to)\s+(?:ever\s+|prematurely\s+|immediately\s+|automatically\s+|just\s+)?"
    r"(?:call|use|invoke|trigger|run|end|hang|terminate|disconnect|close|finish|drop|"
    r"trigger|fire|activate|cut)\b",
    re.I,
)
_WAIT = re.compile(
    r"^\s*(?:(?:then|now|and|always|patiently|just|simply)\s+)*(?:wait|listen|pause|hold|"
    r"let (?:them|the \w+) (?:speak|answer|respond|finish|talk|explain))\b(?!.*\b(?:if|when|"
    r"unless|then|and (?:say|ask|call|end|use))\b)",
    re.I,
)
_ANSWER_LABEL = re.compile(
    r"^\s*(yes|yeah|no|nope|otherwise|else|maybe|not sure)\s*[:=]\s*(\S.*)$", re.I
)
_DIALOGUE = re.compile(
    r"^\s*(?:you|agent|ai|assistant|bot|user|caller|customer|human|lead|contact|prospect|"
    r"patient|client|me|rep|representative|receptionist|person|them|they)\s*(?:\([^)]*\))?\s*"
    r"(?::|says?\s*:)\s*\S",
    re.I,
)
_OPENING = re.compile(
    r"(?:(?:your|the) (?:first|opening|initial) (?:message|line|sentence|words?|greeting|"
    r"response)\s+(?:is|should be|must be|will be)|(?:begin|start|open)(?: (?:the|every|each|"
    r"all|your) (?:calls?|conversations?))?(?: by saying| with(?: the (?:line|greeting|phrase|"
    r"words))?)|greet (?:the (?:caller|user|customer|contact|lead|patient|prospect)|them|"
    r"callers|users|everyone|people) (?:by saying|with)|(?:always )?(?:say|use) (?:this|the "
    r"following) (?:greeting|opening)|before (?:discussing|saying|talking about|asking) "
    r"anything(?: else)?,? (?:always )?(?:say|state|read)(?: exactly| verbatim)?)\s*[:,-]?\s*",
    re.I,
)
# "Before discussing anything, confirm you are speaking with {debtor_name}. Ask: "..."":
# the call opens with a check; its line is the quoted question that follows.
_OPENING_CHECK = re.compile(
    r"^\s*(?:before (?:discussing|saying|talking about|doing|asking) anything(?: else)?|before "
    r"anything else|first of all|at the (?:very )?start of (?:the|every|each) call),?\s+"
    r"(?:always\s+)?(?:confirm|verify|check|make sure|ensure|ask)\b",
    re.I,
)
_CLOSING = re.compile(
    r"(?:(?:your|the) (?:final|last|closing) (?:message|line|sentence|words?)\s+(?:is|should be|"
    r"must be|will be)|(?:end|close|finish|conclude) (?:the|every|each|all|your) (?:calls?|"
    r"conversations?) (?:by saying|with\b)|sign off with|(?:before|when|as) (?:you )?"
    r"(?:hang(?:ing)? up|end(?:ing)? (?:the|a|every|each) (?:call|conversation)|"
    r"clos(?:e|ing) (?:the|a) call|say(?:ing)? goodbye)|(?:as|for) (?:the|your) "
    r"(?:goodbye|farewell|sign-?off))",
    re.I,
)
_CONFIRM = re.compile(
    r"(?:before|prior to)\s+(?:you\s+)?(?:end|hang|clos|say(?:ing)? goodbye|wrap|terminat)\w*"
    r".*\b(?:ask|check|confirm|make sure|ensure|verify)\b.*\b(?:anything else|other questions|"
    r"more questions|further questions|anything more|else)\b|"
    r"\b(?:ask|check|confirm|make sure|ensure|verify)\b.*\b(?:anything else|other questions|"
    r"further questions|more questions)\b.*\b(?:before|prior to)\b.*\b(?:end|hang|clos|goodbye|"
    r"wrap|terminat)",
    re.I,
)
_FORBID = re.compile(
    r"^\s*(?:you\s+(?:must|should)\s+)?(?:never|do not|don't|avoid|must not)\s+(?:ever\s+)?"
    r"(?:say(?:ing)?|use|using|mention(?:ing)?|utter|speak|pronounce|promis(?:e|ing)|"
    r"guarantee(?:ing)?|offer(?:ing)?)\s+(.*)$",
    re.I,
)
_CONTEXT = re.compile(
    r"^\s*(?:you are|you're|you'll be|your (?:name|role|job|goal|purpose|task|personality|"
    r"tone|style|voice|company|main|primary|responses|answers)|you (?:work|represent|speak|"
    r"sound|have access|can help|help|handle|answer|assist)|(?:you|we) (?:should|must) "
    r"(?:be|sound|speak|keep|use|remain|stay|always|never|avoid|sound)|we are|we're|our |"
    r"the company|this is an?|this agent|keep (?:your |the |all |every |each )?(?:responses?|"
    r"answers?|replies|sentences|it|things)|be (?:polite|friendly|concise|brief|warm|"
    r"professional|empathetic|patient|helpful|clear|calm|natural|confident|respectful|"
    r"courteous|kind|direct|honest|positive|upbeat|conversational)|speak|sound|talk|use "
    r"(?:simple|plain|natural|short|a |casual|formal|conversational|everyday|clear|the "
    r"caller's|their)|avoid (?:jargon|long|technical|filler|emojis|lists|markdown|sounding|"
    r"being)|maintain|stay|remain|always (?:be|speak|sound|use|remain|stay|keep|maintain|"
    r"respond in)|never (?:be|sound|use (?:jargon|emojis|markdown|lists)|interrupt|rush|reveal|"
    r"make up|invent|guess|provide|give|share|lie|pretend|argue)|do not (?:use (?:jargon|"
    r"emojis|markdown|lists|bullet)|interrupt|rush|reveal|make up|invent|guess|provide|give|"
    r"share|lie|pretend|argue)|don't (?:use (?:jargon|emojis|markdown|lists)|interrupt|rush|"
    r"reveal|make up|invent|guess|provide|give|share|lie|pretend|argue)|note|remember|"
    r"important|tip|hint|follow (?:this|the|these|my) (?:script|steps|flow|instructions|"
    r"rules|order)|help|assist|support|serve|guide|handle|answer (?:questions|any|all|"
    r"their|general|common|caller)|provide (?:information|support|help|details|answers))\b",
    re.I,
)
_INSTRUCTION = re.compile(
    r"^\s*(?:(?:then|next|first|finally|also|please|always|politely|warmly|briefly|"
    r"immediately|simply|just|kindly|gently|now|only)\s*,?\s+)*(?:say|ask|greet|welcome|introduce|"
    r"tell|let|inform|remind|confirm|verify|collect|get|obtain|gather|take|request|capture|"
    r"record|offer|explain|mention|state|thank|wish|apologi[sz]e|end|hang|terminate|close|"
    r"finish|call|use|invoke|trigger|transfer|schedule|book|answer|respond|reply|repeat|read|"
    r"go|proceed|move|skip|wait|listen|leave|check|ensure|make sure|find out|determine|"
    r"identify|qualify|pitch|present|discuss|handle|help|assist|provide|share|send|note|log|"
    r"update|cancel|reschedule|follow|start|begin|open|wrap|conclude|bid|transition|hand off|"
    r"route|escalate|deliver|recap|summari[sz]e|review|pause|acknowledge|empathi[sz]e|"
    r"reassure|probe|gauge|ascertain|establish|set|warn)\b",
    re.I,
)
_STYLE = re.compile(
    r"\b(?:tone|concise|brief|friendly|polite|professional|natural|empathetic|warm|language|"
    r"sentence|emoji|markdown|format|pronounc|spell|digits|filler|persona|personalit|jargon|"
    r"casual|formal|conversational|human-like|robotic|upbeat|enthusiastic|courteous|accent|"
    r"pace|slowly|clearly|by voice|spoken|speaking|short|lists|symbols|abbreviat)",
    re.I,
)
_ABOUT_ENDING = re.compile(
    r"\bend(?:s|ing)?\b.{0,20}\b(?:call|conversation)\b|\bhang(?:s|ing)?\s*up\b|\bterminat|"
    r"\bdisconnect|\bgoodbye\b|\bend_?call\b",
    re.I,
)


@dataclass(frozen=True)
class Statement:
    kind: str
    text: str
    cond: Condition | None = None
    cond_text: str = ""
    actions: tuple[Action, ...] = ()
    line: str = ""  # opening/closing line
    words: tuple[str, ...] = ()  # forbidden words
    instruction_like: bool = False  # reads like an instruction (for the "not understood" lint)
    about_ending: bool = False


def reads_like_instruction(text: str) -> bool:
    masked = mask(text)
    return bool(
        _INSTRUCTION.match(masked)
        or _COND_START.match(masked)
        or re.search(r"\b(?:must|should|always|never|only|do not|don't)\b", masked, re.I)
        or any(looks_like_function(w.strip(".,;:()`'\"")) for w in masked.split())
    )


def about_ending(text: str) -> bool:
    return bool(_ABOUT_ENDING.search(mask(text)))


def _split_leading(text: str, masked: str) -> tuple[str, str] | None:
    """`If X, then Y` -> (X, Y); (X, "") when the sentence is only a condition."""
    head = _COND_START.match(masked)
    if head is None:
        return None
    if re.match(r"^\s*\(?\s*(?:else|otherwise)$", masked[: head.end()], re.I):
        after = masked[head.end() :]
        if _ACTIONISH.match(after) and not re.match(r"^\s*(?:,|:|if\b|when\b)", after, re.I):
            return text[: head.end()], text[head.end() :]  # "Otherwise go to step 3"
    seps = re.finditer(
        r",\s*(?:then\s+)?|\s+then\s+|\s*:\s*|\s+[-–—]\s+|\s*(?:->|=>|→|⇒|-->)\s*|\s+THEN\s+",
        masked[head.end() :],
    )
    fallback = None
    for sep in seps:
        a, b = head.end() + sep.start(), head.end() + sep.end()
        token = masked[a:b].strip().lower()
        after = masked[b:]
        if not after.strip():
            continue
        if token in ("then", "->", "=>", "→", "⇒", "-->") or token.startswith((", then",)):
            return text[:a], text[b:]
        if _ACTIONISH.match(after):
            return text[:a], text[b:]
        if token == "," and fallback is None:
            fallback = (a, b)
    if fallback is not None and not _HEAD_END.search(masked):
        # "If they ask about price, our plans start at $20": the rest is the answer.
        a, b = fallback
        rest = masked[b:]
        if re.search(r'"_+"', rest) or (_ASKS_ABOUT.search(masked[:a]) and _declarative(rest)):
            return text[:a], text[b:]
    return text, ""


# "If they ask about opening hours, ...": the caller asks, the rest is the answer.
_ASKS_ABOUT = re.compile(
    r"\b(?:asks?|asking|asked|wants? to know|wonders?|enquires?|inquires?|questions?)\b", re.I
)


def _declarative(text: str) -> bool:
    """ "lockers are open around the clock": a statement to say, not an instruction."""
    words = text.split()
    return (
        len(words) >= 3
        and "?" not in text
        and not _INSTRUCTION.match(text)
        and not _COND_START.match(text)
        and not _ACTIONISH.match(text)
        and bool(
            re.search(
                r"\b(?:is|are|was|were|has|have|can|will|opens?|closes?|costs?|takes?|"
                r"starts?|runs?|comes?|goes?|gets?|needs?|includes?)\b",
                text,
                re.I,
            )
        )
    )


def _split_trailing(text: str, masked: str) -> tuple[str, str] | None:
    """`Use end_call when the user says goodbye` -> (condition, action)."""
    for m in _COND_INNER.finditer(masked):
        before = masked[: m.start()]
        if not before.strip() or _INDIRECT.search(before):
            continue
        acts = parse_actions(text[: m.start()])
        if not acts:
            continue
        cond = text[m.start() :]
        return cond, text[: m.start()]
    return None


def _arrow(text: str, masked: str) -> Statement | None:
    cuts = list(_ARROW.finditer(masked))
    if not cuts:
        return None
    first = text[: cuts[0].start()].strip()
    rest = text[cuts[0].end() :]
    first_masked = masked[: cuts[0].start()].strip()
    cond_like = bool(
        _COND_START.match(first_masked)
        or re.match(
            r"^\s*(?:user|caller|customer|they|o|lead|contact|prospect)\s*[:=]", first, re.I
        )
        or (not _INSTRUCTION.match(first_masked) and not quotes(first))
        or (quotes(first) and not re.sub(r'"_*"|[\s,.;/or]', "", first_masked))
    )
    if not cond_like:
        return Statement(INSTRUCTION, text, actions=parse_actions(text))
    cond_text = re.sub(
        r"^\s*(?:user|caller|customer|they|o|lead|contact|prospect)\s*[:=]\s*",
        "",
        first,
        flags=re.I,
    )
    return Statement(RULE, text, read_condition(cond_text), cond_text, parse_actions(rest))


def read_statement(text: str) -> Statement:
    """Read one sentence (or one list item) of a prompt."""
    # The same sentence is read by several passes (the list shape, the step, the line):
    # cached per sentence and per configured action name, which changes the reading.
    return _read_statement(text, KNOWN_NAMES.get())


@lru_cache(maxsize=4096)
def _read_statement(text: str, _known: frozenset[str]) -> Statement:
    text = text.strip()
    masked = mask(text)
    bare = masked.strip()
    instr = reads_like_instruction(text)
    ending = about_ending(text)

    def st(kind: str, **kw) -> Statement:
        return Statement(kind, text, instruction_like=instr, about_ending=ending, **kw)

    if _DIALOGUE.match(bare):
        return st(EXAMPLE)
    answer = _ANSWER_LABEL.match(masked)
    if answer is not None:
        # `- Yes: go to Q2`, `- No: "Sorry to bother you." [end call]`: an answer, then
        # what to do on it.
        actions = parse_actions(text[answer.start(2) :])
        if actions:
            label = answer.group(1).lower()
            cond_text = label if label in ("otherwise", "else") else f"they say {label}"
            return st(RULE, cond=read_condition(cond_text), cond_text=cond_text, actions=actions)
    if _WAIT.match(bare) and not quotes(text):
        return Statement(WAIT, text, about_ending=ending)
    b = _BRACKET.match(masked)
    if (b and _COND_START.match(b.group(1))) or (
        b and re.match(r"\s*(?:O|user|caller)\s*=", b.group(1))
    ):
        cond_text = text[b.start(1) : b.end(1)]
        rest = text[b.start(2) :]
        return st(
            RULE, cond=read_condition(cond_text), cond_text=cond_text, actions=parse_actions(rest)
        )
    if _CONFIRM.search(masked) and not quotes(text):
        return st(CONFIRM)
    forbid = _FORBID.match(masked)
    if forbid and not _COND_INNER.search(masked[forbid.start(1) :]) and not _NEG_END.match(bare):
        target = text[forbid.start(1) :]
        said = quotes(target)
        if said:
            return st(FORBIDDEN, words=tuple(said))
        obj = re.sub(r"^(?:the\s+)?(?:words?|phrases?|terms?|expressions?)\s+", "", target.strip())
        obj = re.sub(r"^(?:that|how|what)\s+", "", obj).strip(" .")
        content = [
            w.strip(".,;:")
            for w in obj.split()
            if w.lower().strip(".,;:") not in _FORBID_STOP and not looks_like_function(w)
        ]
        if 0 < len(content) <= 2 and len(obj.split()) <= 5:
            return st(FORBIDDEN, words=tuple(content))
    closing = _CLOSING.search(masked)
    if closing and _COND_START.match(masked):
        # "When the order is complete, say '...' before you hang up": a line for that
        # condition (a rule), not the goodbye of every call. "When you end the call,
        # say '...'" stays a closing line: its condition is the ending itself.
        lead = _split_leading(text, masked)
        if lead and lead[1].strip() and not _CLOSING.search(mask(lead[0])):
            closing = None
    if closing and (quotes(text) or re.search(r"exactly|verbatim|:\s*\S", masked[closing.end() :])):
        line = quotes(text[closing.end() :]) or quotes(text)
        if line:
            return st(CLOSING, line=line[0])
        lit = re.search(r"(?:exactly|verbatim)?\s*:\s*(.+)$", text[closing.end() :])
        if lit:
            return st(CLOSING, line=lit.group(1).strip())
    if _OPENING_CHECK.match(masked) and not quotes(text):
        return st(OPENING, line="")  # the line follows (see the reader)
    opening = _OPENING.search(masked)
    if opening:
        line = quotes(text[opening.end() :])
        if line:
            return st(OPENING, line=line[0])
        lit = text[opening.end() :].strip()
        if re.search(r"exactly|verbatim|:\s*$", masked[: opening.end()]) and lit:
            return st(OPENING, line=lit.strip())
    start_by = _START_BY.match(text)
    if start_by:
        # "Start by greeting the user and asking how you can help": the opening's steps.
        plain = _GERUND.sub(lambda m: _BASE.get(m.group(1).lower(), m.group(1)), start_by.group(1))
        actions = parse_actions(plain)
        if actions:
            return st(INSTRUCTION, actions=actions)
    arrow = _arrow(text, masked)
    if arrow is not None:
        return Statement(
            arrow.kind,
            text,
            arrow.cond,
            arrow.cond_text,
            arrow.actions,
            instruction_like=True,
            about_ending=ending,
        )
    unless = _negated_end_unless(text, masked)
    if unless is not None:
        cond_text, actions = unless
        if _ASKS_ANYTHING_ELSE.search(cond_text):
            return st(CONFIRM)  # "Never hang up before asking if there is anything else"
        return st(RULE, cond=read_condition(cond_text), cond_text=cond_text, actions=actions)
    lead = _split_leading(text, masked)
    if lead is not None:
        cond_text, action_text = lead
        cond = read_condition(cond_text.strip())
        actions = parse_actions(action_text) if action_text.strip() else ()
        if (
            not actions
            and action_text.strip()
            and _ASKS_ABOUT.search(mask(cond_text))
            and _declarative(mask(action_text))
        ):
            # The answer as the prompt states it, in the agent's words.
            line = as_sentence(swap_person(action_text.strip()))
            actions = (Action("say", line, source="verbatim"),)
        if not actions:
            return st(HEAD, cond=cond, cond_text=cond_text.strip())
        if _negated_end(actions):
            return st(NOT_END, cond=cond, cond_text=cond_text.strip(), actions=actions)
        return st(RULE, cond=cond, cond_text=cond_text.strip(), actions=actions)
    if _NEG_END.search(masked):
        trail = _split_trailing(text, masked)
        actions = parse_actions(trail[1] if trail else text)
        if _negated_end(actions) or not actions:
            cond_text = trail[0] if trail else ""
            cond = read_condition(cond_text) if cond_text else None
            return st(NOT_END, cond=cond, cond_text=cond_text, actions=actions)
    trail = _split_trailing(text, masked)
    if trail is not None:
        cond_text, action_text = trail
        actions = parse_actions(action_text)
        if _BARE_ASKED.match(cond_text):
            # "Do not discuss prices; say '...' if asked": asked about what the rest says.
            about = re.sub(r'"_*"|`[^`]*`', " ", mask(action_text))
            # The agent's "do not" is not the caller's: asked about prices, not "not".
            about = re.sub(r"(?i)\b(?:do not|don't|never|not)\b", " ", about)
            cond_text = f"{cond_text.strip(' .')} about {about.strip(' .;,')}"
        if any(a.kind in ("end", "call") for a in actions) or any(
            a.source == "quoted" for a in actions
        ):
            cond = read_condition(cond_text.strip())
            if _negated_end(actions):
                return st(NOT_END, cond=cond, cond_text=cond_text.strip(), actions=actions)
            return st(RULE, cond=cond, cond_text=cond_text.strip(), actions=actions)
    if _CONTEXT.match(bare) and not quotes(text) and not parse_actions(text):
        return st(CONTEXT)
    if _INSTRUCTION.match(bare) or quotes(text):
        actions = parse_actions(text)
        if actions:
            return st(INSTRUCTION, actions=actions)
        return st(NONE)
    if _STYLE.search(bare) or _CONTEXT.match(bare):
        return st(CONTEXT)
    return st(NONE)


_START_BY = re.compile(
    r"^\s*(?:always\s+)?(?:start|begin|open)(?: the call| each call| every call| the "
    r"conversation)? by\s+(.+)$",
    re.I,
)
_BASE = {
    "greeting": "greet", "asking": "ask", "introducing": "introduce", "saying": "say",
    "thanking": "thank", "confirming": "confirm", "telling": "tell", "welcoming": "welcome",
    "checking": "check", "letting": "let", "reminding": "remind", "explaining": "explain",
    "offering": "offer", "collecting": "collect", "verifying": "verify", "stating": "state",
}  # fmt: skip
_GERUND = re.compile(r"\b(" + "|".join(_BASE) + r")\b", re.I)
_FORBID_STOP = frozenset(
    "a an the you your are is that to of it its any about or and we our be being as "
    "yourself are anything things".split()
)


_UNLESS = re.compile(r"\b(?:unless|until|till|before|except (?:when|if))\b", re.I)
_UNLESS_LEAD = re.compile(r"^\s*(?:unless|until|except (?:when|if))\b", re.I)
_ASKS_ANYTHING_ELSE = re.compile(
    r"^\s*(?:you\s+(?:have\s+)?)?(?:ask(?:s|ed|ing)?|check(?:s|ed|ing)?|offer(?:s|ed|ing)?|"
    r"mak(?:e|ing) sure)\b.*(?:\banything else\b|\b(?:other|more|further) questions\b|"
    r"\banything more\b)",
    re.I,
)


def _negated_end_unless(text: str, masked: str) -> tuple[str, tuple[Action, ...]] | None:
    """`Do not hang up unless the caller says goodbye` -> ("the caller says goodbye", end).

    A negated end with "unless", "until" or "before" says when the call may end: the
    condition is the trigger. Read as a "not an end" rule it would be the opposite. A
    condition on the agent's own progress ("until you have confirmed the time") is a
    precondition of ending, not a trigger, and stays with the other readings.
    """
    lead = _UNLESS_LEAD.match(masked)
    if lead is not None:
        parts = _split_leading(text, masked)
        if parts is None or not parts[1].strip():
            return None
        cond_text, action_text = text[lead.end() : len(parts[0])], parts[1]
    else:
        neg = _NEG_END.search(masked)
        cut = _UNLESS.search(masked, neg.end()) if neg is not None else None
        if cut is None:
            return None
        cond_text, action_text = text[cut.end() :], text[: cut.start()]
    actions = parse_actions(action_text)
    if not _negated_end(actions):
        return None
    cond_text = cond_text.strip(" ,.;:")
    if not cond_text or read_condition(cond_text).kind not in (CALLER, VAGUE):
        return None
    return cond_text, tuple(
        replace(a, negated=False) if a.kind in ("end", "call") else a for a in actions
    )


def _negated_end(actions: tuple[Action, ...]) -> bool:
    enders = [a for a in actions if a.kind in ("end", "call")]
    return bool(enders) and all(a.negated for a in enders)


def then_line(text: str) -> str | None:
    """The actions of a `THEN say ... and call ...` line under a multi-line rule."""
    m = re.match(
        r"^\s*(?:(?:then|action|actions|response|respond|reply|answer|do)\b|→|->|=>|⇒)"
        r"\s*[:,\-]?\s*(.*)$",
        text,
        re.I,
    )
    if m and m.group(1).strip():
        return m.group(1)
    return None
