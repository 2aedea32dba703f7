"""Turn a prompt's instructions into words the agent can say, and keep prompt text out.

Most prompts say what to do ("Ask for their email", "Thank them for their time")
rather than what to say. The offline agent turns a small set of instruction shapes
into a line, always the same line for the same words, and names the prompt line it
came from; an instruction it cannot phrase gives no line at all. `clean_speech` is the
last gate before anything is spoken: tool names, stage directions such as
`<wait for user response>` and words the prompt forbids never reach the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.agent.prompt_text import as_sentence, looks_like_function, swap_person

_CALLER_NOUN = (
    r"(?:the\s+)?(?:caller|user|customer|contact|prospect|lead|patient|client|person|homeowner|"
    r"guest|member|debtor|account holder|recipient|respondent|participant)s?"
)
_OBJ = rf"(?:(?:them|him|her|{_CALLER_NOUN})\b\s*)?"
_SUBJ = rf"(?:they|he|she|{_CALLER_NOUN})"
_GREETING = "{greeting}"  # filled with the agent's introduction when spoken


@dataclass(frozen=True)
class Phrased:
    kind: str  # "say" or "ask"
    text: str  # may contain _GREETING
    aside: bool = False  # "mention that ...": information, said whenever it fits


def _q(text: str) -> str:
    return as_sentence(text, "?").rstrip(".") if text else ""


def _question_from_clause(clause: str) -> str | None:
    """`they have insurance` -> `Do you have insurance?`."""
    clause = clause.strip().rstrip(".?!")
    m = re.match(rf"^{_SUBJ}\s+(.*)$", clause, re.I)
    if not m:
        m2 = re.match(
            r"^((?:the|their|his|her|your|this|that)\s+[\w' -]+?)\s+(is|are)\s+(.+)$", clause, re.I
        )
        if m2:
            return _q(f"{m2.group(2)} {swap_person(m2.group(1))} {swap_person(m2.group(3))}")
        if re.match(r"^(?:there is|there's|there are)\b", clause, re.I):
            rest = re.sub(r"^(?:there is|there's|there are)\s*", "", clause, flags=re.I)
            return _q(f"is there {swap_person(rest)}")
        return None
    rest = m.group(1)
    words = rest.split(maxsplit=1)
    verb, tail = words[0].lower(), (words[1] if len(words) > 1 else "")
    tail_sw = swap_person(tail)
    joined = f" {tail_sw}" if tail_sw else ""
    if verb in ("are", "is", "'re"):
        return _q(f"are you{joined}")
    if verb in ("were", "was"):
        return _q(f"were you{joined}")
    if verb in ("have", "has"):
        first = tail.split()[0].lower() if tail else ""
        if first.endswith("ed") or first in (
            "been",
            "got",
            "gotten",
            "seen",
            "heard",
            "had",
            "done",
        ):
            return _q(f"have you{joined}")
        return _q(f"do you have{joined}")
    if verb in ("can", "could", "would", "will", "should", "did", "do", "does"):
        verb = "do" if verb == "does" else verb
        return _q(f"{verb} you{joined}")
    if verb in ("'d", "'ll"):
        return _q(("would" if verb == "'d" else "will") + f" you{joined}")
    base = verb[:-1] if verb.endswith("s") and len(verb) > 3 else verb
    if base in (
        "need",
        "want",
        "like",
        "prefer",
        "own",
        "know",
        "plan",
        "live",
        "rent",
        "use",
        "remember",
        "agree",
        "consent",
        "wish",
        "feel",
        "think",
        "expect",
        "recall",
        "understand",
        "receive",
        "still",
        "already",
        "currently",
    ):
        if base in ("still", "already", "currently"):
            return _q(f"do you {base}{joined}")
        return _q(f"do you {base}{joined}")
    return None


_RULES: list[tuple[re.Pattern[str], object]] = []


def _rule(pattern: str):
    def deco(fn):
        _RULES.append((re.compile(pattern, re.I), fn))
        return fn

    return deco


@_rule(
    r"^(?:warmly |politely |briefly |professionally )?(?:greet|welcome)\b.*$|"
    r"^introduce (?:yourself|the company)\b.*$|^say (?:hello|hi)\b.*$"
)
def _greet(m: re.Match[str]) -> Phrased:
    return Phrased("say", _GREETING)


@_rule(
    r"^(?:say|wish (?:them|him|her|the \w+)?)\s*(?:a\s+)?(?:goodbye|bye|farewell)\b.*$|"
    r"^bid (?:them |the \w+ )?(?:farewell|goodbye)\b.*$"
)
def _goodbye(m: re.Match[str]) -> Phrased:
    return Phrased("say", "Goodbye!")


@_rule(
    rf"^(?:say thank you|thank)\s*{_OBJ}(?:(?:warmly|politely|kindly|sincerely)\s+)?"
    r"(?:(for .+?))?$"
)
def _thank(m: re.Match[str]) -> Phrased:
    reason = swap_person(m.group(1)) if m.group(1) else ""
    reason = re.split(r"\s+(?:and|then)\s+", reason)[0]
    return Phrased("say", as_sentence("thank you" + (f" {reason}" if reason else "")))


@_rule(
    rf"^wish {_OBJ}an? (good|great|nice|wonderful|lovely|pleasant) "
    r"(day|evening|weekend|afternoon|morning|night)\b.*$"
)
def _wish(m: re.Match[str]) -> Phrased:
    return Phrased("say", f"Have a {m.group(1).lower()} {m.group(2).lower()}!")


@_rule(rf"^warn {_OBJ}(?:once|one time|politely|firmly)?(?:\s+that\s+(.+))?$")
def _warn(m: re.Match[str]) -> Phrased:
    """`Warn them once`: a warning in the agent's words (the words of "warn them that
    ..." when the prompt gives them)."""
    if m.group(1):
        return Phrased("say", as_sentence(swap_person(m.group(1))))
    return Phrased("say", "Please keep this respectful, or I will have to end the call.")


