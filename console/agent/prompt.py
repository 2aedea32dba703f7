"""Read an agent's main prompt the way the offline agent follows it.

Prompts are written by people in many styles (numbered scripts, Markdown sections,
tables, arrows, states, prose), so the reader recognises common structures rather than
a grammar, and records for every line what it made of it (the prompt map):

- **steps**: a numbered list in a task section (or the top level), a table with a step
  column, or the states of a multi-state prompt. A numbered list that is a set of
  examples, of phrases or of rules is *not* a script;
- **rules**: `If the contact responds no, call end_call and say "Thanks."`, on one line,
  as sub-bullets of a step, spread over several lines (`When the person says something
  like:` + phrases + `THEN ...`), with arrows or bracketed conditions, in an objection
  section, or as "Call when:" lists; a rule that ends the call is an **end trigger**,
  one that forbids ending is a **not an end** rule (never a trigger);
- **lines**: a closing line (`When you end the call, say "..."`), an opening line
  (`Begin the call with "..."`), words the prompt forbids;
- **conversation steps**: a prompt without a numbered script is a conversation; its
  instructions (`Greet the caller and ask for their name`) are said in order, and the
  call goes on until an end condition;
- everything else is **context** (persona, style, knowledge) or **ignored** (a line
  that reads like an instruction the agent could not use: the lints say so).

Text inside quotes is never read as an instruction, so `say "call me back"` calls
nothing, and a quoted tool name (`use the 'hangUp' tool`) is a name, not a line to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from console.agent import conditions as cd
from console.agent.phrasing import Identity, identity_of
from console.agent.prompt_actions import (
    KNOWN_NAMES,
    Action,
    end_like,
    has_speech,
    parse_actions,
)
from console.agent.prompt_lines import (
    BULLET,
    CODE,
    DIRECTION,
    FENCE,
    HEADING,
    NUMBERED,
    PROSE,
    TABLE,
    TABLE_SEP,
    Line,
    lex,
    section_kind,
)
from console.agent.prompt_statements import (
    CLOSING,
    CONFIRM,
    CONTEXT,
    EXAMPLE,
    FORBIDDEN,
    HEAD,
    INSTRUCTION,
    NONE,
    NOT_END,
    OPENING,
    RULE,
    WAIT,
    Statement,
    about_ending,
    read_statement,
    reads_like_instruction,
    then_line,
)
from console.agent.prompt_text import looks_like_function, mask, quotes, sentences

__all__ = [
    "Action",
    "ActionRef",
    "MapEntry",
    "ParsedPrompt",
    "Rule",
    "Step",
    "looks_like_function",
    "parse_actions",
    "parse_prompt",
    "quotes",
]

# What a prompt line became (the prompt map's roles).
R_STEP = "step"
R_RULE = "rule"
R_ANSWER = "objection answer"
R_END = "end trigger"
R_NOT_END = "not an end"
R_EXAMPLE = "example"
R_PHRASES = "phrase list"
R_OPENING = "opening line"
R_CLOSING = "closing line"
R_SECTION = "section"
R_CONTEXT = "context"
R_IGNORED = "ignored"
ROLES = (
    R_END,
    R_NOT_END,
    R_STEP,
    R_ANSWER,
    R_RULE,
    R_OPENING,
    R_CLOSING,
    R_PHRASES,
    R_EXAMPLE,
    R_SECTION,
    R_CONTEXT,
    R_IGNORED,
)

_STEP_SECTIONS = ("general", "task", "state")
_SCRIPT_TITLE = re.compile(r"steps?|script|flow|process|sequence|procedure|agenda", re.I)
_EXAMPLE_LEAD = re.compile(
    r"\bexamples?\b|\bsample\b|\be\.g\b|for instance|dialog|transcript|illustrat", re.I
)
_VOICEMAIL_LEAD = re.compile(r"voice ?-?mail|answering machine|machine", re.I)
_FORBID_LEAD = re.compile(
    r"\b(?:never|do not|don't|avoid)\s+(?:say|use|mention)|forbidden|banned|blacklist", re.I
)
_END_LEAD = re.compile(
    r"(?:\bcall|\buse|\binvoke|\btrigger|\bend the call|\bhang up|\bterminate|\bend_call|"
    r"`[\w-]+`|\b\w+_\w+)\b[^:]{0,40}\b(?:when|if|on|in these cases|in the following cases)\b"
    r"[^:]{0,30}:\s*$|^\s*(?:end[- ]call|hang[- ]?up|termination) (?:conditions|triggers|phrases|"
    r"cases|rules)\s*:?\s*$|^\s*(?:call|use) when\s*:?\s*$",
    re.I,
)
# "Do not end the call unless:": the list says when to end it.
_END_UNLESS_LEAD = re.compile(
    r"(?:do not|don't|never|not)\b[^:]{0,40}\b(?:unless|until|except(?: when| if)?)\b[^:]{0,30}"
    r":\s*$",
    re.I,
)
_NOT_END_LEAD = re.compile(
    r"(?:do not|don't|never|not)\b[^:]{0,40}\b(?:when|if)\b[^:]{0,30}:\s*$|"
    r"^\s*(?:do not|don't|never) (?:call|use|end|hang)[^:]{0,40}:\s*$",
    re.I,
)
_KEY_VALUE = re.compile(r"^([A-Za-z][\w '/&?-]{1,50}?)\s*(?::|–|—|\s-)\s+(.+)$")
_QUOTED_KEY = re.compile(r'^\s*["“]([^"”]+)["”]\s*(?::|–|—|-|->|→)\s*(.+)$')
_QA_Q = re.compile(r"^\s*(?:Q|Question)\s*#?\s*\d{0,3}\s*[:.)-]\s*(.+)$", re.I)
_QA_A = re.compile(r"^\s*(?:A|Answer)\s*#?\s*\d{0,3}\s*[:.)-]\s*(.+)$", re.I)
_ANYTHING_ELSE = re.compile(
    r"anything else|any other questions?|any more questions|anything more|help (?:you )?with "
    r"anything|other questions",
    re.I,
)


@dataclass(frozen=True)
class Rule:
    condition: str  # as written, e.g. "If the contact responds no"
    actions: tuple[Action, ...]
    line: int  # 1-based line of the prompt
    text: str  # the rule as written
    where: str  # "step 4", "state qualify", "prompt", "description"
    cond: cd.Condition = field(default_factory=lambda: cd.Condition("", cd.CALLER))
    section: str = ""  # the section it was found in (voicemail, objection, ...)
    not_end: bool = False  # "do not end the call when ...": blocks endings, never ends
    order: int = 0  # position in reading order (lines packed with several items too)

    @property
    def says(self) -> str:
        return " ".join(a.text for a in self.actions if a.kind in ("say", "ask") and not a.negated)

    def calls(self) -> list[Action]:
        return [a for a in self.actions if a.kind in ("call", "end") and not a.negated]

    @property
    def ends(self) -> bool:
        """Whether the rule asks to end the call (under any name that reads as ending)."""
        return any(a.kind == "end" or end_like(a.name) for a in self.calls())


@dataclass(frozen=True)
class Step:
    number: int
    actions: tuple[Action, ...]  # from the step's own instruction, in order
    rules: tuple[Rule, ...]
    line: int
    text: str
    index: int = 0  # position in the script
    group: int = 0  # the list it belongs to ("go to step N" looks there first)
    name: str = ""  # a state's name
    implicit: bool = False  # from prose instructions, not a numbered list
    order: int = 0  # position in reading order
    # A labelled block ("Closing: Say ... and use end_call") that a "go to Closing" leads
    # to: entered only that way, never by moving on from the step before it.
    detached: bool = False

    @property
    def label(self) -> str:
        return f"state {self.name}" if self.name else f"step {self.number}"

    @property
    def asks(self) -> bool:
        return any(
            a.kind == "ask" or (a.kind == "say" and a.text.rstrip().endswith("?"))
            for a in self.actions
            if not a.negated
        )

    @property
    def spoken(self) -> str:
        return " ".join(a.text for a in self.actions if a.kind in ("say", "ask") and not a.negated)

    def calls(self) -> list[Action]:
        return [a for a in self.actions if a.kind in ("call", "end") and not a.negated]

    @property
    def waits(self) -> bool:
        """The step waits for the caller: it asks, it branches, or it has nothing to say
        (an instruction such as "Qualify the lead" takes a turn of conversation)."""
        if self.calls():
            return False
        return self.asks or bool(self.rules) or not self.spoken


@dataclass(frozen=True)
class ActionRef:
    """A place where the prompt tells the agent to invoke an action."""

    name: str  # "" for a plain "end the call" / "hang up"
    explicit: bool
    line: int
    text: str
    says: str  # a line the prompt wants said with it, if any
    ending: bool = True  # the name or the sentence is about ending the call


@dataclass(frozen=True)
class MapEntry:
    """What the agent understood of one prompt line."""

    line: int
    role: str
    detail: str
    text: str
    instruction_like: bool = False
    about_ending: bool = False
    # Part of the line was not understood even though the line also became something
    # else (a numbered step whose instruction gave no line to say): still a lint.
    unclear: bool = False


@dataclass(frozen=True)
class ParsedPrompt:
    steps: tuple[Step, ...] = ()
    rules: tuple[Rule, ...] = ()  # global: objections, end triggers, "not an end" rules
    closing: tuple[str, int] | None = None  # (line to say, prompt line number)
    refs: tuple[ActionRef, ...] = ()
    opening: tuple[str, int] | None = None
    forbidden: tuple[tuple[str, int], ...] = ()
    confirm_before_end: int | None = None  # line asking "anything else?" before ending
    voicemail_phrases: tuple[str, ...] = ()
    entries: tuple[MapEntry, ...] = ()
    explicit_script: bool = False
    identity: Identity = field(default_factory=Identity)
    ask_orders: tuple[int, ...] = ()  # reading positions of every question the prompt asks
    opening_order: int = 0

    def step(self, number: int, group: int | None = None) -> Step | None:
        same = [s for s in self.steps if s.number == number and s.group == group]
        return same[0] if same else next((s for s in self.steps if s.number == number), None)

    def at(self, index: int) -> Step | None:
        return self.steps[index] if 0 <= index < len(self.steps) else None

    def state(self, name: str) -> Step | None:
        key = _state_key(name)
        return next(
            (
                s
                for s in self.steps
                if s.name and (_state_key(s.name) == key or _state_key(s.name).split("_")[0] == key)
            ),
            None,
        )

    def next_index(self, index: int) -> int | None:
        """The step after `index` in the script. A step that one step's branches lead to
        ("If the screen is blank, go to step 2. If it shows offline, go to step 3") is
        one of several alternatives: after it, the script skips its siblings."""
        siblings = _sibling_targets(self, index)
        nxt = index + 1
        while nxt in siblings:
            nxt += 1
        after = self.at(nxt)
        return nxt if after is not None and not after.detached else None

    def next_step(self, number: int) -> Step | None:
        """Kept for callers that think in step numbers."""
        later = [s for s in self.steps if s.number > number]
        return min(later, key=lambda s: s.number) if later else None

    @property
    def not_end_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.not_end)


def _sibling_targets(prompt: ParsedPrompt, index: int) -> set[int]:
    """The other steps that the branches leading to step `index` lead to."""
    for step in prompt.steps:
        targets = set()
        for rule in step.rules:
            for a in rule.actions:
                if a.kind != "goto" or a.negated:
                    continue
                target = prompt.state(a.name) if a.name else prompt.step(a.step, step.group)
                if target is not None and target.index != step.index:
                    targets.add(target.index)
        if index in targets and len(targets) > 1:
            return targets - {index}
    return set()


def _state_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def describe_actions(actions: tuple[Action, ...]) -> str:
    parts = []
    for a in actions:
        neg = "not " if a.negated else ""
        if a.kind in ("say", "ask"):
            how = {"paraphrase": " (phrased from the instruction)", "verbatim": ""}.get(
                a.source, ""
            )
            parts.append(f'{neg}{a.kind} "{a.text}"{how}')
        elif a.kind == "goto":
            parts.append(f"go to {('state ' + a.name) if a.name else f'step {a.step}'}")
        elif a.kind == "call":
            parts.append(f"{neg}call {a.name}")
        elif a.kind == "end":
            parts.append(f"{neg}end the call")
    return ", then ".join(parts) if parts else "nothing to do"


@dataclass
class _StepBuilder:
    number: int
    line: int
    text: str
    group: int
    name: str = ""
    implicit: bool = False
    actions: list[Action] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    order: int = 0
    detached: bool = False
    lines: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"state {self.name}" if self.name else f"step {self.number}"


@dataclass
class _Head:
    """A condition whose phrases or actions come on the next lines."""

    cond_text: str
    line: int
    text: str
    step: _StepBuilder | None
    section: str
    actions: tuple[Action, ...] = ()
    phrases: list[str] = field(default_factory=list)
    phrase_lines: list[int] = field(default_factory=list)
    negated: bool = False
    indent: int = 0  # lines indented deeper are its body (`if caller says yes:` blocks)


@dataclass
class _Item:
    line: Line
    text: str
    children: list[Line] = field(default_factory=list)


class _Reader:
    def __init__(self, prompt: str) -> None:
        self.prompt = prompt
        self.lines = lex(prompt)
        self.marks: dict[int, list[tuple[str, str]]] = {}
        self.flags: dict[int, tuple[bool, bool]] = {}
        self.raw: dict[int, str] = {ln.no: ln.raw for ln in self.lines}
        self.steps: list[_StepBuilder] = []
        self.goals: list[_StepBuilder] = []
        self.rules: list[Rule] = []
        self.refs: list[ActionRef] = []
        self.closing: tuple[str, int] | None = None
        self.opening: tuple[str, int] | None = None
        self.forbidden: list[tuple[str, int]] = []
        self.confirm: int | None = None
        self.voicemail: list[str] = []
        self.kind = "general"
        self.title = ""
        self.soft: str | None = None
        self.soft_title = ""
        self.group = 0
        self.state: _StepBuilder | None = None
        self.head: _Head | None = None
        self.lead: tuple[str, int] | None = None  # the prose line just before a list
        self.question: tuple[str, int] | None = None  # a "Q:" waiting for its "A:"
        self.explicit = False
        self.seq = 0
        self.opening_order = 0
        self.last_tool = ""
        self.soft_line = 0
        self.recent: tuple[list[str], bool] | None = None  # the last phrase list read
        self.unclear_steps: set[int] = set()  # lines of steps that gave nothing to say
        self.line_indent = 0  # the indent of the prose line being read
        # A conversation step that asks, read just before: `if ...:` blocks after it are
        # its branches.
        self.branch_goal: _StepBuilder | None = None
        self.preconditions: dict[int, str] = {}  # "4. Once the problem is fixed, ..."
        self.last_rule: Rule | None = None  # what "if it continues" refers to
        self.opening_wait = 0  # a line that opens the call with a check; its line follows
        self.after_step: tuple[int, _StepBuilder] | None = None  # "After Q3, ask ..."
        # Instructions under each "Label:" heading, by the label's key.
        self.blocks: dict[str, tuple[str, list[tuple[int, str, tuple[Action, ...]]]]] = {}

    def tick(self) -> int:
        self.seq += 1
        return self.seq

    # -- the map -----------------------------------------------------------------------
    def mark(self, line: int, role: str, detail: str, text: str = "") -> None:
        self.marks.setdefault(line, []).append((role, detail))
        if text:
            old = self.flags.get(line, (False, False))
            self.flags[line] = (
                old[0] or reads_like_instruction(text),
                old[1] or about_ending(text),
            )

    @property
    def section(self) -> str:
        return self.soft or self.kind

    # -- the main loop -----------------------------------------------------------------
    def read(self) -> ParsedPrompt:
        lines = self.lines
        i = 0
        blank_run = 0
        while i < len(lines):
            ln = lines[i]
            if ln.kind == "blank":
                blank_run += 1
                if blank_run == 1 and self.soft is not None and self._soft_used:
                    self.soft = None
                if blank_run >= 1 and self.head is not None and not self._head_continues(i):
                    self.finish_head()
                i += 1
                continue
            blank_run = 0
            if self.soft_line and ln.no > self.soft_line:
                self.soft, self.soft_line = None, 0
            if ln.kind == DIRECTION:
                self.mark(ln.no, R_CONTEXT, "a stage direction: the agent waits for the caller")
                i += 1
                continue
            if ln.kind in (FENCE, CODE):
                if ln.kind == CODE and ln.text:
                    self.mark(ln.no, R_EXAMPLE, "inside a code block: not read as instructions")
                i += 1
                continue
            if ln.kind == HEADING:
                self.finish_head()
                self.heading(ln)
                i += 1
                continue
            if ln.kind in (TABLE, TABLE_SEP):
                j = i
                while j < len(lines) and lines[j].kind in (TABLE, TABLE_SEP):
                    j += 1
                self.finish_head()
                self.table(lines[i:j])
                self._soft_used = True
                i = j
                continue
            if ln.kind in (NUMBERED, BULLET):
                items, i = self.collect(i)
                self.list_block(items)
                self._soft_used = True
                self.lead = None
                continue
            self.prose(ln)
            self._soft_used = True
            i += 1
        self.finish_head()
        return self.result()

    _soft_used = False

    def _head_continues(self, i: int) -> bool:
        j = i
        while j < len(self.lines) and self.lines[j].kind == "blank":
            j += 1
        if j >= len(self.lines):
            return False
        nxt = self.lines[j]
        return nxt.kind in (NUMBERED, BULLET) or then_line(nxt.text) is not None

    def heading(self, ln: Line) -> None:
        kind = section_kind(ln.title)
        self.lead = None
        if ln.label:
            self.soft, self.soft_title, self._soft_used = kind, ln.title, False
            # "End the call when:" is a heading and the lead of the list under it.
            self.lead = (ln.title + ":", ln.no)
            self.soft_line = ln.no if ln.inline else 0  # "EXAMPLE: 1. ... 2. ...": this line
            if kind == "general":
                self.soft = None
        else:
            self.kind, self.title, self.soft = kind, ln.title, None
            self.state = None
        if kind == "state" and not ln.label:
            name = re.sub(r"^state\b\s*[:#-]?\s*(?:\d+\s*[-:.–—]?\s*)?", "", ln.title, flags=re.I)
            name = name.strip(" `'\"") or f"state{len(self.steps) + 1}"
            self.explicit = True
            self.state = _StepBuilder(
                len(self.steps) + 1, ln.no, ln.title, 0, name=name, order=self.tick()
            )
            self.steps.append(self.state)
            self.mark(ln.no, R_STEP, f"state {name}: a step of the script (its rules follow)")
            return
        what = {
            "example": "examples: not followed",
            "voicemail": "voicemail handling",
            "objection": "questions and objections: answers anywhere in the call",
            "guard": "guardrails: rules that apply anywhere",
            "ending": "when to end the call",
            "not_end": "when not to end the call",
            "task": "the task",
            "knowledge": "knowledge: context (answers only where written as rules)",
            "context": "role and style: context",
            "general": "section",
        }[kind]
        self.mark(ln.no, R_SECTION, what)

    # -- prose -------------------------------------------------------------------------
    def prose(self, ln: Line) -> None:
        text = ln.text
        if self.head is not None:
            then = then_line(text)
            if then is not None:
                self.head.actions += parse_actions(then)
                self.mark(ln.no, R_RULE, f"the actions of the rule on line {self.head.line}")
                self.finish_head()
                return
            if ln.indent > self.head.indent and self.head.actions:
                # The body of a block (`if caller says yes:` then `say(...)`, `endCall()`
                # on the lines under it): every indented line is one of its actions.
                st = read_statement(text)
                body = st.actions if st.kind == INSTRUCTION else ()
                body = body or (parse_actions(text) if st.kind == NONE else ())
                if body:
                    self.head.actions += body
                    self.mark(ln.no, R_RULE, f"the actions of the rule on line {self.head.line}")
                    return
            if ln.indent > 0 or not self.head.actions:
                st = read_statement(text)
                if st.kind == INSTRUCTION and not self.head.actions:
                    self.head.actions = st.actions
                    self.mark(ln.no, R_RULE, f"the actions of the rule on line {self.head.line}")
                    if ln.indent <= self.head.indent:
                        self.finish_head()
                    return
            self.finish_head()
        if self.qa(ln.no, text):
            return
        if self.section == "example":
            self.mark(ln.no, R_EXAMPLE, "in an examples section: not followed")
            return
        if self.section in ("knowledge", "objection") and self.key_value(ln.no, text, None):
            return
        text = _without_inline_label(ln.raw, text)
        self.lead = (text, ln.no)
        self.line_indent = ln.indent
        aside = _PAREN_LEAD.match(mask(text))
        if aside is not None:
            # "Questions (ask one at a time; if they answer with words, ask for a
            # number):": the list's title, and the rules in brackets.
            inner = text[aside.start(1) : aside.end(1)]
            for part in re.split(r";\s*", inner):
                for _, sentence in sentences(part):
                    self.statement(sentence, ln.no, None)
            return
        opening = _OPENING_LABEL.match(mask(text))
        if opening is not None and self.opening is None:
            said = quotes(text[opening.end() :])
            if said and not mask(text[opening.end() :]).replace('"', "").strip(" _.,"):
                # "Introduction: "Hi, this is Iris ... Do you have two minutes?"": the line
                # the call opens with.
                self.opening, self.opening_order = (said[0], ln.no), self.tick()
                self.mark(ln.no, R_OPENING, f'the call opens with "{said[0]}"', text)
                return
        for _, sentence in sentences(text):
            self.statement(sentence, ln.no, None)

    def qa(self, no: int, text: str) -> bool:
        q = _QA_Q.match(text)
        if q:
            self.question = (q.group(1), no)
            self.mark(no, R_ANSWER, "a question the caller may ask (its answer follows)", text)
            return True
        a = _QA_A.match(text)
        if a and self.question is not None:
            qtext, qline = self.question
            self.question = None
            cond = cd.read_condition(qtext)
            said = quotes(a.group(1)) or [a.group(1).strip()]
            rule = Rule(
                qtext,
                (Action("say", said[0], source="verbatim"),),
                qline,
                qtext,
                "prompt",
                cond,
                self.section,
            )
            self.rules.append(replace(rule, order=self.tick()))
            self.mark(no, R_ANSWER, f'answer to the question on line {qline}: say "{said[0]}"')
            return True
        return False

    def key_value(self, no: int, text: str, step: _StepBuilder | None) -> bool:
        """`Too expensive: "We have plans from $20."` in an objection or FAQ section."""
        m = _QUOTED_KEY.match(text)
        if m:
            cond = cd.read_condition(f'"{m.group(1)}"')
        else:
            m = _KEY_VALUE.match(text)
            if m is None or _COND_LIKE.match(m.group(1)) or reads_like_instruction(m.group(1)):
                return False
            cond = cd.read_condition(m.group(1))
        value = m.group(2).strip()
        st = read_statement(value)
        actions = st.actions if st.kind in (INSTRUCTION, RULE) and st.actions else ()
        if not actions:
            said = quotes(value) or [value]
            actions = (Action("say", said[0], source="quoted" if quotes(value) else "verbatim"),)
        if not cond.understood:
            return False
        rule = Rule(m.group(1), actions, no, text, "prompt", cond, self.section)
        self.add_rule(rule, text)
        return True

    # -- one sentence ------------------------------------------------------------------
    def statement(self, sentence: str, no: int, step: _StepBuilder | None) -> Statement:
        split = _and_when(sentence)
        if split is not None:
            # `Ask "Anything else?" and when they say no, say "Goodbye." and end the call`:
            # an instruction, then a rule on its answer.
            self.statement(split[0], no, step)
            return self.statement(split[1], no, step)
        if self.last_tool:
            # "only use it when ...": "it" is the tool the prompt just named.
            sentence = re.sub(
                r"\b(use|call|invoke|trigger)\s+(?:it|this(?:\s+(?:tool|function))?)\b",
                lambda m: f"{m.group(1)} {self.last_tool}",
                sentence,
                flags=re.I,
            )
        st = read_statement(sentence)
        prev_rule = self.last_rule
        if (
            st.kind == INSTRUCTION
            and re.match(r"^\s*then\b", sentence, re.I)
            and prev_rule is not None
            and prev_rule.line == no
            and not prev_rule.not_end
        ):
            # `If the patient says yes, "Wonderful." Then go to Closing.`: the second
            # sentence is the rest of the rule's actions.
            self.extend_rule(prev_rule, st.actions, sentence)
            return st
        if st.cond is not None and self.recent and _POINTS_BACK.search(st.cond_text):
            # "If you hear one of these, ...": the phrases of the list just read.
            phrases, voicemail = self.recent
            text = st.cond_text + (" (voicemail)" if voicemail else "")
            st = replace(st, cond=cd.read_condition(text, tuple(phrases)))
        prev = self.last_rule
        if (
            st.cond is not None
            and st.kind in (RULE, HEAD)
            and _CONTINUES.match(st.cond_text)
            and prev is not None
            and prev.cond.intents
        ):
            # "If the customer becomes abusive, warn them once. If it continues, ...":
            # "it" is the condition of the rule before, heard a second time.
            cond = replace(
                prev.cond,
                text=st.cond_text,
                again=prev.cond.intents,
                note=f"{st.cond_text.strip()!r} refers to line {prev.line}",
            )
            st = replace(st, cond=cond)
        named = [a.name for a in st.actions if a.kind == "call" and a.name]
        if named:
            self.last_tool = named[-1]
        goal, self.branch_goal = self.branch_goal, None
        if step is None and goal is not None and st.kind == HEAD and _BLOCK_HEAD.match(sentence):
            # `say("... renew your books?")` then `if caller says yes:` / `elif ...:` /
            # `else:` blocks: the branches of that question, like a numbered step's.
            step, self.branch_goal = goal, goal
        scope = step or self.state
        where = scope.label if scope else "prompt"
        if self.section == "example":
            self.mark(no, R_EXAMPLE, "in an examples section: not followed", sentence)
            return st
        after = _AFTER_STEP.match(st.cond_text) if st.kind == RULE and step is None else None
        if after is not None and self.steps and self.state is None:
            self.step_after(after, st, sentence, no)
            return st
        if (
            st.kind == INSTRUCTION
            and step is None
            and self.after_step is not None
            and self.after_step[0] == no
        ):
            self.step_after_more(st, sentence, no)
            return st
        if st.kind == EXAMPLE:
            self.mark(no, R_EXAMPLE, "an example exchange: not followed", sentence)
        elif st.kind == HEAD:
            self.finish_head()
            self.head = _Head(
                st.cond_text, no, sentence, scope, self.section, indent=self.line_indent
            )
            self.mark(
                no,
                R_RULE,
                f"a condition ({st.cond.describe() if st.cond else ''}); "
                "its phrases or actions follow",
                sentence,
            )
        elif st.kind in (RULE, NOT_END):
            cond = st.cond or cd.Condition(st.cond_text, cd.CALLER)
            if _ends_with_list(sentence):
                self.finish_head()
                self.head = _Head(
                    st.cond_text,
                    no,
                    sentence,
                    scope,
                    self.section,
                    actions=st.actions,
                    negated=st.kind == NOT_END,
                )
                self.mark(no, R_RULE, "a rule whose phrases follow", sentence)
                return st
            rule = Rule(
                st.cond_text,
                st.actions,
                no,
                sentence,
                where,
                cond,
                self.section,
                not_end=st.kind == NOT_END,
            )
            self.add_rule(rule, sentence, scope)
        elif st.kind == OPENING and not st.line:
            self.opening_wait = no
            self.mark(no, R_OPENING, "the call opens with this check (its line follows)", sentence)
        elif st.kind == OPENING:
            if self.opening is None:
                self.opening, self.opening_order = (st.line, no), self.tick()
            self.mark(no, R_OPENING, f'the call opens with "{st.line}"', sentence)
        elif (
            st.kind == INSTRUCTION
            and self.opening_wait == no
            and self.opening is None
            and any(a.kind in ("say", "ask") and a.source == "quoted" for a in st.actions)
        ):
            line = " ".join(a.text for a in st.actions if a.kind in ("say", "ask"))
            self.opening, self.opening_order = (line, no), self.tick()
            self.mark(no, R_OPENING, f'the call opens with "{line}"', sentence)
        elif (
            st.kind == INSTRUCTION
            and self.head is not None
            and self.head.line == no
            and not self.head.actions
        ):
            # "If the person is not {debtor_name}, do not say why you are calling. Say
            # "..." and end the call.": the sentence after the condition is its action.
            self.head.actions = st.actions
            self.mark(no, R_RULE, f"the actions of the rule on line {self.head.line}", sentence)
            self.finish_head()
        elif st.kind == CLOSING:
            self.closing = self.closing or (st.line, no)
            self.mark(no, R_CLOSING, f'the goodbye when the call ends: "{st.line}"', sentence)
        elif st.kind == FORBIDDEN:
            self.forbidden += [(w, no) for w in st.words]
            words = ", ".join(f'"{w}"' for w in st.words)
            self.mark(no, R_RULE, f"never says {words}", sentence)
        elif st.kind == CONFIRM:
            self.confirm = self.confirm or no
            self.mark(no, R_RULE, "before ending, asks if there is anything else", sentence)
        elif st.kind == INSTRUCTION:
            self.instruction(st, sentence, no, scope)
        elif st.kind == WAIT:
            self.mark(no, R_CONTEXT, "the agent waits for the caller", sentence)
        elif st.kind == CONTEXT or self.section in ("context", "knowledge"):
            self.mark(no, R_CONTEXT, _context_detail(self.section), sentence)
        else:
            self.mark(no, R_IGNORED, "not understood: no step, rule or line came of it", sentence)
        return st

    def step_after(self, after: re.Match[str], st: Statement, sentence: str, no: int) -> None:
        """ "After Q3, ask: "Anything else?"": a step after that one in the script."""
        group = [s for s in self.steps if s.group == self.group] or self.steps
        number = int(after.group(1)) if after.group(1) else group[-1].number
        target = next((s for s in reversed(group) if s.number == number), group[-1])
        new = _StepBuilder(target.number + 1, no, sentence, target.group, order=self.tick())
        new.actions.extend(st.actions)
        self.steps.insert(self.steps.index(target) + 1, new)
        self.after_step = (no, new)
        self.refs_of(st.actions, no, sentence)
        self.mark(
            no,
            R_STEP,
            f"a step after {target.label} ({st.cond_text.strip()!r}): "
            f"{describe_actions(st.actions)}",
            sentence,
        )

    def step_after_more(self, st: Statement, sentence: str, no: int) -> None:
        """The sentences after "After Q3, ask ...": more of that step, or, after a wait
        ("Listen, then say ... and end the call"), the step after it."""
        assert self.after_step is not None
        _, current = self.after_step
        if _WAITS_FIRST.match(sentence) or any(a.kind == "ask" for a in current.actions):
            new = _StepBuilder(current.number + 1, no, sentence, current.group, order=self.tick())
            self.steps.insert(self.steps.index(current) + 1, new)
            self.after_step = (no, new)
            current = new
        current.actions.extend(st.actions)
        self.refs_of(st.actions, no, sentence)
        self.mark(no, R_STEP, f"{current.label}: {describe_actions(st.actions)}", sentence)

    def instruction(self, st: Statement, sentence: str, no: int, scope: _StepBuilder | None):
        if scope is None and self.soft is not None and self.soft_title:
            # Kept in case a "go to <label>" leads here (see `result`).
            block = self.blocks.setdefault(_state_key(self.soft_title), (self.soft_title, []))
            block[1].append((no, sentence, st.actions))
        if scope is not None:
            scope.actions.extend(st.actions)
            self.refs_of(st.actions, no, sentence)
            if scope.name:  # a state's lines; a numbered step is described once, whole
                self.mark(no, R_STEP, f"{scope.label}: {describe_actions(st.actions)}", sentence)
            else:
                self.flags[no] = (True, about_ending(sentence))
            return
        if self.section == "voicemail":
            rule = Rule(
                "voicemail",
                st.actions,
                no,
                sentence,
                "prompt",
                cd.read_condition("you reach voicemail"),
                "voicemail",
            )
            self.add_rule(rule, sentence)
            return
        if self.section in ("general", "task"):
            goal = _StepBuilder(
                len(self.goals) + 1, no, sentence, -1, implicit=True, order=self.tick()
            )
            goal.actions.extend(st.actions)
            self.goals.append(goal)
            if any(a.kind == "ask" for a in st.actions):
                self.branch_goal = goal
            self.refs_of(st.actions, no, sentence)
            self.mark(
                no,
                R_STEP,
                f"conversation step {goal.number}: {describe_actions(st.actions)}",
                sentence,
            )
            return
        if self.section in ("context", "knowledge"):
            self.mark(no, R_CONTEXT, _context_detail(self.section), sentence)
            return
        self.mark(
            no,
            R_IGNORED,
            "an instruction with no condition: the agent cannot tell when to follow it here",
            sentence,
        )

    def add_rule(self, rule: Rule, text: str, scope: _StepBuilder | None = None) -> None:
        rule = replace(rule, order=self.tick())
        self.last_rule = rule
        cond = rule.cond
        if rule.section == "voicemail" and not (cond.intents or cond.phrases):
            cond = replace(
                cd.read_condition("you reach voicemail"), note="in the voicemail section"
            )
            rule = replace(rule, cond=cond)
        self.refs_of(rule.actions, rule.line, text)
        if not cond.understood and not rule.not_end:
            self.mark(
                rule.line,
                R_IGNORED,
                f"a rule whose condition the agent cannot hear "
                f"({rule.condition.strip()!r}): not followed",
                text,
            )
            return
        if cond.kind == cd.AGENT and scope is None and not rule.not_end:
            # "Once you have confirmed the appointment, end the call": after the step that
            # does it (matched by its words), else after the last step.
            self.after_rules.append(rule)
            self.mark(
                rule.line,
                R_END if rule.ends else R_RULE,
                f"after the agent has done it: {describe_actions(rule.actions)}",
                text,
            )
            return
        if scope is not None and not rule.not_end:
            scope.rules.append(rule)
        else:
            self.rules.append(rule)
        if rule.not_end:
            heard = cond.describe() if cond.understood else "(no caller words to match)"
            self.mark(rule.line, R_NOT_END, f"never ends the call on: {heard}", text)
        elif rule.ends:
            self.mark(
                rule.line,
                R_END,
                f"{rule.where}: if {cond.describe()} -> {describe_actions(rule.actions)}",
                text,
            )
        elif scope is None and has_speech(rule.actions):
            self.mark(
                rule.line,
                R_ANSWER,
                f"if {cond.describe()} -> {describe_actions(rule.actions)}",
                text,
            )
        else:
            self.mark(
                rule.line,
                R_RULE,
                f"{rule.where}: if {cond.describe()} -> {describe_actions(rule.actions)}",
                text,
            )

    after_rules: list[Rule]

    def extend_rule(self, rule: Rule, actions: tuple[Action, ...], text: str) -> None:
        longer = replace(rule, actions=(*rule.actions, *actions))
        for holder in (self.rules, self.after_rules, *(s.rules for s in self.steps)):
            for i, r in enumerate(holder):
                if r is rule:
                    holder[i] = longer
        self.last_rule = longer
        self.refs_of(actions, rule.line, text)
        self.mark(rule.line, R_RULE, f"then {describe_actions(actions)}", text)

    def refs_of(self, actions: tuple[Action, ...], no: int, text: str) -> None:
        said = next((a.text for a in actions if a.kind in ("say", "ask") and not a.negated), "")
        for a in actions:
            if a.kind in ("call", "end") and not a.negated:
                ending = a.kind == "end" or end_like(a.name) or about_ending(text)
                self.refs.append(ActionRef(a.name, a.explicit, no, text.strip(), said, ending))

    def detached_blocks(self, names: set[str]) -> list[_StepBuilder]:
        """The labelled blocks a "go to <label>" leads to, each a step of its own."""
        wanted = {
            a.name
            for rule in [*self.rules, *self.after_rules, *(r for s in self.steps for r in s.rules)]
            for a in rule.actions
            if a.kind == "goto" and a.name
        }
        wanted |= {
            a.name
            for s in [*self.steps, *self.goals]
            for a in s.actions
            if a.kind == "goto" and a.name
        }
        have = {_state_key(n) for n in names}
        out = []
        for name in sorted(wanted, key=str.lower):
            key = _state_key(name)
            if key in have or key not in self.blocks:
                continue
            title, lines = self.blocks[key]
            block = _StepBuilder(
                0, lines[0][0], lines[0][1], -2, name=title, implicit=True, order=self.tick()
            )
            block.detached = True
            for no, _sentence, actions in lines:
                block.actions.extend(actions)
                block.lines.append(no)
                self.marks[no] = [
                    (
                        R_STEP,
                        f'the "{title}" block, entered by "go to {name}": '
                        f"{describe_actions(actions)}",
                    )
                ]
            out.append(block)
            have.add(key)
        return out

    def finish_head(self) -> None:
        head, self.head = self.head, None
        if head is None:
            return
        cond = cd.read_condition(head.cond_text, tuple(head.phrases))
        where = head.step.label if head.step else "prompt"
        if not head.actions:
            self.mark(
                head.line, R_IGNORED, "a condition with no action after it: not followed", head.text
            )
            return
        rule = Rule(
            head.cond_text,
            head.actions,
            head.line,
            head.text,
            where,
            cond,
            head.section,
            not_end=head.negated,
        )
        self.add_rule(rule, head.text, head.step)

    # -- lists -------------------------------------------------------------------------
    def collect(self, i: int) -> tuple[list[_Item], int]:
        lines = self.lines
        first = lines[i]
        base, kind = first.indent, first.kind
        items: list[_Item] = []
        while i < len(lines):
            ln = lines[i]
            if ln.kind == "blank":
                j = i
                while j < len(lines) and lines[j].kind == "blank":
                    j += 1
                if (
                    j < len(lines)
                    and lines[j].kind in (NUMBERED, BULLET)
                    and (lines[j].kind == kind or lines[j].indent > base + 1)
                    and not (lines[j].kind == kind and lines[j].indent < base)
                ):
                    i = j
                    continue
                break
            if ln.kind == DIRECTION and items:
                self.mark(ln.no, R_CONTEXT, "a stage direction: the agent waits for the caller")
                i += 1
                continue
            if ln.kind in (NUMBERED, BULLET):
                if ln.kind == kind and ln.indent <= base + 1:
                    items.append(_Item(ln, ln.text))
                elif items and (ln.indent > base + 1 or kind == NUMBERED):
                    items[-1].children.append(ln)
                else:
                    break
                i += 1
                continue
            if ln.kind == PROSE and items:
                last = items[-1]
                prev = (
                    last.children[-1].text
                    if last.children and last.children[-1].text
                    else last.text
                ).rstrip()
                if (
                    ln.indent > base
                    or then_line(ln.text) is not None
                    or _ARROW_START.match(ln.text)
                ):
                    last.children.append(ln)  # under the item: its branch or its actions
                elif (
                    prev
                    and prev[-1] not in ".!?:\"”'"
                    and not last.line.inline  # a packed line ends where it is written
                    and not _COND_LIKE.match(ln.text)
                ):
                    last.text += " " + ln.text  # the item's text, wrapped onto the next line
                    last.children.append(Line(ln.no, ln.raw, "continuation", ln.indent))
                else:
                    break  # a new sentence at the list's margin: the list has ended
                i += 1
                continue
            break
        return items, i

    def list_block(self, items: list[_Item]) -> None:
        items = [_labelled_rule(item) for item in items]
        kind = self.classify(items)
        lead = self.lead
        if kind == "example":
            for item in items:
                self.mark(item.line.no, R_EXAMPLE, "an example: not followed", item.text)
                for child in item.children:
                    self.mark(child.no, R_EXAMPLE, "an example: not followed")
            return
        if kind == "head_phrases":
            assert self.head is not None
            head = self.head
            for item in items:
                said = quotes(item.text) or [item.text.strip(" .")]
                head.phrases += said
                head.phrase_lines.append(item.line.no)
                self.mark(item.line.no, R_PHRASES, f"phrases of the rule on line {head.line}")
                for child in item.children:
                    then = then_line(child.text)
                    if then is not None:
                        head.actions += parse_actions(then)
                        self.mark(child.no, R_RULE, f"the actions of the rule on line {head.line}")
            if head.actions:
                self.finish_head()
            return
        self.finish_head()
        if kind in ("end_conds", "not_end_conds"):
            lead_actions = parse_actions(lead[0]) if lead else ()
            if lead and _END_UNLESS_LEAD.search(lead[0]):
                # "Never call end_call unless:": the call the lead names, not negated.
                lead_actions = tuple(replace(a, negated=False) for a in lead_actions)
            actions = tuple(
                a for a in lead_actions if a.kind in ("call", "end") and not a.negated
            ) or (Action("end"),)
            for item in items:
                cond = cd.read_condition(item.text)
                rule = Rule(
                    item.text,
                    actions,
                    item.line.no,
                    item.text,
                    "prompt",
                    cond,
                    self.section,
                    not_end=kind == "not_end_conds",
                )
                self.add_rule(rule, item.text)
            self.trailing(items)
            return
        if kind == "voicemail_phrases":
            self.recent = ([], True)
            for item in items:
                said = quotes(item.text) or [item.text.strip(" .")]
                self.voicemail += said
                self.recent[0].extend(said)
                self.mark(
                    item.line.no, R_PHRASES, "how a voicemail greeting sounds: heard as voicemail"
                )
            self.trailing(items)
            return
        if kind == "forbidden":
            for item in items:
                words = quotes(item.text) or [item.text.strip(" .")]
                self.forbidden += [(w, item.line.no) for w in words]
                self.mark(item.line.no, R_RULE, "never says " + ", ".join(f'"{w}"' for w in words))
            self.trailing(items)
            return
        if kind == "phrases":
            self.recent = ([], False)
            for item in items:
                self.recent[0].extend(quotes(item.text) or [item.text.strip(" .")])
                self.mark(
                    item.line.no,
                    R_PHRASES,
                    "a phrase with no instruction attached (unless a line after it points "
                    "back to it)",
                    item.text,
                )
            self.trailing(items)
            return
        if kind == "steps":
            self.explicit = True
            self.group += 1
            self.step_list(items)
            if lead is not None and lead[0].rstrip().endswith(":"):
                self.scope_lead_rules(lead[1])  # the list's title line, not a rule before it
            return
        for item in items:  # rules, or items read one by one
            self.item(item, None)

    def scope_lead_rules(self, line: int) -> None:
        """ "Questions (... if they answer with words, ask them for a number):": a rule on
        the line that introduces the steps applies to each of them, not anywhere."""
        lead_rules = [r for r in self.rules if r.line == line and not r.ends and not r.not_end]
        if not lead_rules:
            return
        self.rules = [r for r in self.rules if r not in lead_rules]
        self.marks[line] = [m for m in self.marks.get(line, []) if m[0] != R_ANSWER]
        steps = [s for s in self.steps if s.group == self.group]
        for step in steps:
            step.rules.extend(replace(r, where=step.label) for r in lead_rules)
        first, last = steps[0].label, steps[-1].label
        for rule in lead_rules:
            self.mark(
                line,
                R_RULE,
                f"{first} to {last}: if {rule.cond.describe()} -> {describe_actions(rule.actions)}",
            )

    def trailing(self, items: list[_Item]) -> None:
        """Lines under a list of phrases or conditions that are not part of it ("If you
        hear one of these, call end_call")."""
        for item in items:
            if any(c.kind != "continuation" for c in item.children):
                self.children(item, None)

    def classify(self, items: list[_Item]) -> str:
        lead = self.lead[0] if self.lead else ""
        sec = self.section
        if sec == "example" or (lead and _EXAMPLE_LEAD.search(lead)):
            return "example"
        shapes = [_shape(item.text) for item in items]
        n = len(shapes)

        def most(*names: str) -> bool:
            return sum(s in names for s in shapes) * 2 > n

        if most("dialogue"):
            return "example"
        if self.head is not None and most("phrase"):
            return "head_phrases"
        if lead and _END_UNLESS_LEAD.search(lead) and not most("rule", "instruction"):
            return "end_conds"
        if lead and (_NOT_END_LEAD.search(lead) or sec == "not_end") and not most("rule"):
            return "not_end_conds"
        if lead and _END_LEAD.search(lead) and not most("rule", "instruction"):
            return "end_conds"
        if (sec == "voicemail" or (lead and _VOICEMAIL_LEAD.search(lead))) and most("phrase"):
            return "voicemail_phrases"
        if (
            items[0].line.kind == NUMBERED
            and sec in _STEP_SECTIONS
            and self.state is None
            and most("phrase")
            and all(any(_shape(c.text) == "rule" for c in item.children) for item in items)
        ):
            # `Q1: "Am I speaking with Dana?"` with `- Yes: go to Q2` under each: a script
            # of questions and their branches, not a list of phrases.
            return "steps"
        if most("phrase"):
            if lead and _FORBID_LEAD.search(lead):
                return "forbidden"
            return "phrases"
        first = items[0].line
        if most("rule") and (_shape(items[0].text) == "rule" or first.kind != NUMBERED):
            return "rules"
        if first.kind == NUMBERED and sec in _STEP_SECTIONS and self.state is None:
            return "steps"
        if (
            first.kind == BULLET
            and sec == "task"
            and _SCRIPT_TITLE.search(self.soft_title if self.soft else self.title)
            and self.state is None
            and not any(s.group > 0 for s in self.steps)
        ):
            return "steps"
        return "items"

    def step_list(self, items: list[_Item]) -> None:
        current: _StepBuilder | None = None
        for item in items:
            pieces = sentences(item.text)
            split = _and_when(pieces[0][1]) if pieces else None
            first = read_statement(split[0] if split else pieces[0][1]) if pieces else None
            if (
                first is not None
                and first.kind == RULE
                and _TEMPORAL.match(first.cond_text)
                and first.cond is not None
                and not (first.cond.intents or first.cond.phrases)
                and first.cond.kind != cd.OTHERWISE
                and has_speech(first.actions)
            ):
                # "4. Once the problem is fixed, ask if there is anything else": the next
                # step of the script, reached by doing the ones before it, not a branch
                # of step 3 that waits for the caller to say "fixed".
                cut = pieces[0][1][len(first.cond_text) :].lstrip(" ,:-–—")
                rest = " ".join(p for _, p in pieces[1:])
                item = _Item(item.line, f"{cut} {rest}".strip(), item.children)
                self.preconditions[item.line.no] = first.cond_text.strip()
            elif (
                first is not None
                and first.kind in (RULE, HEAD, NOT_END)
                and current is not None
                and item.line.number is not None
            ):
                self.item(item, current)  # "3. If no, end the call": a branch of step 2
                continue
            number = item.line.number if item.line.number is not None else len(self.steps) + 1
            labelled = _step_label(item.text)
            name = ""
            if labelled is not None:
                # "Blank screen: ask them to ...", "**greeting**: Say ...": the label names
                # the step; a bullet node's label is the name "transition to" uses.
                label, rest = labelled
                item = _Item(item.line, rest, item.children)
                name = label if item.line.number is None else ""
            current = _StepBuilder(
                number, item.line.no, item.text, self.group, name=name, order=self.tick()
            )
            self.steps.append(current)
            self.item(item, current)
            self.step_mark(current)

    def step_mark(self, step: _StepBuilder) -> None:
        spoken = " ".join(a.text for a in step.actions if a.kind in ("say", "ask"))
        ends = [a for a in step.actions if a.kind in ("call", "end") and not a.negated]
        if spoken:
            detail = f'{step.label}: says "{spoken}"'
        else:
            detail = f"{step.label}: no line to say (the agent waits for an answer)"
            if not ends:
                self.unclear_steps.add(step.line)
        if ends:
            detail += " and " + describe_actions(tuple(ends))
        if step.rules:
            detail += f"; {len(step.rules)} branch{'es' if len(step.rules) > 1 else ''}"
        pre = self.preconditions.get(step.line)
        if pre:
            detail += f" (in order, after the steps before it: {pre!r})"
        self.mark(step.line, R_STEP, detail, step.text)

    def item(self, item: _Item, step: _StepBuilder | None) -> None:
        no = item.line.no
        if self.qa(no, item.text):
            return
        if self.head is not None and _shape(item.text) == "phrase":
            self.head.phrases += quotes(item.text) or [item.text.strip(" .")]
            self.mark(no, R_PHRASES, f"phrases of the rule on line {self.head.line}")
            return
        if self.section in ("knowledge", "objection") and self.key_value(no, item.text, step):
            self.children(item, step)
            return
        example_quote = ""
        for _, sentence in sentences(item.text):
            if step is not None and re.match(
                r"^\s*(?:e\.g\.|for example|example)\b", sentence, re.I
            ):
                example_quote = example_quote or next(iter(quotes(sentence)), "")
                self.mark(no, R_EXAMPLE, "an example line", sentence)
                continue
            self.statement(sentence, no, step)
        if step is not None and example_quote and not has_speech(tuple(step.actions)):
            step.actions.append(Action("say", example_quote, source="quoted"))
        self.children(item, step)

    def children(self, item: _Item, step: _StepBuilder | None) -> None:
        for child in item.children:
            if child.kind == "continuation":
                continue
            text = child.text
            if self.head is not None:
                then = then_line(text)
                if then is not None:
                    self.head.actions += parse_actions(then)
                    self.mark(child.no, R_RULE, f"the actions of the rule on line {self.head.line}")
                    self.finish_head()
                    continue
                if _shape(text) == "phrase":
                    self.head.phrases += quotes(text) or [text.strip(" .")]
                    self.mark(child.no, R_PHRASES, f"phrases of the rule on line {self.head.line}")
                    continue
                if not self.head.actions:
                    st = read_statement(text)
                    if st.kind == INSTRUCTION:
                        self.head.actions = st.actions
                        self.mark(
                            child.no, R_RULE, f"the actions of the rule on line {self.head.line}"
                        )
                        self.finish_head()
                        continue
                self.finish_head()
            if self.section in ("knowledge", "objection") and self.key_value(child.no, text, step):
                continue
            for _, sentence in sentences(text):
                self.statement(sentence, child.no, step)
        if self.head is not None and self.head.actions:
            self.finish_head()

    # -- tables ------------------------------------------------------------------------
    def table(self, rows: list[Line]) -> None:
        header: tuple[str, ...] = ()
        body = rows
        if len(rows) >= 2 and rows[1].kind == TABLE_SEP:
            header, body = rows[0].cells, rows[2:]
            self.mark(rows[0].no, R_SECTION, "table header: " + " | ".join(header))
            self.mark(rows[1].no, R_SECTION, "table")
        roles = [_column_role(h) for h in header]
        if self.section == "example":
            for row in body:
                self.mark(row.no, R_EXAMPLE, "in an examples section: not followed")
            return
        if "step" in roles:
            self.explicit = True
            self.group += 1
        current: _StepBuilder | None = None
        for row in body:
            if row.kind == TABLE_SEP:
                continue
            cells = dict(zip(roles, row.cells, strict=False)) if roles else {}
            if not roles:
                self.item(_Item(row, " — ".join(c for c in row.cells if c)), None)
                continue
            step_cell = cells.get("step", "")
            m = re.search(r"\d+", step_cell)
            same = current is not None and m is not None and current.number == int(m.group(0))
            if "step" in roles and m and not same:
                current = _StepBuilder(
                    int(m.group(0)), row.no, " | ".join(row.cells), self.group, order=self.tick()
                )
                self.steps.append(current)
                say = cells.get("say", "")
                if say and current is not None:
                    st = read_statement(say)
                    acts = st.actions if st.kind == INSTRUCTION and st.actions else ()
                    if not acts:
                        said = quotes(say) or [say.strip()]
                        acts = (
                            Action(
                                "ask" if said[0].endswith("?") else "say",
                                said[0],
                                source="verbatim",
                            ),
                        )
                    current.actions.extend(acts)
            cond_cell, then_cell = cells.get("cond", ""), cells.get("then", "")
            say_cell = cells.get("say", "") if not ("step" in roles and m) else ""
            if cond_cell.strip() and cond_cell.strip() not in ("-", "—", "n/a"):
                actions = list(parse_actions(then_cell)) if then_cell else []
                if re.fullmatch(r"\s*(?:step\s*)?(\d+)\s*", then_cell or "", re.I):
                    actions = [Action("goto", step=int(re.search(r"\d+", then_cell).group(0)))]  # type: ignore[union-attr]
                if say_cell:
                    said = quotes(say_cell) or [say_cell.strip()]
                    actions.insert(0, Action("say", said[0], source="verbatim"))
                cond = cd.read_condition(
                    cond_cell
                    if quotes(cond_cell) or cd.read_condition(cond_cell).understood
                    else f'"{cond_cell}"'
                )
                scope = current if "step" in roles else None
                rule = Rule(
                    cond_cell,
                    tuple(actions),
                    row.no,
                    " | ".join(row.cells),
                    scope.label if scope else "prompt",
                    cond,
                    self.section,
                )
                self.add_rule(rule, then_cell or say_cell, scope)
            elif then_cell and current is not None and "step" in roles:
                current.actions.extend(parse_actions(then_cell))
            if "step" in roles and m and current is not None and not same:
                self.step_mark(current)

    # -- the result --------------------------------------------------------------------
    def result(self) -> ParsedPrompt:
        steps_b = self.steps
        explicit = self.explicit and bool(steps_b)
        if not explicit:
            steps_b = self.goals
        else:
            for goal in self.goals:
                ends = any(a.kind in ("end", "call") for a in goal.actions)
                self.marks[goal.line] = [
                    (
                        R_IGNORED if ends else R_CONTEXT,
                        "an instruction to end the call with no condition, outside the numbered "
                        "steps: not followed"
                        if ends
                        else "an instruction outside the numbered steps: the steps are the script",
                    )
                ]
        blocks = self.detached_blocks({s.name for s in steps_b if s.name})
        taken = {no for b in blocks for no in b.lines}
        steps_b = [b for b in steps_b if not (b.implicit and b.line in taken)]
        steps_b += blocks
        steps = []
        for index, b in enumerate(steps_b):
            steps.append(
                Step(
                    b.number,
                    tuple(b.actions),
                    tuple(b.rules),
                    b.line,
                    b.text,
                    index,
                    b.group,
                    b.name,
                    b.implicit,
                    b.order,
                    b.detached,
                )
            )
        rules = list(self.rules)
        for rule in getattr(self, "after_rules", []):
            target = _step_for(rule, steps) or (steps[-1] if steps else None)
            if target is not None:
                # It applies once the caller has answered that step, whatever the answer.
                branch = replace(
                    rule, where=target.label, cond=replace(rule.cond, kind=cd.OTHERWISE)
                )
                steps[target.index] = replace(target, rules=(*target.rules, branch))
            else:
                rules.append(replace(rule, cond=cd.read_condition("the conversation is complete")))
        closing = self.closing
        if closing is None:
            for s in steps:
                if s.spoken and s.calls():
                    closing = (s.spoken, s.line)
                    break
        entries = []
        for ln in self.lines:
            if ln.no in {e.line for e in entries}:
                continue
            marks = self.marks.get(ln.no)
            text = self.raw.get(ln.no, "").strip()
            if not text:
                continue
            if not marks:
                if ln.kind in (FENCE, TABLE_SEP):
                    continue
                marks = [(R_IGNORED, "not understood: no step, rule or line came of it")]
                self.flags[ln.no] = (reads_like_instruction(text), about_ending(text))
            role = min((m[0] for m in marks), key=ROLES.index)
            detail = "; ".join(dict.fromkeys(m[1] for m in marks))
            flags = self.flags.get(ln.no, (False, False))
            unclear = ln.no in self.unclear_steps and any(m[0] == R_IGNORED for m in marks)
            entries.append(MapEntry(ln.no, role, detail, text, flags[0], flags[1], unclear))
        return ParsedPrompt(
            steps=tuple(steps),
            rules=tuple(rules),
            closing=closing,
            refs=tuple(self.refs),
            opening=self.opening,
            forbidden=tuple(self.forbidden),
            confirm_before_end=self.confirm,
            voicemail_phrases=tuple(dict.fromkeys(self.voicemail)),
            entries=tuple(entries),
            explicit_script=explicit,
            identity=identity_of(self.prompt),
            ask_orders=tuple(sorted(_ask_orders(steps, rules, self.opening, self.opening_order))),
            opening_order=self.opening_order,
        )


_POINTS_BACK = re.compile(
    r"\b(?:one|any|either|some) of (?:these|them|those|the above|the following)|\bthese "
    r"(?:phrases|greetings|words|lines)|\bthe above\b|\bsuch (?:a |an )?(?:greeting|phrase)",
    re.I,
)
_ARROW_START = re.compile(r"^\s*(?:->|=>|→|⇒)")
_COND_LIKE = re.compile(
    r"^\s*(?:if|when|whenever|once|after|unless|then|otherwise|else|\[|->|→|=>)\b", re.I
)


def _ask_orders(
    steps: list[Step], rules: list[Rule], opening: tuple[str, int] | None, opening_order: int
) -> list[int]:
    """Where the prompt asks the caller something: a yes or a no answers the last one."""
    out = [s.order for s in steps if s.asks]
    every = [*rules, *(r for s in steps for r in s.rules)]
    out += [r.order for r in every if r.says.rstrip().endswith("?")]
    if opening is not None and opening[0].rstrip().endswith("?"):
        out.append(opening_order)
    return out


def _ends_with_list(sentence: str) -> bool:
    return bool(
        re.search(
            r"(?::|\bsuch as|\blike|\bthe following|any of these)\s*$", mask(sentence).strip()
        )
    )


def _shape(text: str) -> str:
    pieces = sentences(text)
    first = pieces[0][1] if pieces else text
    st = read_statement(first)
    if st.kind == EXAMPLE:
        return "dialogue"
    if st.kind in (RULE, HEAD, NOT_END):
        return "rule"
    masked = mask(text)
    rest = re.sub(r'"_*"', "", masked).strip(" ,.;:-/()")
    if quotes(text) and (not rest or rest.lower() in ("or", "and", "etc", "etc.")):
        return "phrase"
    if st.kind in (INSTRUCTION, OPENING, CLOSING, CONFIRM, FORBIDDEN):
        return "instruction"
    if len(text.split()) <= 6 and not reads_like_instruction(text):
        return "phrase"
    return "prose"


def _column_role(header: str) -> str:
    h = header.lower()
    if re.search(r"^(?:step|#|no\.?|n|order|stage|state|phase)$|\bstep\b", h):
        return "step"
    if re.search(r"\bthen\b|\baction|\bnext\b|\btool|\boutcome|\bgo ?to\b|\bresult|\bdo\b", h):
        return "then"
    if re.search(
        r"caller|user|customer|\bif\b|\bwhen\b|condition|trigger|objection|situation|"
        r"they say|input|intent|question|scenario|\bcase|contact|lead|prospect",
        h,
    ):
        return "cond"
    if re.search(
        r"agent|\bsay|script|\bline|response|respond|reply|answer|message|bot|\bai\b|"
        r"assistant|wording|rebuttal",
        h,
    ):
        return "say"
    return "other"


def _step_for(rule: Rule, steps: list[Step]) -> Step | None:
    words = set(rule.cond.words)
    if not words:
        return None
    best, score = None, 0
    for s in steps:
        text = {w.rstrip("s") for w in re.findall(r"[a-z]+", s.text.lower())}
        n = len(words & text)
        if n > score:
            best, score = s, n
    return best


_AFTER_STEP = re.compile(
    r"^\s*(?:after|once you(?:'ve| have)? (?:asked|finished|completed|covered))\s+(?:(?:step|"
    r"question|q)\s*#?\s*(\d{1,3})|the (?:last|final) (?:question|step))\s*$",
    re.I,
)
_WAITS_FIRST = re.compile(
    r"^\s*(?:listen|wait|pause|let (?:them|the \w+) (?:answer|speak|respond|finish))\b", re.I
)
_PAREN_LEAD = re.compile(r"^\s*[A-Za-z][\w '/&-]{0,40}\(([^()]{8,})\)\s*:\s*$")
_OPENING_LABEL = re.compile(
    r"^\s*(?:introduction|intro|opening(?: line)?|opener|greeting|first message)\s*:\s*", re.I
)
_AND_WHEN = re.compile(r",?\s+and\s+(?:then\s+)?(?=(?:when|if|once)\b)", re.I)


def _and_when(sentence: str) -> tuple[str, str] | None:
    """`Ask "X?" and when they say no, say "Y." and end the call` -> the instruction and
    the rule, when the first part is an instruction and the second a whole rule."""
    m = _AND_WHEN.search(mask(sentence))
    if m is None or m.start() == 0:
        return None
    first, second = sentence[: m.start()], sentence[m.end() :]
    if read_statement(first).kind != INSTRUCTION or read_statement(second).kind != RULE:
        return None
    return first, second


_CONTINUES = re.compile(
    r"^\s*(?:if|when|should|once)\s+(?:it|this|that|they|he|she|the (?:behaviou?r|abuse|caller|"
    r"customer|user|person|contact|lead))\s+(?:continues?|persists?|keeps? (?:going|on|it up|doing "
    r"it)|happens? again|does it again|do it again|repeats?|carries on|carry on|gets? worse)\b",
    re.I,
)
_TEMPORAL = re.compile(r"^\s*(?:once|after|as soon as)\b", re.I)
_BLOCK_HEAD = re.compile(r"^\s*(?:if|elif|else if|else|otherwise)\b.*:\s*$", re.I)
_INLINE_LABEL = re.compile(r"^\s*(?:\*\*|__)([A-Za-z][^*_:\n]{0,40}?)\s*:?\s*(?:\*\*|__)\s*:?\s+\S")


_STEP_LABEL = re.compile(r"^\s*([A-Za-z][\w'/&-]*(?:\s+[A-Za-z][\w'/&-]*){0,3})\s*:\s+(\S.*)$")


_LABELLED_RULE = re.compile(
    r"^\s*([A-Za-z][\w'/&-]*(?:\s+[A-Za-z][\w'/&-]*){0,3})\s*\(([^()]{3,100})\)\s*"
    r"(?::|-|–|—|->|→)\s*(\S.*)$"
)


def _labelled_rule(item: _Item) -> _Item:
    """`- CONFIRM (the patient says yes): "Wonderful..." Then go to Closing.`: a branch
    named by its label, its condition in brackets. Read as `If the patient says yes, ...`."""
    m = _LABELLED_RULE.match(mask(item.text))
    if m is None:
        return item
    cond = item.text[m.start(2) : m.end(2)].strip()
    parsed = cd.read_condition(cond)
    if not parsed.understood or parsed.kind == cd.AGENT or _COND_LIKE.match(cond):
        return item
    return _Item(item.line, f"If {cond}, {item.text[m.start(3) :]}", item.children)


def _step_label(text: str) -> tuple[str, str] | None:
    """`Blank screen: ask them to check the breaker` -> ("Blank screen", "ask them ...").

    A short label before a colon names a step or a node of a flow. Left on, the
    instruction after it was never read. "Ask: ..." and "If yes: ..." are not labels.
    """
    m = _STEP_LABEL.match(mask(text))
    if m is None:
        return None
    label = text[m.start(1) : m.end(1)]
    if _COND_LIKE.match(label) or read_statement(label).kind != NONE:
        return None
    if re.match(
        r"(?i)^(?:say|ask|tell|note|then|step|q\d*|a|agent|user|caller|you|yes|yeah|no|nope|"
        r"otherwise|else|maybe)\b",
        label,
    ):
        return None
    rest = text[m.start(2) :]
    return label, rest


def _without_inline_label(raw: str, text: str) -> str:
    """`**Hanging up:** When the guest is finished, ...`: the rule without its bold label.

    A bold label in front of a sentence names the topic; left on, "Hanging up:" read as
    an action and the whole rule became its condition. The label stays when the rest is
    a bare instruction, where it may be the condition ("**Too expensive:** say ...").
    """
    m = _INLINE_LABEL.match(raw)
    if m is None or _COND_LIKE.match(m.group(1)):
        return text
    cut = re.match(rf"^\s*{re.escape(m.group(1))}\s*:\s+(\S.*)$", text)
    if cut is None:
        return text
    rest = cut.group(1)
    first = sentences(rest)
    if not first or read_statement(first[0][1]).kind in (INSTRUCTION, NONE):
        return text
    return rest


def _context_detail(section: str) -> str:
    return {
        "knowledge": "knowledge: context for the agent (not a rule)",
        "context": "role or style: context (the offline agent does not model it)",
    }.get(section, "persona or style: context (the offline agent does not model it)")


def is_anything_else(text: str) -> bool:
    return bool(_ANYTHING_ELSE.search(text))


@lru_cache(maxsize=128)
def parse_prompt(prompt: str, action_name: str = "") -> ParsedPrompt:
    """Read a prompt. `action_name` is the configured End Call name: the prompt may call
    it with a plain word (`call finish`)."""
    token = KNOWN_NAMES.set(frozenset({action_name}) if action_name else frozenset())
    try:
        reader = _Reader(prompt)
        reader.after_rules = []
        return reader.read()
    finally:
        KNOWN_NAMES.reset(token)
