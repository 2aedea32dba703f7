"""Read an agent's main prompt the way the offline agent follows it.

Prompts are written by people in many styles, so the parser looks for a few robust
shapes rather than a grammar:

- numbered task steps: `4. Ask "Are you ready to move forward?"`, `5. Say "..."`;
- rules, inline or as sub-bullets: `If the contact responds no, call end_call and say
  "Thanks for your time."` (actions: say a quoted line, go to step N, call an action);
- a questions-and-objections section (any rule outside the steps is global):
  `If the contact asks who is calling, respond "This is Sam from Acme."`;
- a closing line: `When you end the call, say "Thanks for calling."`.

Quotes may be "double", “curly” or 'single'. Text inside quotes is never read as an
instruction, so `say "call me back"` does not call anything.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache

_QUOTE = re.compile(r"\"([^\"]+)\"|“([^”]+)”|(?<![A-Za-z0-9])'(.+?)'(?![A-Za-z0-9])")
_STEP = re.compile(r"^\s*(?:step\s+)?(\d{1,3})\s*[.):]\s+(.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|[a-z][.)])\s+(.*)$")
_HEADING = re.compile(r"^\s*(?:#+\s*(.+?)\s*#*|\*\*(.+?)\*\*:?|([A-Za-z][^\"“'.!?]{0,60}):)\s*$")
_RULE_START = re.compile(
    r"\b(?:if|when)\s+(?:the\s+)?(?:contact|caller|customer|user|person|prospect|lead|"
    r"client|they|he|she|someone)\b",
    re.IGNORECASE,
)
_THEN = re.compile(r",|\bthen\b|:|\s[-–—]\s|\s*(?:->|=>|→)\s*", re.IGNORECASE)
_FRAGMENT_SPLIT = re.compile(r",?\s+and\s+then\s+|,?\s+then\s+|,?\s+and\s+|;\s*|,\s*", re.I)
_GOTO = re.compile(
    r"\b(?:go|proceed|continue|move|skip|jump|return|advance)\s+(?:on\s+|back\s+)?"
    r"(?:to|with)\s+step\s+(\d{1,3})\b",
    re.IGNORECASE,
)
_CALL = re.compile(
    r"\b(?:call|invoke|trigger|use|run|execute|fire)\s+(?:the\s+)?(`?)([A-Za-z_][\w-]*)\1"
    r"(\s+(?:function|tool|action))?",
    re.IGNORECASE,
)
_END_PHRASE = re.compile(
    r"\b(?:end|terminate|finish|close|disconnect)\s+the\s+(?:call|conversation)\b|"
    r"\bhang\s*up\b",
    re.IGNORECASE,
)
_SAY_VERB = re.compile(r"\b(say|says|respond|reply|answer|tell|ask|asks|greet|state)\b", re.I)
_CLOSING_CUE = re.compile(
    r"\b(end(?:s|ing)?|clos(?:e|es|ing)|finish|wrap(?:ping)?\s+up|goodbye|sign\s+off|"
    r"hang(?:ing)?\s+up|last\s+words?)\b",
    re.IGNORECASE,
)
_NOT_ACTION_WORDS = {"me", "you", "us", "them", "him", "her", "back", "it", "this", "that", "a"}


@dataclass(frozen=True)
class Action:
    """One thing a rule or step tells the agent to do."""

    kind: str  # "say", "ask", "goto", "call", "end"
    text: str = ""  # the quoted line for say/ask
    step: int = 0  # for goto
    name: str = ""  # for call
    explicit: bool = False  # the name looks like a function name (end_call, `x`, x tool)


@dataclass(frozen=True)
class Rule:
    condition: str  # e.g. "responds no", "asks who is calling"
    actions: tuple[Action, ...]
    line: int  # 1-based line of the prompt
    text: str  # the rule as written
    where: str  # "step 4" or "prompt"

    @property
    def says(self) -> str:
        return next((a.text for a in self.actions if a.kind in ("say", "ask")), "")

    def calls(self) -> list[Action]:
        return [a for a in self.actions if a.kind in ("call", "end")]


@dataclass(frozen=True)
class Step:
    number: int
    actions: tuple[Action, ...]  # from the step's own instruction, in order
    rules: tuple[Rule, ...]
    line: int
    text: str

    @property
    def asks(self) -> bool:
        return any(a.kind == "ask" for a in self.actions)

    @property
    def spoken(self) -> str:
        return " ".join(a.text for a in self.actions if a.kind in ("say", "ask"))

    def calls(self) -> list[Action]:
        return [a for a in self.actions if a.kind in ("call", "end")]


@dataclass(frozen=True)
class ActionRef:
    """A place where the prompt tells the agent to invoke an action."""

    name: str  # "" for a plain "end the call" / "hang up"
    explicit: bool
    line: int
    text: str
    says: str  # a line the prompt wants said with it, if any


@dataclass(frozen=True)
class ParsedPrompt:
    steps: tuple[Step, ...] = ()
    rules: tuple[Rule, ...] = ()  # global: questions, objections, rules outside steps
    closing: tuple[str, int] | None = None  # (line to say, prompt line number)
    refs: tuple[ActionRef, ...] = field(default=())

    def step(self, number: int) -> Step | None:
        return next((s for s in self.steps if s.number == number), None)

    def next_step(self, number: int) -> Step | None:
        later = [s for s in self.steps if s.number > number]
        return min(later, key=lambda s: s.number) if later else None


def quotes(text: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None).strip() for m in _QUOTE.finditer(text)]


def _mask(text: str) -> str:
    """The text with every quoted span blanked, so instructions are found outside quotes."""
    return _QUOTE.sub(lambda m: '"' + "_" * (len(m.group(0)) - 2) + '"', text)


def looks_like_function(name: str) -> bool:
    return "_" in name or "-" in name or bool(re.search(r"[a-z][A-Z]", name))


def parse_actions(text: str) -> tuple[Action, ...]:
    """Actions in the order written: `call end_call and say "Thanks."` -> call, say."""
    masked = _mask(text)
    out: list[Action] = []
    pos = 0
    pieces = []
    for m in _FRAGMENT_SPLIT.finditer(masked):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, len(masked)))
    pending_verb = ""
    for start, end in pieces:
        frag, mfrag = text[start:end], masked[start:end]
        verb = _SAY_VERB.search(mfrag)
        if verb:
            pending_verb = verb.group(1).lower()
        for q in quotes(frag):
            kind = "ask" if pending_verb.startswith("ask") else "say"
            out.append(Action(kind, text=q))
        goto = _GOTO.search(mfrag)
        if goto:
            out.append(Action("goto", step=int(goto.group(1))))
        for call in _CALL.finditer(mfrag):
            name = call.group(2)
            if name.lower() in _NOT_ACTION_WORDS:
                continue
            explicit = bool(call.group(1)) or bool(call.group(3)) or looks_like_function(name)
            out.append(Action("call", name=name, explicit=explicit))
        if _END_PHRASE.search(mfrag) and not _CALL.search(mfrag):
            out.append(Action("end"))
    return tuple(out)


def _split_rules(text: str) -> tuple[str, list[str]]:
    """Split a line into its instruction and the `If the contact ...` rules that follow."""
    masked = _mask(text)
    starts = [m.start() for m in _RULE_START.finditer(masked)]
    if not starts:
        return text, []
    bounds = [*starts, len(text)]
    return text[: starts[0]], [text[a:b].strip() for a, b in itertools.pairwise(bounds)]


def _parse_rule(segment: str, line: int, where: str) -> Rule | None:
    masked = _mask(segment)
    head = _RULE_START.match(masked)
    if head is None:
        return None
    sep = _THEN.search(masked, head.end())
    if sep is None:
        return Rule(segment[head.end() :].strip(" ."), (), line, segment, where)
    condition = segment[head.end() : sep.start()].strip()
    actions = parse_actions(segment[sep.end() :])
    return Rule(condition, actions, line, segment, where)


def _heading(line: str) -> str | None:
    m = _HEADING.match(line)
    if not m or _STEP.match(line):
        return None
    return next(g for g in m.groups() if g is not None)


@lru_cache(maxsize=64)
def parse_prompt(prompt: str) -> ParsedPrompt:
    steps: list[Step] = []
    rules: list[Rule] = []
    refs: list[ActionRef] = []
    closing: tuple[str, int] | None = None
    closing_from_step: tuple[str, int] | None = None
    current: dict | None = None  # the step being read: its actions and rules
    in_objections = False

    def finish_step() -> None:
        nonlocal current
        if current is not None:
            steps.append(
                Step(
                    current["number"],
                    tuple(current["actions"]),
                    tuple(current["rules"]),
                    current["line"],
                    current["text"],
                )
            )
        current = None

    for number, raw in enumerate(prompt.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        heading = _heading(line)
        if heading is not None:
            finish_step()
            in_objections = bool(re.search(r"question|objection|faq", heading, re.I))
            continue
        step_m = _STEP.match(line)
        bullet_m = _BULLET.match(line)
        body = line
        is_step = False
        if step_m and not in_objections and not _RULE_START.match(_mask(step_m.group(2))):
            finish_step()
            body = step_m.group(2)
            current = {
                "number": int(step_m.group(1)),
                "actions": [],
                "rules": [],
                "line": number,
                "text": body,
            }
            is_step = True
        elif step_m:
            body = step_m.group(2)
        elif bullet_m:
            body = bullet_m.group(1)
        elif current is not None and not raw.startswith((" ", "\t")):
            finish_step()  # prose after the steps ends the step list

        instruction, rule_texts = _split_rules(body)
        where = f"step {current['number']}" if current is not None else "prompt"
        inst_actions = parse_actions(instruction)
        if current is not None and (is_step or bullet_m or raw.startswith((" ", "\t"))):
            current["actions"].extend(inst_actions)
        parsed_rules = [r for r in (_parse_rule(t, number, where) for t in rule_texts) if r]
        if current is not None:
            current["rules"].extend(parsed_rules)
        else:
            rules.extend(parsed_rules)

        # Every request to invoke an action, wherever it is, for the lints.
        groups = [(instruction, inst_actions)] + [(r.text, r.actions) for r in parsed_rules]
        for text, actions in groups:
            said = next((a.text for a in actions if a.kind in ("say", "ask")), "")
            for a in actions:
                if a.kind in ("call", "end"):
                    refs.append(ActionRef(a.name, a.explicit, number, text.strip(), said))
            if (
                is_step
                and text is instruction
                and said
                and any(a.kind in ("call", "end") for a in actions)
            ):
                closing_from_step = closing_from_step or (said, number)
        if (
            closing is None
            and not rule_texts
            and not is_step
            and _CLOSING_CUE.search(_mask(instruction))
            and quotes(instruction)
        ):
            closing = (quotes(instruction)[0], number)
    finish_step()
    return ParsedPrompt(tuple(steps), tuple(rules), closing or closing_from_step, tuple(refs))


def fill_variables(text: str, variables: dict[str, str]) -> str:
    """Replace {name} placeholders that have a value; leave the others visible."""
    return re.sub(r"\{(\w+)\}", lambda m: variables.get(m.group(1), m.group(0)), text)