@_rule(r"^apologi[sz]e(?: to (?:them|the \w+))?(?:\s+(for .+))?$")
def _apologise(m: re.Match[str]) -> Phrased:
    reason = swap_person(m.group(1)) if m.group(1) else "about that"
    return Phrased("say", as_sentence(f"I'm sorry {reason}"))


@_rule(
    rf"^ask {_OBJ}(?:for|to (?:provide|share|give)(?: you)?)\s+"
    r"((?:their|his|her|the|a|an|your)\s+.+)$"
)
def _ask_for(m: re.Match[str]) -> Phrased:
    thing = swap_person(m.group(1))
    thing = re.sub(r"^the\b", "your", thing, flags=re.I)
    return Phrased("ask", _q(f"may I have {thing}"))


_FIND_OUT = r"(?:ask|find out|check|determine|establish|ascertain|learn)"


@_rule(rf"^ask {_OBJ}(?:if|whether)\s+(.+)$")
def _ask_if(m: re.Match[str]) -> Phrased | None:
    q = _question_from_clause(m.group(1))
    return (
        Phrased("ask", q)
        if q
        else Phrased("ask", _q(f"could you tell me if {swap_person(m.group(1))}"))
    )


@_rule(rf"^ask {_OBJ}how (?:you|we|i) can help\b.*$")
def _ask_help(m: re.Match[str]) -> Phrased:
    return Phrased("ask", "How can I help you today?")


@_rule(rf"^{_FIND_OUT} {_OBJ}(what|when|where|which|how|who|why|whether|if)\s+(.+)$")
def _ask_wh(m: re.Match[str]) -> Phrased:
    """`Ask which day suits them`, `Find out which pharmacy they use`, `Check whether they
    received the letter`: the question, asked politely (the words stay as written, so
    an embedded question never needs its word order changed)."""
    return Phrased("ask", _q(f"could you tell me {m.group(1).lower()} {swap_person(m.group(2))}"))


@_rule(r"^ask\s*:\s*([^\"“]+\?)$")
def _ask_colon(m: re.Match[str]) -> Phrased:
    """`Ask: which day works for you?`: the question as written, without quotes."""
    return Phrased("ask", as_sentence(m.group(1).strip(), "?"))


@_rule(rf"^ask {_OBJ}about\s+(.+)$")
def _ask_about(m: re.Match[str]) -> Phrased:
    return Phrased("ask", _q(f"could you tell me about {swap_person(m.group(1))}"))


