"""What an instruction tells the agent to do: say a line, ask, go to a step, call a tool.

`parse_actions('thank them and call end_call')` gives a paraphrased "Thank you." and a
call of `end_call`, in the order written. Text inside quotes is never an instruction
(`say "call me back"` calls nothing), a quoted tool name is a name (`use the 'hangUp'
tool`), and an action under a negation (`do not call end_call`) is kept, marked
negated, so the reader can turn it into a "not an end" rule instead of a trigger.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, replace

from console.agent.phrasing import phrase_instruction
from console.agent.prompt_text import looks_like_function, mask, quote_spans, quotes

_ACTION_VERBS = (
    r"say|says|ask|asks|call|use|invoke|trigger|run|execute|fire|end|hang|go|proceed|move|"
    r"skip|jump|return|transition|thank|tell|let|wish|offer|confirm|politely|immediately|"
    r"terminate|disconnect|transfer|apologi[sz]e|close|finish|respond|reply|answer|inform|"
    r"remind|mention|leave|wait|greet|introduce|repeat|explain|collect|verify|bid|conclude|"
    r"note|mark|log|record|schedule|book|send|read|state|continue|stop|wrap|hangup|activate|"
    r"warn"
)
_SPLIT = re.compile(
    rf",?\s+and\s+then\s+|,?\s+then\s+|,?\s+and\s+(?=(?:{_ACTION_VERBS})\b)|;\s*|"
    rf",\s*(?=(?:then|and then|{_ACTION_VERBS})\b)|\s*(?:->|=>|→|⇒|-->|—>)\s*|"
    r"\.\s+(?=[A-Z])",
    re.I,
)
_GOTO = re.compile(
    r"\b(?:go|proceed|continue|move|skip|jump|return|advance|loop)\s+(?:on\s+|back\s+|ahead\s+)?"
    r"(?:to|with)\s+(?:the\s+)?(?:step|question|q)\s*#?\s*(\d{1,3})\b|"
    r"^\s*(?:step\s*#?\s*)(\d{1,3})\s*\.?\s*$",
    re.I,
)
_STATE = re.compile(
    r"\b(?:transition|go|move|switch|proceed|hand\s*off|route)\s+(?:over\s+)?(?:to|into)\s+"
    r"(?:the\s+)?(?:state\s+)?[`'\"]?([A-Za-z_][\w-]*)[`'\"]?(?:\s+state)?\b",
    re.I,
)
_CALL = re.compile(
    r"\b(?:call|calls|calling|invoke|invoking|trigger|triggering|use|using|run|execute|fire|"
    r"activate|with|via|through)\s+(?:the\s+|your\s+|a\s+)?(`?)([A-Za-z_][\w.-]*)\1(?:\(\))?"
    r"(\s+(?:function|tool|action|command))?",
    re.I,
)
_BARE_NAME = re.compile(r"^\s*`?([A-Za-z_][\w.-]*)`?(?:\(\))?\s*\.?\s*$")
_END_PHRASE = re.compile(
    r"\b(?:end|terminate|finish|close|disconnect|conclude|drop)\s+(?:the|this|your)\s+"
    r"(?:phone\s+)?(?:call|conversation|chat|line)\b|\bhang\s*(?:s|ing)?\s*up\b|\bhangup\b|"
    r"^\s*end(?:\s+(?:the\s+)?call)?\s*\.?\s*$|\bend[- ]call\b|\bdisconnect\b",
    re.I,
)
_NEGATION = re.compile(
    r"(?:^|\b)(?:do not|don't|dont|never|must not|mustn't|should not|shouldn't|avoid|"
    r"no need to|cannot|can't|without|not)\b",
    re.I,
)
_LITERAL = re.compile(
    r"^\s*(?:(?:say|respond|reply|answer|read)\s+(?:exactly|only|verbatim|word for word)"
    r"(?:\s+with)?|(?:respond|reply|answer)\s+(?:only\s+)?with|A|Agent|AI|Assistant|Bot|"
    r"Response|Reply|Say)\s*[:\-–]\s*(.+)$",
    re.I,
)
_LITERAL_SOFT = re.compile(
    r"^\s*(?:say|respond|reply|answer)\s+(?:exactly|only|verbatim|word for word)"
    r"(?:\s+with)?\s+(.+)$",
    re.I,
)
_SAY_VERB = re.compile(r"\b(say|says|respond|reply|answer|tell|ask|asks|greet|state|read)\b", re.I)
_NOT_NAMES = frozenset(
    """
    me you us them him her back it this that a an the to when if while they their its our
    your his same other another any some all each these those one two first next last
    simple plain short clear natural polite proper appropriate relevant correct right
    available necessary provided following above below given this our my
    """.split()
)
_END_NAME = re.compile(
    r"end|hang|terminate|finish|close|stop|disconnect|bye|quit|exit|drop|complete|conclude",
    re.I,
)


@dataclass(frozen=True)
class Action:
    """One thing a rule or step tells the agent to do."""

    kind: str  # "say", "ask", "goto", "call", "end"
    text: str = ""  # the line for say/ask
    step: int = 0  # for goto
    name: str = ""  # for call; for goto, a state's name
    explicit: bool = False  # the name looks like a function name (end_call, `x`, x tool)
    negated: bool = False  # "do not call end_call": kept so the rule is read as "not an end"
    source: str = ""  # for say/ask: "quoted", "verbatim" or "paraphrase"
    # For call/end: the prompt's words for ending with no goodbye ("without leaving a
    # message"), "" when it says nothing about it.
    silent: str = ""
    aside: bool = False  # "mention that ...": information that does not wait for an answer

    @property
    def ends(self) -> bool:
        return not self.negated and self.kind == "end"


def end_like(name: str) -> bool:
    """A tool name that reads as ending the call (end_call, hangUp, terminate_call)."""
    return bool(_END_NAME.search(name))


# The configured action name: `call finish` calls it even though "finish" is a plain word.
KNOWN_NAMES: ContextVar[frozenset[str]] = ContextVar("known_names", default=frozenset())


def _name_ok(name: str, explicit: bool) -> bool:
    return (explicit and name.lower() not in _NOT_NAMES) or name in KNOWN_NAMES.get()


def parse_actions(text: str) -> tuple[Action, ...]:
    """Actions in the order written: `call end_call and say "Thanks."` -> call, say."""
    masked = mask(text)
    out: list[Action] = []
    pos = 0
    pieces = []
    for m in _SPLIT.finditer(masked):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, len(masked)))
    pending_verb = ""
    for start, end in pieces:
        frag, mfrag = text[start:end], masked[start:end]
        if not mfrag.strip():
            continue

        def neg(pos: int, mfrag: str = mfrag) -> bool:
            return bool(_NEGATION.search(mfrag[:pos]))

        verb = _SAY_VERB.search(mfrag)
        if verb:
            pending_verb = verb.group(1).lower()
        said = [q for q in quote_spans(frag) if not q.is_name]
        literal = None
        if not said:
            lm = _LITERAL.match(frag) or _LITERAL_SOFT.match(frag)
            if lm and lm.group(1).strip(" .") and not _BARE_NAME.match(lm.group(1)):
                literal = lm.group(1).strip()
        for q in said:
            kind = "ask" if pending_verb.startswith("ask") or q.inner.endswith("?") else "say"
            out.append(Action(kind, text=q.inner, negated=neg(q.start), source="quoted"))
        if literal:
            kind = "ask" if literal.endswith("?") else "say"
            out.append(Action(kind, text=literal, negated=neg(0), source="verbatim"))
        goto = _GOTO.search(mfrag)
        if goto:
            out.append(Action("goto", step=int(goto.group(1) or goto.group(2))))
        state = _STATE.search(mfrag) if not goto else None
        if state and state.group(1).lower() not in _NOT_NAMES | {"step"}:
            out.append(Action("goto", name=state.group(1)))
        called = False
        for call in _CALL.finditer(mfrag):
            name = call.group(2).rstrip(".")
            explicit = bool(call.group(1)) or bool(call.group(3)) or looks_like_function(name)
            if call.group(0).lower().startswith(("with", "via", "through")) and not (
                looks_like_function(name) or call.group(1) or name in KNOWN_NAMES.get()
            ):
                continue
            if not _name_ok(name, explicit):
                continue
            out.append(
                Action(
                    "call", name=name.removesuffix("()"), explicit=True, negated=neg(call.start())
                )
            )
            called = True
        if not called and not said and not literal and not goto:
            bare = _BARE_NAME.match(mfrag)
            if bare and looks_like_function(bare.group(1)):
                out.append(Action("call", name=bare.group(1), explicit=True, negated=neg(0)))
                called = True
            else:
                named = re.search(r"`([A-Za-z_][\w.-]*)`", mfrag)
                if named and (_END_PHRASE.search(mfrag) or end_like(named.group(1))):
                    out.append(
                        Action(
                            "call", name=named.group(1), explicit=True, negated=neg(named.start())
                        )
                    )
                    called = True
        end_m = _END_PHRASE.search(mfrag)
        if end_m and not called:
            out.append(Action("end", negated=neg(end_m.start())))
        if not (said or literal or goto or called or end_m or neg(len(mfrag))):
            phrased = phrase_instruction(frag)
            if phrased is not None:
                out.append(
                    Action(
                        phrased.kind, text=phrased.text, source="paraphrase", aside=phrased.aside
                    )
                )
    return tuple(_silenced(text, _offers_before_ending(out)))


_SILENT = re.compile(
    r"\bwithout (?:leaving|saying|speaking|playing)(?: (?:a|any|anything|your))?"
    r"(?: (?:message|voicemail|goodbye|word|words))?\b|\bwithout (?:a|any) (?:message|goodbye|"
    r"word)\b|\b(?:do not|don't|never) leave (?:a|any) (?:message|voicemail)\b|\bsilently\b|"
    r"\bwithout another word\b|\bno (?:goodbye|message)\b",
    re.I,
)


def _silenced(text: str, actions: list[Action]) -> list[Action]:
    """`end the call immediately without leaving a message`: an ending with no goodbye."""
    m = _SILENT.search(mask(text))
    if m is None or not any(a.kind in ("call", "end") and not a.negated for a in actions):
        return actions
    words = text[m.start() : m.end()]
    return [
        replace(a, silent=words) if a.kind in ("call", "end") and not a.negated else a
        for a in actions
    ]


def _offers_before_ending(actions: list[Action]) -> list[Action]:
    """`offer to call back tomorrow and then end the call`: a promise, not a question
    asked just before hanging up ("I'll call back tomorrow.")."""
    out = list(actions)
    for i, a in enumerate(out):
        if a.kind != "ask" or a.source != "paraphrase" or a.negated:
            continue
        if not a.text.startswith("Would you like me to "):
            continue
        if any(b.kind in ("end", "call") and not b.negated for b in out[i + 1 :]):
            what = a.text.removeprefix("Would you like me to ").rstrip("?").strip()
            out[i] = replace(a, kind="say", text=f"I'll {what}.")
    return out


def has_speech(actions: tuple[Action, ...]) -> bool:
    return any(a.kind in ("say", "ask") and not a.negated for a in actions)


def all_quotes(text: str) -> list[str]:
    return quotes(text)
