"""The offline agent's goodbye line from a Goodbye Message Prompt.

A goodbye prompt is either a line to say ("Thanks for calling, {contact_name}.
Goodbye!") or an instruction to a model ("say goodbye to the user", "thank them and
wish them a good day"). Read aloud, an instruction is the bug a tester is looking for
on a real platform, so the offline agent says what the instruction asks instead: a
quoted line in it is used as written, otherwise the instruction is phrased ("Thank
you. Have a good day!"), and a goodbye prompt that is only a tool name (`end_call`)
gives the polite default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.agent.phrasing import phrase_instruction
from console.agent.prompt_actions import parse_actions
from console.agent.prompt_text import looks_like_function, mask, quotes, sentences

DEFAULT_GOODBYE = "Thank you for your time. Goodbye."

_INSTRUCTION_START = re.compile(
    r"^\s*(?:(?:please|politely|warmly|briefly|kindly|always|just|then|simply|now|first|"
    r"finally)\s*,?\s+)*(?:say|tell|thank (?:them|the|him|her|everyone)|thank\b(?! you)|wish|"
    r"let|mention|inform|remind|ask|end|close|conclude|wrap|give|offer|apologi[sz]e|confirm|"
    r"summari[sz]e|express|bid|keep|use|generate|write|respond|reply|make|be|sign off|deliver|"
    r"create|produce|craft|include|state|provide|acknowledge|recap|invite|encourage)\b",
    re.I,
)
_ABOUT_CALLER = re.compile(
    r"\b(?:the (?:user|caller|customer|contact|lead|patient|client|prospect|person)|them|"
    r"their|you (?:should|must|will|need to)|goodbye message|farewell message|the call)\b",
    re.I,
)


@dataclass(frozen=True)
class GoodbyeLine:
    text: str
    detail: str


def is_instruction(text: str) -> bool:
    masked = mask(text)
    return bool(_INSTRUCTION_START.match(masked) or _ABOUT_CALLER.search(masked))


def goodbye_from_prompt(goodbye_prompt: str) -> GoodbyeLine:
    """The goodbye for a non-empty goodbye prompt (variables not yet filled)."""
    text = goodbye_prompt.strip()
    said = quotes(text)
    if said:
        return GoodbyeLine(said[0], "the goodbye prompt's quoted line")
    words = [w.strip("`'\".,;:()") for w in text.split()]
    if words and all(
        looks_like_function(w) or w.lower() in ("call", "use", "invoke") for w in words
    ):
        return GoodbyeLine(
            DEFAULT_GOODBYE,
            f"the goodbye prompt is a tool name ({text!r}), not a line: a polite default",
        )
    if not is_instruction(text):
        return GoodbyeLine(text, "the goodbye prompt as written")
    lines: list[str] = []
    for _, sentence in sentences(text):
        for action in parse_actions(sentence):
            if action.kind in ("say", "ask") and action.text and not action.negated:
                line = action.text
                if "{greeting}" in line:
                    continue
                if line not in lines:
                    lines.append(line)
        if not lines:
            phrased = phrase_instruction(sentence)
            if phrased is not None and phrased.text not in lines and "{" not in phrased.text[:1]:
                lines.append(phrased.text)
    lines = [ln for ln in lines if not ln.endswith("?")]
    if not lines:
        return GoodbyeLine(
            DEFAULT_GOODBYE,
            "the goodbye prompt is an instruction the offline agent cannot phrase: a polite "
            "goodbye",
        )
    line = " ".join(lines)
    if not re.search(
        r"\b(?:goodbye|bye|farewell|have a (?:good|great|nice|wonderful|lovely))", line, re.I
    ):
        line += " Goodbye!"
    return GoodbyeLine(line, "phrased from the goodbye prompt's instruction")
