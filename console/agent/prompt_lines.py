r"""The lines of a prompt, each with its shape: heading, numbered item, bullet, table row...

The first pass of the prompt reader. It keeps every line's number (the prompt map
shows what became of each line), expands what people pack into one line (`1. Greet \
2. Ask "..." \ 3. ...`, or a JSON-escaped prompt with literal `\n`), and names each
section by what its heading says (Role, Task, Guardrails, Objection handling,
Voicemail, Examples...).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from console.agent.prompt_text import clean_markdown, mask

DIRECTION = "direction"  # `<wait for user response>`, `[pause]`: a stage direction
BLANK, HEADING, NUMBERED, BULLET, TABLE, TABLE_SEP, PROSE, FENCE, CODE = (
    "blank",
    "heading",
    "numbered",
    "bullet",
    "table",
    "table_sep",
    "prose",
    "fence",
    "code",
)

_NUMBERED = re.compile(
    r"^(?:(?:step|stage|phase)\s*#?\s*(\d{1,3})\s*[.):\-–—]?|(\d{1,3})\s*[.)]|"
    r"(\d{1,3})\s*[-–—]\s+(?=[A-Z\"“']))\s*(.*)$",
    re.I,
)
_BULLET = re.compile(r"^(?:[-*•+▪◦‣]|[a-z][.)]|\([a-z0-9]\))\s+(.*)$")
_TABLE = re.compile(r"^\|.*\|$")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_CONDITIONAL = re.compile(
    r"^(?:if|elif|else if|when|whenever|once|after|as soon as|in case|upon|should|unless|only if|"
    r"only when|in the event|any ?time|then)\b",
    re.I,
)

# Section kinds, by what a heading says (first match wins).
# fmt: off
SECTION_KINDS: list[tuple[str, str]] = [
    ("example", r"example|sample|\bdemo\b|transcript|dialog|illustrat|\be\.g\b"),
    ("voicemail", r"voice ?-?mail|answering machine|machine detection|\bamd\b"),
    ("ending", r"(?:do not|don'?t|never)\s+(?:call|use|end|hang)\b.*\b(?:unless|until|except)\b"),
    ("not_end", r"(?:do not|don'?t|never|when not to)\s+(?:call|use|end|hang)"),
    ("state", r"^state\b"),
    ("ending", r"end(?:ing)? (?:the |a )?call|hang ?-?up|closing|\bclose\b|goodbye|terminat|"
               r"wrap[- ]?up|call end|when to end|end conditions|end[- ]call|\bending\b|\btools?\b|"
               r"\bfunctions?\b|call when|use when"),
    ("objection", r"objection|\bfaq|frequently|question|concern|pushback|rebuttal|q ?& ?a|"
                  r"common (?:asks|requests)|responses? to|edge cases?"),
    ("guard", r"guardrail|\brules?\b|restriction|constraint|boundar|don'?ts?\b|compliance|"
              r"polic|important|critical|limitation|prohibit|\bnever\b|\bmust\b|escalation"),
    ("task", r"task|steps?\b|script|flow|process|procedure|instruction|goal|objective|agenda|"
             r"conversation|call structure|outline|\bplan\b|workflow|sequence|what to do|"
             r"how to|opening|greeting|introduction|qualif|booking|scheduling|survey|reminder|"
             r"collection|verification"),
    ("knowledge", r"knowledge|what you know|\binfo\b|information|facts|details|product|"
                  r"pricing|prices|"
                  r"services?\b|hours|company|business|about (?:us|the)|\boffer|location|address"),
    ("context", r"role|identity|persona|personality|character|style|tone|voice|environment|"
                r"context|background|language|guideline|format|who you are|about you|"
                r"demeanou?r|behaviou?r|speaking|pronunciation|\bnotes?\b|responsibilit|"
                r"capabilit|overview|purpose|mission"),
]
# fmt: on
_SECTION_RES = [(kind, re.compile(p, re.I)) for kind, p in SECTION_KINDS]


def section_kind(title: str) -> str:
    if re.match(r"^\s*(?:stage|phase|part|step)\s*#?\s*\d", title, re.I):
        return "task"  # "Stage 2 - Questions" is a part of the script, not a FAQ
    for kind, pattern in _SECTION_RES:
        if pattern.search(title):
            return kind
    return "general"


@dataclass
class Line:
    no: int  # 1-based line of the prompt
    raw: str  # as written
    kind: str
    indent: int = 0
    text: str = ""  # the line's content: marker, emphasis and quote markers off
    number: int | None = None  # for a numbered item
    title: str = ""  # for a heading
    label: bool = False  # a heading written as "Something:" (it scopes one block)
    inline: bool = False  # one of several items packed into one written line
    cells: tuple[str, ...] = ()  # for a table row


def _heading(raw: str, text: str) -> tuple[str, bool] | None:
    s = raw.strip()
    m = re.match(r"^#{1,6}\s+(.+?)\s*#*$", s)
    if m:
        return clean_markdown(m.group(1)).strip(" :"), False
    m = re.match(r"^(?:\*\*|__)([^*_]{1,80}?)(?:\*\*|__)\s*:?\s*$", s) or re.match(
        r"^(?:\*\*|__)([^*_]{1,80}?):(?:\*\*|__)\s*$", s
    )
    if m:
        return m.group(1).strip(" :"), False
    m = re.match(r"^\[([^\]\[=\"“]{1,60})\]$", s)
    if m and not _CONDITIONAL.match(m.group(1).strip()):
        return m.group(1).strip(), False
    m = re.match(r"^</?([A-Za-z][\w-]{0,40})>$", s)
    if m:
        return m.group(1).replace("_", " ").replace("-", " ").strip(), False
    m = re.match(r"^(?:={2,}|-{2,}|\*{3,})\s*([^=*-].*?)\s*(?:={2,}|-{2,}|\*{3,})$", s)
    if m:
        return m.group(1), False
    # "🚫 NEVER", "📞 ENDING THE CALL": an emoji in front of a heading.
    text = re.sub(r"^[^\w\s\"'“(\[<#*`-]+\s*", "", text)
    words = text.rstrip(":").split()
    if (
        text
        and 0 < len(words) <= 6
        and re.fullmatch(r"[A-Z0-9][A-Z0-9 &/'()-]+:?", text)
        and sum(c.isalpha() for c in text) >= 3
    ):
        return text.rstrip(":").strip(), text.endswith(":")
    m = re.match(r"^([A-Za-z][^\"“'.!?:]{0,60}):$", text)
    if m and len(m.group(1).split()) <= 7 and not _CONDITIONAL.match(m.group(1)):
        title = m.group(1).strip()
        if section_kind(title) != "general":
            return title, True
    return None


def _segments(line: str) -> list[str]:
    """One written line, split where people pack several items into it."""
    out = []
    for piece in _pieces(line):
        m = re.match(r"^([A-Za-z][\w '/&-]{0,40}:)\s+((?:step\s*)?\d{1,2}[.):]\s+.*)$", piece, re.I)
        out.extend([m.group(1), m.group(2)] if m else [piece])
    return out


def _pieces(line: str) -> list[str]:
    masked = mask(line)
    if re.search(r"\s\\\s", masked):
        out, pos = [], 0
        for m in re.finditer(r"\s\\\s", masked):
            out.append(line[pos : m.start()])
            pos = m.end()
        out.append(line[pos:])
        return [s for s in (p.strip() for p in out) if s]
    marks = [
        m
        for m in re.finditer(r"(?:(?<=^)|(?<=[\s.!?:\"”']))(\d{1,2})[.)]\s+(?=\S)", masked)
        if m.start() > 0
    ]
    starts = []
    lead = re.match(r"^\s*(\d{1,2})[.)]\s", masked)
    expected = int(lead.group(1)) + 1 if lead else None
    for m in marks:
        n = int(m.group(1))
        if expected is None:
            expected = n + 1
            starts.append(m.start())
        elif n == expected:
            expected += 1
            starts.append(m.start())
    if (lead and starts) or len(starts) >= 2:
        cuts = [0, *starts, len(line)]
        pieces = [line[a:b].strip() for a, b in itertools.pairwise(cuts)]
        return [p for p in pieces if p]
    return [line]


def lex(prompt: str) -> list[Line]:
    if "\n" not in prompt.strip() and "\\n" in prompt:
        prompt = prompt.replace("\\r\\n", "\n").replace("\\n", "\n")
    out: list[Line] = []
    in_fence = False
    raws = prompt.splitlines()
    for no, raw in enumerate(raws, start=1):
        expanded = raw.replace("\t", "    ")
        indent = len(expanded) - len(expanded.lstrip(" "))
        if re.match(r"^\s*(?:```|~~~)", expanded):
            in_fence = not in_fence
            out.append(Line(no, raw, FENCE, indent))
            continue
        if in_fence:
            out.append(Line(no, raw, CODE, indent, expanded.strip()))
            continue
        stripped = expanded.strip()
        if not stripped:
            out.append(Line(no, raw, BLANK))
            continue
        if _TABLE_SEP.match(stripped) and "|" in stripped:
            out.append(Line(no, raw, TABLE_SEP, indent))
            continue
        if _TABLE.match(stripped):
            cells = tuple(clean_markdown(c).strip() for c in stripped.strip("|").split("|"))
            out.append(Line(no, raw, TABLE, indent, stripped, cells=cells))
            continue
        if re.fullmatch(
            r"<[^<>]*\s[^<>]*>|\[(?:pause|wait|silence|beat|listen)[^\]]*\]|"
            r"\((?:pause|wait|silence|listen)[^)]*\)",
            stripped,
            re.I,
        ):
            out.append(Line(no, raw, DIRECTION, indent, stripped))
            continue
        head = _heading(stripped, clean_markdown(stripped).strip())
        if head is not None:
            out.append(Line(no, raw, HEADING, indent, stripped, title=head[0], label=head[1]))
            continue
        asked = _QUESTION_ASK.match(clean_markdown(stripped))
        if asked and not _answer_follows(raws, no):
            # "Q1. On a scale of 1 to 5, how satisfied were you ...?": a survey question
            # the agent asks (an FAQ's "Q1: ...?" has its "A1: ..." after it).
            number, question = int(asked.group(1)), asked.group(2).strip()
            out.append(Line(no, raw, NUMBERED, indent, f'Ask "{question}"', number=number))
            continue
        segments = _segments(stripped)
        for seg in segments:
            line = _classify(no, raw, seg, indent, len(segments) > 1)
            line.inline = len(segments) > 1
            out.append(line)
    return out


# `Q1: "Am I speaking with Dana?"`: a numbered question of a question tree (the agent's
# own quoted line; an FAQ's `Q1: What are your hours?` has no quotes and stays an FAQ).
_QUESTION_NO = re.compile(r"^(?:q|question)\s*#?\s*(\d{1,3})\s*[.):\-–—]\s*(?=[\"“])(.+)$", re.I)


_QUESTION_ASK = re.compile(r"^(?:q|question)\s*#?\s*(\d{1,3})\s*[.):\-–—]\s*([^\"“]+\?)\s*$", re.I)
_ANSWER_LINE = re.compile(r"^\s*(?:a|answer)\s*#?\s*\d*\s*[.):\-–—]", re.I)


def _answer_follows(raws: list[str], no: int) -> bool:
    """Whether the next non-blank line after line `no` (1-based) is an answer ("A1: ...")."""
    for raw in raws[no:]:
        if raw.strip():
            return bool(_ANSWER_LINE.match(clean_markdown(raw.strip())))
    return False


def _classify(no: int, raw: str, text: str, indent: int, inline: bool) -> Line:
    text = clean_markdown(text).strip()
    m = _NUMBERED.match(text)
    if m and (m.group(4) or "").strip():
        number = int(m.group(1) or m.group(2) or m.group(3))
        return Line(no, raw, NUMBERED, indent, m.group(4).strip(), number=number)
    m = _QUESTION_NO.match(text)
    if m:
        return Line(no, raw, NUMBERED, indent, m.group(2).strip(), number=int(m.group(1)))
    m = _BULLET.match(text)
    if m and m.group(1).strip():
        return Line(no, raw, BULLET, indent, m.group(1).strip())
    head = _heading(text, text) if inline else None
    if head is not None:
        return Line(no, raw, HEADING, indent, text, title=head[0], label=True, inline=True)
    return Line(no, raw, PROSE, indent, text)