@_rule(rf"^ask {_OBJ}to\s+(.+)$")
def _ask_to(m: re.Match[str]) -> Phrased:
    return Phrased("ask", _q(f"could you {swap_person(m.group(1))}"))


@_rule(r"^confirm (?:that|whether|if)\s+(.+)$")
def _confirm_that(m: re.Match[str]) -> Phrased:
    q = _question_from_clause(m.group(1))
    return Phrased("ask", q or _q(f"just to confirm, {swap_person(m.group(1))}"))


@_rule(r"^(?:confirm|verify|double-check)\s+((?:their|his|her|the)\s+.+)$")
def _confirm(m: re.Match[str]) -> Phrased:
    return Phrased("ask", _q(f"can you confirm {swap_person(m.group(1))}"))


@_rule(
    r"^(?:collect|get|obtain|gather|take|request|capture|record|note down)\s+"
    r"((?:their|his|her|the)\s+.+)$"
)
def _collect(m: re.Match[str]) -> Phrased:
    thing = re.sub(r"^the\b", "your", swap_person(m.group(1)), flags=re.I)
    return Phrased("ask", _q(f"may I have {thing}"))


@_rule(rf"^offer {_OBJ}to\s+(.+)$")
def _offer_to(m: re.Match[str]) -> Phrased:
    return Phrased("ask", _q(f"would you like me to {swap_person(m.group(1))}"))


@_rule(rf"^offer {_OBJ}(.+)$")
def _offer(m: re.Match[str]) -> Phrased:
    return Phrased("ask", _q(f"would you like {swap_person(m.group(1))}"))


@_rule(rf"^remind {_OBJ}(?:of|about)\s+(.+)$")
def _remind_of(m: re.Match[str]) -> Phrased:
    return Phrased("say", as_sentence(f"just a reminder about {swap_person(m.group(1))}"))


@_rule(rf"^(?:tell|inform|remind|let) {_OBJ}(?:know\s+)?(?:that\s+)?(.+)$")
def _tell(m: re.Match[str]) -> Phrased | None:
    what = m.group(1)
    if re.match(r"^(?:about|how|what|why|when|where|which)\b", what, re.I):
        return None
    return Phrased("say", as_sentence(swap_person(what)))


@_rule(r"^(?:mention|state|explain|note) that\s+(.+)$")
def _mention(m: re.Match[str]) -> Phrased:
    return Phrased("say", as_sentence(swap_person(m.group(1))), aside=True)


def phrase_instruction(text: str) -> Phrased | None:
    """A line for one instruction (no quotes in it), or None if it has no clear words."""
    clause = re.sub(r"\s+", " ", text).strip(" .;:,")
    clause = re.sub(
        r"^(?:then|and|next|first|finally|please|always|politely|simply|just|"
        r"immediately|kindly|briefly)\s+",
        "",
        clause,
        flags=re.I,
    )
    if not clause or looks_like_function(clause.split()[0]):
        return None
    for pattern, fn in _RULES:
        m = pattern.match(clause)
        if m:
            out = fn(m)  # type: ignore[operator]
            if out is not None and out.text and not _leaks(out.text):
                return out
            return None
    return None


def _leaks(text: str) -> bool:
    # A hyphen is not a tool name here: "follow-up" and "e-mail" are said aloud.
    return any(_tool_word(w.strip(".,!?;:'\"`()")) for w in text.split()) or bool(
        re.search(r"\b(?:end_?call|tool|function|step \d+|the prompt|instructions?)\b", text, re.I)
    )


# -- who the agent is, for greetings --------------------------------------------------------
@dataclass(frozen=True)
class Identity:
    name: str = ""
    company: str = ""
    inbound: bool = True


_NAME_RE = re.compile(
    r"\b(?i:you are|you're|your name is|you will be|you'll be|act as|acting as|this is)\s+"
    r"(?!an?\b|the\b|AI\b|now\b|not\b|calling\b|speaking\b|talking\b|on\b|a\b)"
    r"([A-Z][a-z]+|\{\w+\})\b"
)
_COMPANY_RE = re.compile(
    r"\b(?:at|for|from|with|of|representing|on behalf of)\s+"
    r"((?:the\s+)?(?:[A-Z][\w&'-]*|\{\w+\})(?:\s+(?:[A-Z][\w&'-]*|&|of|\{\w+\}))*)"
)
_OUTBOUND = re.compile(
    r"\byou are calling\b|\byou're calling\b|\boutbound\b|\bcall(?:ing)? (?:the |a )?"
    r"(?:lead|prospect|contact|customer|patient|debtor|homeowner|\{\w+\})|\bfollow(?:ing)?[- ]up "
    r"(?:call|on)|\breminder call|\bcourtesy call|\bsurvey call|\breaching out\b",
    re.I,
)


