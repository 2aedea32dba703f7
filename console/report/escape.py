"""Escaping per target, in one place: Markdown, the terminal, XML, HTML and Qt rich text.

Caller words, model replies, prompts, bug notes and scenario names are text that someone
else chose. A report pasted into an issue tracker must show them, not obey them (a
`# heading`, an image, a link, `<details>` or raw HTML would rewrite the report); a
terminal must not run their escape sequences (clear the screen, print a fake PASS); an
XML file must stay well-formed whatever characters they hold. Each function here turns
any string into inert text for one target, and redacts secrets on the way.
"""

from __future__ import annotations

import html
import re

from console.core.redact import redact

# C0 and C1 control characters, DEL, and the Unicode line/paragraph separators and
# bidirectional overrides (which reorder what a reader sees).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_XML_INVALID = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Inline Markdown (and GitHub's extensions: strikethrough, math, mentions, references).
# Text is always placed after a prefix (a table cell, a list marker, a label), so the
# block-level markers (#, >, 1.) cannot start a line and need no escape of their own.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|<>~&$@])")


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␍ for CR...
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def printable(text: object, keep_newlines: bool = False) -> str:
    """One line of inert text: control characters shown as symbols (ESC as ␛), secrets
    masked. With keep_newlines, line breaks stay (tabs become spaces)."""
    s = redact(str(text))
    if keep_newlines:
        s = s.replace("\r\n", "\n").replace("\t", "    ")
        return "\n".join(_show_controls(part) for part in s.split("\n"))
    return _show_controls(s)


def _show_controls(s: str) -> str:
    return _CONTROL.sub(lambda m: _visible(m.group()), s)


def terminal(text: object) -> str:
    """For a terminal or a CI log: nothing in it can move the cursor, clear the screen or
    change colours."""
    return printable(text)


def md_inline(text: object) -> str:
    """For a Markdown paragraph, list item or table cell: one line, every character that
    Markdown (or the HTML it allows) would act on escaped with a backslash."""
    s = printable(text)
    return _MD_SPECIAL.sub(r"\\\1", s)


# What may still open a block at the start of a line once md_inline has escaped the
# rest: a list item (- + or 1. 1)), a setext heading's underline (=== or ---), a rule.
_MD_BLOCK_MARK = "-+="
_MD_LIST_NUMBER = re.compile(r"^\d{1,9}(?=[.)])")


def md_lines(text: object) -> list[str]:
    """For a Markdown block of several lines (a quote of a tester's note): each line as
    md_inline makes it, its leading spaces dropped (four would start a code block) and
    a marker that would open a list, a heading or a rule escaped, so every line shows
    as written and none makes a block of its own. The caller joins them."""
    s = redact(str(text)).replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for raw in s.split("\n"):
        line = md_inline(raw.strip())
        number = _MD_LIST_NUMBER.match(line)
        if line[:1] and line[0] in _MD_BLOCK_MARK:
            line = "\\" + line
        elif number:
            line = f"{line[: number.end()]}\\{line[number.end() :]}"
        lines.append(line)
    return lines


def md_quote(text: object, lead: str = "") -> list[str]:
    """A block quote of several lines of someone else's text, after an optional lead
    (already Markdown): each line on its own line (a hard break), blank lines as
    paragraph breaks, nothing in it able to act (see md_lines)."""
    lines = md_lines(str(text).strip())
    if lead:
        lines = [lead, *lines] if len(lines) > 1 else [f"{lead} {lines[0]}".rstrip()]
    out = []
    for n, line in enumerate(lines):
        follows = n + 1 < len(lines) and lines[n + 1] != ""
        out.append(f"> {line}\\" if line and follows else f"> {line}" if line else ">")
    return out


def md_code(text: object) -> str:
    """Inline code: shown exactly as written, in a span no backtick inside can close."""
    s = printable(text)
    longest = max((len(m.group()) for m in re.finditer(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s.strip() else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def md_code_block(text: object, lang: str = "") -> str:
    """A fenced code block that no content can close early: the fence is longer than any
    run of backticks inside."""
    s = printable(text, keep_newlines=True)
    longest = max((len(m.group()) for m in re.finditer(r"`+", s)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{s}\n{fence}"


def html_text(text: object) -> str:
    """For HTML element content and attribute values (quotes escaped too)."""
    return html.escape(printable(text, keep_newlines=True), quote=True)


def qt_rich(text: object) -> str:
    """For a Qt label showing rich text: the text shows as written, no tags act."""
    return html_text(text).replace("\n", "<br>")


def xml_text(text: object) -> str:
    """For an XML attribute or element (ElementTree escapes <, > and &): control
    characters (which XML 1.0 cannot hold, or a CI log would act on) are shown as symbols
    and what XML cannot encode at all (a lone surrogate) as U+FFFD, so the file stays
    well-formed and inert. Line breaks stay."""
    s = printable(text, keep_newlines=True)
    return _XML_INVALID.sub("\ufffd", s)
