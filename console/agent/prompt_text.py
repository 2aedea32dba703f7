"""Low-level reading of prompt text: quotations, tool names, sentences, person swapping.

People quote in many ways ("double", “curly”, 'single'), and they also put tool names
in quotes (`use the 'hangUp' tool`). A quotation is something to say or to hear; a
quoted tool name is a name. Everything here keeps that difference, so the reader never
speaks a tool name and never reads a spoken line as an instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_QUOTE = re.compile(
    r"\"([^\"\n]+)\"|“([^”\n]+)”|‘([^’\n]+)’|(?<![A-Za-z0-9])'([^'\n]+?)'(?![A-Za-z0-9])|`([^`\n]+)`"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][\w.-]*(?:\(\))?$")
_NAME_AFTER = re.compile(r"^\s*(?:tool|function|action|command|method)\b", re.I)
_NAME_BEFORE = re.compile(
    r"\b(?:call|calls|calling|invoke|invoking|trigger|triggering|use|using|run|execute|fire|"
    r"activate)\s+(?:the\s+)?$",
    re.I,
)


# The reader asks the same questions of the same text many times (each sentence is
# masked, and its quotes found, by several readers in turn): these pure functions of a
# string are cached. A prompt is read once per edit, so the caches stay small.
@lru_cache(maxsize=4096)
def looks_like_function(name: str) -> bool:
    """`end_call`, `hang-up`, `endCall`, `end_call()`: a name no one would say aloud."""
    name = name.removesuffix("()")
    return (
        "_" in name
        or bool(re.search(r"\w-\w", name))
        or bool(re.search(r"\w\.\w", name))
        or bool(re.search(r"[a-z][A-Z]", name))
    ) and bool(_IDENTIFIER.match(name))


@dataclass(frozen=True)
class Quote:
    start: int
    end: int
    inner: str
    is_name: bool  # a quoted tool name (`end_call`, 'hangUp' tool), not a quotation


def quote_spans(text: str) -> list[Quote]:
    return list(_quote_spans(text))


@lru_cache(maxsize=4096)
def _quote_spans(text: str) -> tuple[Quote, ...]:
    out = []
    for m in _QUOTE.finditer(text):
        inner = next(g for g in m.groups() if g is not None).strip()
        backtick = m.group(5) is not None
        single_word = bool(_IDENTIFIER.match(inner))
        is_name = single_word and (
            backtick
            or looks_like_function(inner)
            or bool(_NAME_AFTER.match(text[m.end() :]))
            or bool(_NAME_BEFORE.search(text[: m.start()]))
        )
        if backtick and not single_word:
            continue  # `code` that is not a name: neither a name nor a line to say
        out.append(Quote(m.start(), m.end(), inner, is_name))
    return tuple(out)


def quotes(text: str) -> list[str]:
    """The quotations in `text` (lines to say or words to hear), tool names left out."""
    return [q.inner for q in quote_spans(text) if not q.is_name and q.inner]


@lru_cache(maxsize=4096)
def mask(text: str, keep_end: bool = False) -> str:
    """The text with every quotation blanked (same length), so instructions are found
    outside quotes. Quoted tool names stay readable, between backticks. `keep_end` keeps
    a quotation's final . ! or ? (where a sentence ends with a quoted line)."""
    out = []
    pos = 0
    for q in _quote_spans(text):
        out.append(text[pos : q.start])
        width = q.end - q.start
        if q.is_name:
            body = text[q.start + 1 : q.end - 1]
            out.append("`" + body + "`")
        elif keep_end and width > 2 and text[q.end - 2] in ".!?":
            out.append('"' + "_" * (width - 3) + text[q.end - 2] + '"')
        else:
            out.append('"' + "_" * (width - 2) + '"')
        pos = q.end
    out.append(text[pos:])
    return "".join(out)


def clean_markdown(line: str) -> str:
    """Emphasis and quote markers off: `**No** -> say` reads as `No -> say`."""
    line = re.sub(r"^\s*>\s?", "", line)
    line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)
    line = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])", r"\1", line)
    return line


_SENTENCE_END = re.compile(
    r"(?<=[.!?])[\"”’)]?\s+(?=[\[(\"“A-Z0-9*])(?!\[\s*(?:end|hang|terminate|disconnect)\b)|"
    r";\s+(?=(?i:only|instead|but|rather)\b)"
)


def sentences(text: str) -> list[tuple[int, str]]:
    """Sentences outside quotes, with their offsets: `Ask "Ready?" If no, ...` is two."""
    masked = mask(text, keep_end=True)
    out = []
    pos = 0
    for m in _SENTENCE_END.finditer(masked):
        cut = m.end()
        piece = text[pos:cut].strip()
        if piece:
            out.append((pos, piece))
        pos = cut
    rest = text[pos:].strip()
    if rest:
        out.append((pos, rest))
    return out


# -- person: the prompt's "you" is the agent, its "they" is the caller ----------------------
_SWAP = [
    (r"\byou are\b", "I am"),
    (r"\byou're\b", "I'm"),
    (r"\byou'll\b", "I'll"),
    (r"\byou've\b", "I've"),
    (r"\byou'd\b", "I'd"),
    (r"\byour\b", "my"),
    (r"\byourself\b", "myself"),
    (r"\byou\b", "I"),
    (r"\bthey are\b", "you are"),
    (r"\bthey're\b", "you're"),
    (r"\bthey'll\b", "you'll"),
    (r"\bthey've\b", "you've"),
    (r"\bthey'd\b", "you'd"),
    (r"\bthey have\b", "you have"),
    (r"\bthey were\b", "you were"),
    (r"\bthey\b", "you"),
    (r"\bthem\b", "you"),
    (r"\btheir\b", "your"),
    (r"\btheirs\b", "yours"),
    (r"\bthemselves\b", "yourself"),
    (r"\bhis or her\b", "your"),
    (r"\bhim or her\b", "you"),
    (
        r"\bthe (?:caller|user|customer|contact|prospect|lead|patient|client|person|"
        r"homeowner|guest|member|debtor|account holder)'s\b",
        "your",
    ),
    (r"\bthe (?:caller|user|customer|contact|prospect|lead|patient|client|debtor)\b", "you"),
]
_SWAP_RE = re.compile("|".join(f"({p})" for p, _ in _SWAP), re.I)


def swap_person(text: str) -> str:
    """Turn an instruction's object into words to the caller: `their appointment` ->
    `your appointment`, `you'll call back` -> `I'll call back`."""

    def repl(m: re.Match[str]) -> str:
        index = next(i for i, g in enumerate(m.groups()) if g is not None)
        word = _SWAP[index][1]
        if m.group(0)[0].isupper() and word[0].islower():
            word = word[0].upper() + word[1:]
        return word

    out = _SWAP_RE.sub(repl, text)
    # "I is"/"I has" after the swap of a singular caller ("the caller is") read as "you".
    out = re.sub(r"\byou is\b", "you are", out)
    out = re.sub(r"\byou has\b", "you have", out)
    out = re.sub(r"\byou was\b", "you were", out)
    out = re.sub(
        r"\byou (needs|wants|likes|prefers|knows|owns|lives|works|plans)\b",
        lambda m: "you " + m.group(1)[:-1],
        out,
    )
    out = re.sub(r"\bI (?:is)\b", "I am", out)
    return out


def as_sentence(text: str, end: str = ".") -> str:
    text = text.strip().strip(",;:").strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?":
        text += end
    return text