def identity_of(prompt: str) -> Identity:
    """The agent's name and company from lines like "You are Ana, the receptionist at
    Bright Dental." (first match only; nothing guessed beyond it)."""
    name = company = ""
    for line in prompt.splitlines()[:40]:
        if not name:
            m = _NAME_RE.search(line)
            if m:
                name = m.group(1)
                c = _COMPANY_RE.search(line, m.end())
                if c:
                    company = c.group(1).rstrip(".")
        if name:
            break
    if not company:
        for line in prompt.splitlines()[:20]:
            if re.search(r"\byou are\b|\byou're\b|\bassistant\b|\bagent\b|\brepresent", line, re.I):
                c = _COMPANY_RE.search(line)
                if c:
                    company = c.group(1).rstrip(".")
                    break
    if company.split()[0:1] in (["AI"], ["The"]):
        company = ""
    return Identity(name, company, not bool(_OUTBOUND.search(prompt)))


def introduction(identity: Identity, agent_name: str) -> str:
    name = identity.name or (agent_name if agent_name and agent_name != "Agent" else "")
    who = f"this is {name}" if name else ""
    if identity.company:
        who = f"{who} from {identity.company}" if who else f"this is {identity.company}"
    return as_sentence(f"hi, {who}" if who else "hello")


def opening_line(identity: Identity, agent_name: str) -> str:
    intro = introduction(identity, agent_name)
    if identity.inbound:
        return f"{intro} How can I help you today?"
    return intro


def _tool_word(word: str) -> bool:
    """A word no one says aloud: `end_call`, `hangUp`, `functions.end_call` (a hyphen is
    not enough: "drop-in" and "follow-up" are words)."""
    return bool(
        re.fullmatch(r"[A-Za-z_][\w.]*", word)
        and (
            "_" in word
            or re.search(r"[a-z][A-Z]", word)
            or re.search(r"[A-Za-z_]{3,}\.[A-Za-z_]{3,}", word)
        )
    ) and not re.fullmatch(r"(?:[A-Z][a-z]+){2,}", word)  # "McDonald", "YouTube" stay


# -- the last gate before speech ---------------------------------------------------------
_STAGE = re.compile(
    r"<[^<>]{1,60}>|\[(?:pause|wait|silence|beat|laughs?|sighs?|break|end call|hang ?up)"
    r"[^\]]{0,40}\]|\((?:pause|wait|silence|beat)[^)]{0,40}\)",
    re.I,
)


def clean_speech(text: str, tool_names: set[str], forbidden: tuple[str, ...]) -> tuple[str, str]:
    """The text with what must never be spoken taken out, and a note of what was."""
    notes = []
    out = _STAGE.sub(" ", text)
    if out != text:
        notes.append("a stage direction")
    out = out.replace("**", "").replace("`", "")
    for name in sorted(tool_names, key=len, reverse=True):
        if name and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", out):
            out = re.sub(rf"\s*(?<![\w-]){re.escape(name)}(?:\(\))?(?![\w-])", "", out)
            notes.append(f"the tool name '{name}'")
    words = out.split()
    kept = [w for w in words if not _tool_word(w.strip(".,!?;:'\"()"))]
    if len(kept) != len(words):
        notes.append("a tool name")
        out = " ".join(kept)
    if forbidden:
        pieces = re.split(r"(?<=[.!?])\s+", out)
        keep = []
        for piece in pieces:
            bad = next(
                (f for f in forbidden if re.search(rf"\b{re.escape(f)}\b", piece, re.I)), None
            )
            if bad:
                notes.append(f"a sentence with {bad!r}, which the prompt forbids")
            else:
                keep.append(piece)
        out = " ".join(keep)
    out = re.sub(r"\s+([.,!?])", r"\1", re.sub(r"\s+", " ", out)).strip()
    return out, ", ".join(dict.fromkeys(notes))
