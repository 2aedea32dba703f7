"""The offline agent: follows the main prompt deterministically, with no network.

It is the console's default brain and its reference: the same config and the same
caller words always give the same decisions, each naming the rule, the prompt line and
the words behind it. The prompt is read by console/agent/prompt.py (what each line
became is the prompt map); this module decides turn by turn.

Decision order for one caller utterance (documented in README, "How the offline agent
decides"):

0. Voicemail: a voicemail greeting (the intents' phrases, or the prompt's own list of
   voicemail phrases) meets the prompt's voicemail rule or the description.
1. Candidates: the open step's rules, the prompt's other rules (objections, end
   triggers) and the End Call description's triggers, each matched against the words.
   A caller who wants to leave (goodbye, not interested, do not call, wrong number,
   rude, a quoted phrase) is not kept on the line: such an ending comes first; then the
   step's rules, then the prompt's, then "conversation complete" from the description.
2. An ending is not carried out when the caller wants to go on ("no, I'm not done"),
   when the caller still has a request or question ("bye for now, but can you email me
   the quote first?": the agent answers and asks if there is anything else), or when a
   "do not end" rule of the prompt or the description covers the words. The decision's
   `why` says which.
3. Otherwise the script goes on: the next step after an answer (a yes/no question that
   got neither is asked again once; after one of the steps a branch leads to, its
   sibling branches are skipped), or, in a conversation (a prompt without numbered
   steps), its next instruction, else a short reply and "anything else?". A numbered
   script that has run out ends on the description's "conversation complete"; a
   conversation never ends just because its instructions ran out.
4. A rule that asks before doing more ("ask which day suits them, then say ... and end
   the call") stops at its question; the next answer carries out the rest, unless the
   caller is leaving. An opening that asks a question ("Do you have two minutes?") is
   answered before the numbered script starts. "End the call without leaving a message"
   ends with no goodbye at all.

Everything spoken passes `clean_speech`: no tool name, stage direction or forbidden word
reaches the caller.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass

from console.agent import conditions as cd
from console.agent import intents as it
from console.agent.base import Decision
from console.agent.goodbye import DEFAULT_GOODBYE, goodbye_from_prompt
from console.agent.matching import Triggers, description_triggers
from console.agent.pending import Pending, pending_request
from console.agent.phrasing import clean_speech, introduction, opening_line
from console.agent.prompt import (
    Action,
    ParsedPrompt,
    Rule,
    Step,
    is_anything_else,
    parse_prompt,
)
from console.agent.prompt_actions import end_like
from console.agent.prompt_text import looks_like_function, swap_person
from console.core.agent_port import (
    AgentRequest,
    Emit,
    EndRequest,
    GoodbyeDone,
    GoodbyeText,
    Purpose,
    Say,
    TurnDone,
)
from console.core.config import CallConfig
from console.core.text_variables import call_variables, fill

__all__ = ["DEFAULT_GOODBYE", "OfflineAgent"]

ANYTHING_ELSE = "Is there anything else I can help you with?"
# Endings a caller's pending request holds back, and those it does not (a caller who asks
# not to be called, has the wrong number, is abusive, or is a machine is let go).
_FIRM = (it.VOICEMAIL, it.DO_NOT_CALL, it.WRONG_NUMBER, it.ABUSIVE)
_LEAVING = (it.GOODBYE, it.NOT_INTERESTED, *_FIRM)


@dataclass(frozen=True)
class _Continuation:
    """The rest of a rule that asked a question first ("ask which day suits them, then
    say ... and go to Closing"): carried out once the caller has answered."""

    actions: tuple[Action, ...]
    label: str
    question: str


@dataclass(frozen=True)
class _Candidate:
    """A rule or a description trigger that matched the caller's words."""

    source: str  # "step", "prompt" or "description"
    order: int
    match: cd.ConditionMatch
    rule: Rule | None = None  # None: a description trigger
    trigger_text: str = ""  # for description triggers: the description's words
    label: str = ""

    @property
    def strong(self) -> bool:
        return self.match.intent in _LEAVING or self.match.how.startswith("phrase")

    @property
    def firm(self) -> bool:
        return self.match.intent in _FIRM


class OfflineAgent:
    backend = "offline"

    def __init__(self) -> None:
        self.index: int | None = None  # the step whose answer is awaited
        self.finished = False  # a numbered script has no steps left
        self.asked_else = False  # the agent's last question was "anything else?"
        self.reasked = False  # the open question was asked again once already
        self.last_q = 0  # the prompt line of the agent's last question (0: none, or generic)
        self._q_set = False
        self.heard: frozenset[str] = frozenset()  # intents the caller showed in earlier turns
        self.continuation: _Continuation | None = None
        self.opening_open = False  # the opening asked a question the script waits on
        self.heard_before: frozenset[str] = frozenset()

    @property
    def current_step(self) -> int | None:
        return self.index

    # -- the agent contract (console/core/agent_port.py) ---------------------------------
    def describe(self) -> dict[str, str]:
        return {}

    def prepared_lines(self, config: CallConfig) -> list[str]:
        return self.prepared_goodbyes(config)

    def begin(self, request: AgentRequest, emit: Emit) -> None:
        """Decide at once and emit: the engine applies the response delay."""
        config, turn = request.config, request.turn
        if request.purpose is Purpose.GOODBYE:
            assert request.end is not None
            t0 = time.perf_counter()
            goodbye = self.goodbye(config, request.end)
            ms = (time.perf_counter() - t0) * 1000.0
            emit(GoodbyeDone(turn, goodbye, generation_ms=ms))
            return
        if request.purpose is Purpose.OPENING:
            decision = self.start(config)
        else:
            decision = self.respond(config, request.caller_text, turn)
        if decision.say:
            emit(Say(turn, decision.say, decision.why))
        emit(TurnDone(turn, end=decision.end, notices=decision.notices))

    def cancel(self, turn: int, heard: tuple[str, ...] = ()) -> None:
        """Nothing runs in the background: a decision is made at once, and the script's
        position does not depend on what was heard."""

    def close(self) -> None:
        pass

    # -- turns -------------------------------------------------------------------------
    def start(self, config: CallConfig) -> Decision:
        self.index, self.finished, self.asked_else, self.reasked = None, False, False, False
        self.last_q, self._q_set = 0, False
        self.heard = self.heard_before = frozenset()
        self.continuation = None
        self.opening_open = False
        decision = self._start(config)
        return self._track_question(decision)

    def respond(self, config: CallConfig, caller_text: str, turn: int) -> Decision:
        self._q_set = False
        decision = self._respond(config, caller_text, turn)
        return self._track_question(decision)

    def _track_question(self, decision: Decision) -> Decision:
        if not self._q_set and decision.end is None and decision.say.rstrip().endswith("?"):
            self.last_q = 0  # a question of the agent's own ("anything else?")
        return decision

    def _asked(self, line: int) -> None:
        self.last_q, self._q_set = line, True

    def _start(self, config: CallConfig) -> Decision:
        prompt = parse_prompt(config.agent.main_prompt, config.end_call.name)
        greeting = config.agent.greeting.strip()
        first = prompt.at(0)
        if (
            prompt.explicit_script
            and not greeting
            and prompt.opening is not None
            and prompt.opening[0].rstrip().endswith("?")
            and first is not None
            and first.asks
        ):
            # "Introduction: "... Do you have two minutes for a quick survey?"" before
            # "Q1. On a scale of 1 to 5, ...?": one question at a time; the script starts
            # once the caller has answered the opening.
            line, no = prompt.opening
            self.opening_open = True
            self._asked(prompt.opening_order)
            return Decision(
                say=self._speech(config, prompt, line),
                why=f"the prompt's opening line (line {no}); {first.label} waits for its answer",
                rule=f"line {no}",
            )
        if prompt.steps:
            decision = self._run_from(config, prompt, 0, why="opening", greeted=bool(greeting))
            if greeting:
                decision = _prefix(decision, self._speech(config, prompt, greeting))
            elif prompt.opening:
                line, no = prompt.opening
                first = prompt.at(self.index) if self.index is not None else None
                if line.rstrip().endswith("?") and first is not None and not first.spoken:
                    # The opening asks what the first step waits for ("Am I speaking with
                    # Dana?" before "1. Identity check"): the answer is to that question.
                    self._asked(prompt.opening_order)
                decision = _prefix(decision, self._speech(config, prompt, line))
                decision = dataclasses.replace(
                    decision, why=f"the prompt's opening line (line {no}); {decision.why}"
                )
            if not decision.say and decision.end is None:
                decision = dataclasses.replace(
                    decision,
                    say=self._speech(config, prompt, self._composed_opening(config, prompt)),
                    why=decision.why + "; no step had a line to say, so a greeting from the "
                    "prompt's identity",
                )
            return decision
        if greeting:
            return Decision(say=self._speech(config, prompt, greeting), why="greeting")
        if prompt.opening:
            line, no = prompt.opening
            if line.rstrip().endswith("?"):
                self._asked(prompt.opening_order)
            return Decision(
                say=self._speech(config, prompt, line),
                why=f"the prompt's opening line (line {no})",
                rule=f"line {no}",
            )
        return Decision(
            say=self._speech(config, prompt, self._composed_opening(config, prompt)),
            why="a greeting from the prompt's identity (it has no opening line or steps)",
        )

    def _respond(self, config: CallConfig, caller_text: str, turn: int) -> Decision:
        prompt = parse_prompt(config.agent.main_prompt, config.end_call.name)
        triggers = description_triggers(config.end_call.description)
        said = it.analyse(caller_text)
        self._hear_voicemail(prompt, said)
        # "If it continues": a condition heard a second time needs the earlier turns.
        self.heard_before = self.heard
        self.heard = self.heard | {h.intent for h in said.hits if not h.negated}
        step = prompt.at(self.index) if self.index is not None else None
        asked_else = self.asked_else or bool(step and is_anything_else(step.spoken))
        self.asked_else = False
        keep_on = said.hit(it.CONTINUE)
        pending = pending_request(caller_text, said)
        negation = _negation_note(said)

        candidates = self._candidates(prompt, triggers, step, said, asked_else)
        cont, self.continuation = self.continuation, None
        if cont is not None:
            # The caller is answering a rule's own question: only a caller who is leaving
            # is not; everything else is that answer.
            candidates = [c for c in candidates if c.strong and (c.rule is None or c.rule.ends)]
        held: list[str] = []  # why an ending was not carried out
        held_by_pending = False
        for cand in candidates:
            rule = cand.rule
            ends = self._ends(config, cand)
            if ends:
                veto = self._veto(config, prompt, triggers, cand, said, keep_on, pending)
                if veto:
                    held.append(veto)
                    held_by_pending = held_by_pending or (
                        pending is not None and not keep_on and "request" in veto
                    )
                    continue
                if (
                    prompt.confirm_before_end is not None
                    and not asked_else
                    and not cand.firm
                    and cand.match.intent != it.COMPLETE  # "no more questions" answered it
                ):
                    self.asked_else = True
                    return Decision(
                        say=self._speech(
                            config,
                            prompt,
                            "Before you go, " + ANYTHING_ELSE[0].lower() + ANYTHING_ELSE[1:],
                        ),
                        why=f"{self._why(cand)}, but the prompt says to ask if there is anything "
                        f"else before ending (line {prompt.confirm_before_end})",
                        rule=f"line {prompt.confirm_before_end}",
                        trigger_words=cand.match.words,
                    )
                return self._with_matched_line(self._end_by(config, prompt, cand), cand, candidates)
            if held and keep_on is None and not held_by_pending:
                continue  # a "not an end" rule held the ending: answer normally below
            assert rule is not None
            decision = self._apply_rule(config, prompt, rule, cand)
            if held_by_pending:
                return self._with_anything_else(config, prompt, decision, held)
            return _note(decision, held)

        if keep_on is not None:
            why = f"the caller wants to go on (said {keep_on.words!r}); the call stays up"
            if held:
                why = "; ".join(held)
            self.continuation = cont
            return Decision(say="Of course, go ahead.", why=why, trigger_words=keep_on.words)
        if held_by_pending and pending is not None:
            answer = self._answer_request(config, prompt, pending)
            return self._with_anything_else(config, prompt, answer, held)
        if self.opening_open:
            self.opening_open = False
            if pending is not None:
                self.opening_open = True
                answer = self._answer_request(config, prompt, pending)
                opening = self._speech(config, prompt, prompt.opening[0] if prompt.opening else "")
                return _note(_suffix(answer, opening), held)
            decision = self._run_from(config, prompt, 0, why="the caller answered the opening")
            return _note(_prefix(decision, _ack(said)), held)
        if cont is not None:
            if pending is not None:
                # A question instead of the answer: answer it, ask again.
                self.continuation = cont
                answer = self._answer_request(config, prompt, pending)
                return _note(_suffix(answer, self._speech(config, prompt, cont.question)), held)
            why = f"{cont.label}: the caller answered {cont.question!r}; the rule goes on"
            decision = self._perform(config, prompt, cont.actions, why, cont.label, "", wait=True)
            if not decision.say and decision.end is None:
                decision = dataclasses.replace(decision, say=_ack(said))
            if self.continuation is None:
                decision = self._then_anything_else(prompt, decision)
            return _note(decision, held)

        if step is not None:
            decision = self._after_answer(
                config, prompt, step, said, caller_text, pending, negation
            )
            return _note(decision, held)
        if (
            self.finished
            and prompt.explicit_script
            and it.COMPLETE in triggers.intents
            and (pending is None)
        ):
            why = (
                "conversation complete: the script has no steps left, and the End Call "
                f"description says to end when {triggers.intents[it.COMPLETE]!r}"
            )
            return Decision(
                why=why,
                rule="description: conversation complete",
                end=EndRequest(config.end_call.name, why, "description: conversation complete"),
            )
        return _note(self._conversation(config, prompt, said, pending, negation), held)

    def goodbye(self, config: CallConfig, end: EndRequest) -> GoodbyeText:
        """Invariant 3: the goodbye prompt if set, else the main prompt, else a default."""
        prompt = parse_prompt(config.agent.main_prompt, config.end_call.name)
        gp = config.end_call.goodbye_prompt.strip()
        if gp:
            line = goodbye_from_prompt(gp)
            text = self._speech(config, prompt, line.text) or DEFAULT_GOODBYE
            return GoodbyeText(text, "goodbye_prompt", line.detail)
        if end.say_hint:
            text = self._speech(config, prompt, end.say_hint)
            if text:
                return GoodbyeText(text, "main_prompt", f"the line of {end.rule}")
        if prompt.closing:
            text = self._speech(config, prompt, prompt.closing[0])
            if text:
                return GoodbyeText(
                    text, "main_prompt", f"the prompt's closing line (line {prompt.closing[1]})"
                )
        return GoodbyeText(DEFAULT_GOODBYE, "main_prompt", "polite default (no closing line)")

    def prepared_goodbyes(self, config: CallConfig) -> list[str]:
        """Goodbyes whose text is known before the call ends, to synthesise ahead of time."""
        if config.end_call.skip_goodbye:
            return []
        if config.end_call.goodbye_prompt.strip():
            return [self.goodbye(config, EndRequest(config.end_call.name, why="")).text]
        prompt = parse_prompt(config.agent.main_prompt, config.end_call.name)
        lines = [ref.says for ref in prompt.refs if ref.says and ref.ending]
        lines += [prompt.closing[0]] if prompt.closing else [DEFAULT_GOODBYE]
        spoken = (self._speech(config, prompt, line) for line in lines)
        return list(dict.fromkeys(s for s in spoken if s))

    # -- matching ----------------------------------------------------------------------
    def _hear_voicemail(self, prompt: ParsedPrompt, said: it.Analysis) -> None:
        """The prompt's own voicemail phrases count as a voicemail greeting."""
        if said.has(it.VOICEMAIL):
            return
        for phrase in prompt.voicemail_phrases:
            words = cd.contains_phrase(said, phrase)
            if words:
                said.hits.append(it.PhraseHit(it.VOICEMAIL, words, 0, 0))
                return

    def _candidates(
        self,
        prompt: ParsedPrompt,
        triggers: Triggers,
        step: Step | None,
        said: it.Analysis,
        asked_else: bool,
    ) -> list[_Candidate]:
        found: list[_Candidate] = []
        order = 0
        if step is not None:
            for rule in step.rules:
                cond = self._in_turn(prompt, rule)
                m = (
                    cd.match(cond, said, asked_else, self.heard_before)
                    if cond is not None
                    else None
                )
                if m:
                    found.append(_Candidate("step", order, m, rule, label=_label(rule)))
                    order += 1
        for rule in prompt.rules:
            cond = self._in_turn(prompt, rule)
            if rule.not_end or cond is None:
                continue
            m = cd.match(cond, said, asked_else, self.heard_before)
            if m:
                found.append(_Candidate("prompt", order, m, rule, label=_label(rule)))
                order += 1
        for cond in triggers.ends:
            m = cd.match(cond, said, asked_else, self.heard_before)
            if m:
                words = cond.text.strip()
                label = f"description: {m.how}"
                found.append(_Candidate("description", order, m, None, words, label))
                order += 1
        if it.COMPLETE in triggers.intents or triggers.vague is not None:
            # A wrong number, or a caller who asks not to be called again, leaves nothing
            # to talk about: the conversation is complete.
            for intent in (it.WRONG_NUMBER, it.DO_NOT_CALL):
                hit = said.hit(intent)
                if hit and intent not in triggers.intents:
                    m = cd.ConditionMatch(hit.words, it.INTENT_LABELS[intent], intent)
                    why = triggers.intents.get(it.COMPLETE) or "appropriate"
                    found.append(
                        _Candidate("implied", order, m, None, why, "description: " + m.how)
                    )
                    order += 1
        found += self._goodbye_completes(prompt, triggers, step, said, found, order)

        def rank(c: _Candidate) -> tuple[int, int]:
            ends = c.rule is None or c.rule.ends
            if ends and c.strong and c.source != "implied":
                return (0, {"step": 0, "prompt": 1, "description": 2}[c.source])
            return ({"step": 1, "prompt": 2, "description": 3, "implied": 4}[c.source], 0)

        return sorted(found, key=lambda c: (*rank(c), c.order))

    def _goodbye_completes(
        self,
        prompt: ParsedPrompt,
        triggers: Triggers,
        step: Step | None,
        said: it.Analysis,
        found: list[_Candidate],
        order: int,
    ) -> list[_Candidate]:
        """A caller who says goodbye is done: in a conversation (not in the middle of a
        numbered script) that ends when "the conversation is complete", "the user is done"
        or "the caller has no more questions", a plain goodbye meets that condition. A
        pending request or a "not an end" rule still holds it back (`_veto`)."""
        hit = said.hit(it.GOODBYE)
        if hit is None or any(c.match.intent == it.GOODBYE for c in found):
            return []
        if prompt.explicit_script and step is not None:
            return []  # a scripted step is open: its own rules decide
        m = cd.ConditionMatch(
            hit.words, "goodbye: the caller is leaving, so the conversation is complete", hit.intent
        )
        rules = [r for r in prompt.rules if r.ends and not r.not_end]
        out = [
            _Candidate("implied", order + i, m, rule, label=_label(rule))
            for i, rule in enumerate(r for r in rules if it.COMPLETE in r.cond.intents)
        ]
        if it.COMPLETE in triggers.intents:
            why, label = triggers.intents[it.COMPLETE], "description: " + m.how
            out.append(_Candidate("implied", order + len(out), m, None, why, label))
        return out

    def _in_turn(self, prompt: ParsedPrompt, rule: Rule) -> cd.Condition | None:
        """The rule's condition as it stands now. A yes or a no ("If they agree to pay",
        "If they decline") answers the question asked just before the rule in the prompt,
        and no other: asked anything else, the rule hears only the rest of its
        condition (a "not interested" still counts), or nothing."""
        c = rule.cond
        polar = {it.YES, it.NO} & set(c.intents)
        if not polar:
            return c
        asks = [o for o in prompt.ask_orders if o < rule.order]
        if asks and self.last_q == max(asks):
            return c
        rest = tuple(i for i in c.intents if i not in polar)
        if not (rest or c.phrases or c.words):
            return None
        return dataclasses.replace(c, intents=rest)

    def _ends(self, config: CallConfig, cand: _Candidate) -> bool:
        if cand.rule is None:
            return True
        name = config.end_call.name
        return any(a.kind == "end" or a.name == name for a in cand.rule.calls())

    def _veto(
        self,
        config: CallConfig,
        prompt: ParsedPrompt,
        triggers: Triggers,
        cand: _Candidate,
        said: it.Analysis,
        keep_on: it.PhraseHit | None,
        pending: Pending | None,
    ) -> str:
        what = self._why(cand)
        if keep_on is not None and not cand.firm:
            return f"{what}, but the caller wants to go on (said {keep_on.words!r})"
        if pending is not None and not cand.firm and not _within(cand.match.words, pending.words):
            return (
                f"{what}, but the caller still has a {pending.kind} ({pending.words!r}): a "
                "farewell with a pending request does not end the call"
            )
        words = set(cand.match.words.split())
        blockers = [(r.cond, f"the prompt's line {r.line}") for r in prompt.not_end_rules]
        blockers += [(c, "the End Call description") for c in triggers.never]
        for cond, where in blockers:
            m = cd.match(cond, said)
            if m is None:
                continue
            same_intent = m.intent and m.intent == cand.match.intent
            covered = words and words <= set(m.words.split())
            if same_intent or covered:
                return (
                    f"{what}, but {where} says not to end the call on {cond.describe()} "
                    f"(the caller said {m.words!r})"
                )
        return ""

    def _why(self, cand: _Candidate) -> str:
        m = cand.match
        if cand.rule is not None:
            rule = cand.rule
            return f"{_label(rule)}: '{rule.condition.strip()}' matched {m.words!r} ({m.how})"
        if cand.source == "implied":
            return (
                f"caller intent '{m.how}' (said {m.words!r}): nothing is left to talk about, and "
                f"the End Call description says to end when {cand.trigger_text!r}"
            )
        if m.how.startswith("phrase"):
            return f"the End Call description names {m.how[7:]} and the caller said it"
        return (
            f"caller intent '{m.how}' (said {m.words!r}); the End Call description says to end "
            f"on {cand.trigger_text!r}"
        )

    # -- carrying out ------------------------------------------------------------------
    def _with_matched_line(
        self, decision: Decision, cand: _Candidate, candidates: list[_Candidate]
    ) -> Decision:
        """ "Nope, that's all. Bye." meets "If the user wants to end the call, use hangUp"
        (no line) and "When the order is complete, say '...' before you hang up": the
        ending rule that won says nothing, so the other one's line is the goodbye."""
        end = decision.end
        if end is None or end.say_hint:
            return decision
        other = next(
            (
                c.rule
                for c in candidates
                if c is not cand and c.rule is not None and c.rule.ends and c.rule.says
            ),
            None,
        )
        if other is None:
            return decision
        hint = dataclasses.replace(end, say_hint=other.says)
        return dataclasses.replace(
            decision, end=hint, why=f"{decision.why}; goodbye from {_label(other)}"
        )

    def _end_by(self, config: CallConfig, prompt: ParsedPrompt, cand: _Candidate) -> Decision:
        why = self._why(cand)
        if cand.rule is None:
            name = config.end_call.name
            label, hint = cand.label, ""
            step = prompt.at(self.index) if self.index is not None else None
            intent = cand.match.intent
            # The open step's ending line fits a caller who leaves, not one who asks not
            # to be called or is a machine ("I'll try another day" to "take me off").
            ending = next(
                (
                    r
                    for r in (step.rules if step else ())
                    if r.ends and r.says and (intent not in _FIRM or intent in r.cond.intents)
                ),
                None,
            )
            if ending is None:
                # The prompt says what to say when the caller leaves ("When the guest is
                # finished, say ... and call end_call"): a goodbye is leaving, and so is
                # "that's all".
                leaving = {it.GOODBYE, it.COMPLETE}
                same = {intent} | (leaving if intent in leaving else set())
                ending = next(
                    (
                        r
                        for r in prompt.rules
                        if r.ends and r.says and not r.not_end and same & set(r.cond.intents)
                    ),
                    None,
                )
            if ending is not None:
                # The open step (or a prompt rule on the same intent) says how the call
                # ends: that line is the goodbye.
                hint = ending.says
                label = f"{cand.label}; goodbye from {_label(ending)}"
            return Decision(
                why=why,
                rule=label,
                trigger_words=cand.match.words,
                end=EndRequest(name, why, label, cand.match.words, hint),
            )
        return self._perform(
            config, prompt, cand.rule.actions, why, _label(cand.rule), cand.match.words, wait=True
        )

    def _apply_rule(
        self, config: CallConfig, prompt: ParsedPrompt, rule: Rule, cand: _Candidate
    ) -> Decision:
        why = self._why(cand)
        decision = self._perform(
            config, prompt, rule.actions, why, _label(rule), cand.match.words, wait=True
        )
        if self.continuation is not None:
            return decision  # the rule asked first; the rest waits for the answer
        moves = any(a.kind == "goto" for a in rule.actions)
        asks = any(
            a.kind == "ask" or a.text.rstrip().endswith("?")
            for a in rule.actions
            if a.kind in ("say", "ask") and not a.negated
        )
        if asks and decision.say.rstrip().endswith("?") and not moves:
            # The rule asks a question of its own: the rules after it hear the answer.
            self._asked(rule.order)
            return decision
        step = prompt.at(self.index) if self.index is not None else None
        if cand.source == "prompt" and step is not None and decision.end is None and not moves:
            if step.asks:
                # Answer the question, then come back to the script's open question.
                self._asked(step.order)
                return _suffix(decision, self._speech(config, prompt, step.spoken))
            nxt = self._next_index(prompt, step)
            if not step.spoken and not step.rules and nxt is not None:
                # The open step only waited for an answer ("1. Identity check (see
                # above)"), and a rule of the prompt took it: the script moves on.
                rest = self._run_from(config, prompt, nxt, why=f"{why}; {step.label} done")
                return _prefix(rest, decision.say, decision.notices)
        elif cand.source == "prompt" and step is None and not moves:
            return self._then_anything_else(prompt, decision)
        elif (
            cand.source == "step"
            and decision.end is None
            and not moves
            and step is not None
            and not decision.notices  # an ending it could not carry out: no moving on
        ):
            nxt = self._next_index(prompt, step)
            self.reasked = False
            if nxt is not None:
                rest = self._run_from(config, prompt, nxt, why=why)
                return _prefix(rest, decision.say, decision.notices)
            if step.implicit and step.asks:
                # A branch that only answers ("elif caller asks about fines: say ..."),
                # after the conversation's last question: the question stays open.
                self._asked(step.order)
                return decision
            self.index, self.finished = None, True
        return decision

    def _then_anything_else(self, prompt: ParsedPrompt, decision: Decision) -> Decision:
        """ "Before ending, always ask whether there is anything else": in a conversation,
        asked after each answer, so a caller who then says goodbye has been asked."""
        if (
            prompt.confirm_before_end is None
            or decision.end is not None
            or not decision.say
            or decision.say.rstrip().endswith("?")
            or self.index is not None
        ):
            return decision
        self.asked_else = True
        return dataclasses.replace(
            _suffix(decision, ANYTHING_ELSE),
            why=f"{decision.why}; then 'anything else?' (line {prompt.confirm_before_end})",
        )

    def _perform(
        self,
        config: CallConfig,
        prompt: ParsedPrompt,
        actions: tuple[Action, ...],
        why: str,
        rule: str,
        words: str,
        visited: frozenset[int] = frozenset(),
        wait: bool = False,
    ) -> Decision:
        """Carry out a rule's or step's actions in order. `wait`: a rule that asks before
        doing more ("ask which day suits them, then say ... and end the call") stops at
        its question; the rest runs on the caller's answer."""
        name = config.end_call.name
        live = [a for a in actions if not a.negated]
        ask = next((i for i, a in enumerate(live) if a.kind == "ask"), None)
        if wait and ask is not None and ask + 1 < len(live):
            first, rest = live[: ask + 1], live[ask + 1 :]
            if all(a.kind == "say" and a.aside for a in rest):
                # "ask what they like least about it and mention that switching costs
                # nothing": the mention first, the question last, for the caller to answer.
                live = [*first[:-1], *rest, first[-1]]
                actions = tuple(live)
            elif not any(a.kind in ("call", "end", "goto") for a in first):
                decision = self._perform(config, prompt, tuple(first), why, rule, words)
                self.continuation = _Continuation(tuple(rest), rule, live[ask].text)
                self.last_q, self._q_set = -1, True  # the rule's own: no yes/no rule answers it
                return dataclasses.replace(
                    decision, why=f"{why}; it asks first and waits for the answer"
                )
        says = [a.text for a in live if a.kind in ("say", "ask")]
        ends = [a for a in live if a.kind == "end" or (a.kind == "call" and a.name == name)]
        notices = tuple(
            f"the prompt asks to call '{a.name}' ({rule}) but the End Call action is named "
            f"'{name}': the agent cannot invoke it, so the call goes on"
            for a in live
            if a.kind == "call" and a.name != name and end_like(a.name)
        )
        others = [
            a.name for a in live if a.kind == "call" and a.name != name and not end_like(a.name)
        ]
        if others:
            why += f" (the offline agent has no tool {others[0]!r}: it only says the line)"
        if ends:
            how = "call " + name if ends[0].kind == "call" else "end the call (no action name)"
            spoken = self._speech(config, prompt, " ".join(says))
            silent = ends[0].silent
            before = ""
            if silent:
                # "End the call without leaving a message": no goodbye, not even the
                # script's closing line; a line the rule itself gives is said before.
                how += f", with no goodbye (the prompt says {silent!r}, {rule})"
                before, spoken = spoken, ""
            return Decision(
                say=before,
                why=why,
                rule=rule,
                trigger_words=words,
                notices=notices,
                end=EndRequest(name, f"{why} -> {how}", rule, words, spoken, silent=silent),
            )
        goto = next((a for a in live if a.kind == "goto"), None)
        spoken = self._speech(config, prompt, " ".join(says))
        if goto is not None:
            target = (
                prompt.state(goto.name)
                if goto.name
                else prompt.step(goto.step, self._group(prompt))
            )
            if target is not None and target.index not in visited:
                nxt = self._run_from(config, prompt, target.index, why, visited | {target.index})
                return _prefix(nxt, spoken, notices)
        if not spoken:
            spoken = "One moment, please." if others else _ack(it.analyse(words))
        return Decision(say=spoken, why=why, rule=rule, trigger_words=words, notices=notices)

    def _run_from(
        self,
        config: CallConfig,
        prompt: ParsedPrompt,
        index: int,
        why: str,
        visited: frozenset[int] = frozenset(),
        greeted: bool = False,
    ) -> Decision:
        """Speak steps from `index` on until one waits for an answer (or ends the call)."""
        step = prompt.at(index)
        if step is None:
            self.index, self.finished = None, True
            return Decision(why=f"{why}; the script has no more steps")
        visited = visited | {index}
        label = f"{step.label}, line {step.line}"
        spoken = self._step_line(config, prompt, step, greeted)
        if step.calls():
            self.index = step.index
            actions = tuple(
                a for a in step.actions if a.kind != "say" or "{greeting}" not in a.text
            )
            decision = self._perform(config, prompt, actions, f"{why} -> {label}", label, "")
            return decision
        goto = next((a for a in step.actions if a.kind == "goto" and not a.negated), None)
        if step.waits or (goto is None and prompt.next_index(index) is None):
            if step.waits:
                self.index = step.index
                self.asked_else = is_anything_else(spoken)
                if step.asks:
                    self._asked(step.order)
            else:
                self.index, self.finished = None, True
            self.reasked = False
            return Decision(say=spoken, why=f"{why} -> {label}", rule=label)
        if goto is not None:
            target = prompt.state(goto.name) if goto.name else prompt.step(goto.step, step.group)
            nxt = target.index if target is not None else None
        else:
            nxt = prompt.next_index(index)
        if nxt is None or nxt in visited:
            self.index, self.finished = None, True
            return Decision(say=spoken, why=f"{why} -> {label}", rule=label)
        rest = self._run_from(config, prompt, nxt, why, visited, greeted)
        return _prefix(rest, spoken)

    def _step_line(
        self, config: CallConfig, prompt: ParsedPrompt, step: Step, greeted: bool
    ) -> str:
        parts = []
        for a in step.actions:
            if a.kind not in ("say", "ask") or a.negated:
                continue
            if "{greeting}" in a.text:
                if greeted:
                    continue
                greeted = True  # "Greet them and introduce yourself": one introduction
                parts.append(a.text.replace("{greeting}", self._introduction(config, prompt)))
            else:
                parts.append(a.text)
        return self._speech(config, prompt, " ".join(parts))

    def _next_index(self, prompt: ParsedPrompt, step: Step) -> int | None:
        return prompt.next_index(step.index)

    def _group(self, prompt: ParsedPrompt) -> int | None:
        step = prompt.at(self.index) if self.index is not None else None
        return step.group if step else None

    def _after_answer(
        self,
        config: CallConfig,
        prompt: ParsedPrompt,
        step: Step,
        said: it.Analysis,
        caller_text: str,
        pending: Pending | None,
        negation: str,
    ) -> Decision:
        """The caller answered the open step and no rule took the answer."""
        otherwise = next((r for r in step.rules if r.cond.kind == cd.OTHERWISE), None)
        if otherwise is not None and pending is None:
            m = cd.ConditionMatch(caller_text.strip(), "any other answer")
            cand = _Candidate("step", 0, m, otherwise, label=_label(otherwise))
            if self._ends(config, cand) and said.hit(it.CONTINUE):
                pass
            elif self._ends(config, cand):
                return self._end_by(config, prompt, cand)
            else:
                return self._apply_rule(config, prompt, otherwise, cand)
        polar = any(i in (it.YES, it.NO) for r in step.rules for i in r.cond.intents)
        if polar and said.polarity() is None and not self.reasked and step.asks:
            self.reasked = True
            self._asked(step.order)
            why = f"{step.label}: no rule matched {caller_text!r}{negation}; asking again"
            if pending is not None:
                why = (
                    f"{step.label}: the caller asked {pending.words!r}, which no rule "
                    "answers; asking the step's question again"
                )
            return Decision(
                say=self._speech(config, prompt, "Sorry, I didn't catch that. " + step.spoken),
                why=why,
                rule=step.label,
            )
        nxt = self._next_index(prompt, step)
        self.reasked = False
        why = f"{step.label} answered{negation}"
        if nxt is not None:
            decision = self._run_from(config, prompt, nxt, why=why)
            if not decision.say and decision.end is None:
                decision = dataclasses.replace(decision, say=_ack(said))
            return decision
        self.index, self.finished = None, True
        if prompt.explicit_script:
            return Decision(
                say=self._speech(config, prompt, "Thank you."),
                why=f"{why}; that was the script's last step",
            )
        return self._conversation(config, prompt, said, pending, negation, why)

    def _conversation(
        self,
        config: CallConfig,
        prompt: ParsedPrompt,
        said: it.Analysis,
        pending: Pending | None,
        negation: str,
        why: str = "",
    ) -> Decision:
        """A reply in a conversation: nothing in the prompt covers the caller's words."""
        lead = f"{why}; " if why else ""
        if pending is not None:
            answer = self._answer_request(config, prompt, pending)
            self.asked_else = True
            return dataclasses.replace(
                _suffix(answer, ANYTHING_ELSE),
                why=f"{lead}the caller asked {pending.words!r}; no rule of the prompt answers it"
                f"{negation}, so a short answer and 'anything else?'",
            )
        words = it.tokens_of(said.text)
        if (
            words
            and set(words)
            <= {
                "hi",
                "hello",
                "hey",
                "there",
                "yes",
                "good",
                "morning",
                "afternoon",
                "evening",
                "hiya",
                "speaking",
            }
            and not said.polarity()
        ):
            self.asked_else = False
            return Decision(
                say="Hi! How can I help you today?",
                why=f"{lead}the caller greeted; the conversation goes on",
            )
        self.asked_else = True
        ack = _ack(said)
        return Decision(
            say=f"{ack} {ANYTHING_ELSE}",
            why=f"{lead}no rule of the prompt or the description matched{negation}; the "
            "conversation goes on until an end condition",
        )

    def _answer_request(
        self, config: CallConfig, prompt: ParsedPrompt, pending: Pending
    ) -> Decision:
        """Answer what the caller still wants: a prompt rule if one covers it, else a
        short acknowledgement built from the request itself."""
        asked = it.analyse(pending.words)
        for rule in prompt.rules:
            if rule.not_end or rule.ends:
                continue
            m = cd.match(rule.cond, asked)
            if m:
                return dataclasses.replace(
                    self._perform(config, prompt, rule.actions, "", _label(rule), m.words),
                    why=f"{_label(rule)} answers {pending.words!r} ({m.how})",
                )
        return Decision(
            say=self._speech(config, prompt, _acknowledge(pending)),
            why=f"no rule answers {pending.words!r}",
        )

    def _with_anything_else(
        self, config: CallConfig, prompt: ParsedPrompt, decision: Decision, held: list[str]
    ) -> Decision:
        self.asked_else = True
        say = " ".join(s for s in (decision.say, ANYTHING_ELSE) if s)
        why = "; ".join([*held, decision.why] if decision.why else held)
        return dataclasses.replace(
            decision, say=say, why=why + "; asking if there is anything else", end=None
        )

    # -- speech ------------------------------------------------------------------------
    def _introduction(self, config: CallConfig, prompt: ParsedPrompt) -> str:
        return introduction(prompt.identity, config.agent.name)

    def _composed_opening(self, config: CallConfig, prompt: ParsedPrompt) -> str:
        return opening_line(prompt.identity, config.agent.name)

    def _speech(self, config: CallConfig, prompt: ParsedPrompt, text: str) -> str:
        """What may be spoken of `text`: variables filled, no tool name, no stage
        direction, no forbidden word."""
        if not text:
            return ""
        filled = fill(
            text.replace("{greeting}", self._introduction(config, prompt)), call_variables(config)
        ).strip()
        names = {config.end_call.name} | {r.name for r in prompt.refs if r.name}
        names |= {
            w for w in re.findall(r"`([^`]+)`", config.agent.main_prompt) if looks_like_function(w)
        }
        forbidden = tuple(w for w, _ in prompt.forbidden)
        spoken, _ = clean_speech(filled, names, forbidden)
        return spoken

    @staticmethod
    def _fill(config: CallConfig, text: str) -> str:
        return fill(text, call_variables(config)).strip()


def _within(words: str, text: str) -> bool:
    """Whether the matched words are part of the caller's request itself ("I need to
    reschedule" meets "If they want to reschedule": the rule is the answer)."""
    said = it.tokens_of(text)
    wanted = words.split()
    return bool(wanted) and all(w in said for w in wanted)


def _label(rule: Rule) -> str:
    return f"{rule.where}, line {rule.line}"


def _ack(said: it.Analysis) -> str:
    p = said.polarity()
    if p is not None and p.intent == it.YES:
        return "Great."
    if p is not None:
        return "Okay."
    return "I see."


def _acknowledge(pending: Pending) -> str:
    """`can you email me the quote first?` -> `Sure, I'll email you the quote.`"""
    text = pending.words.strip().rstrip("?.!").strip()
    m = re.match(
        r"^(?:.*?\b)?(?:can|could|would|will) you (?:please )?(.+?)(?:,? (?:first|before (?:you go|"
        r"we hang up|that)|please|for me))*$",
        text,
        re.I,
    )
    if m and pending.kind == "request":
        what = _swap_to_caller(m.group(1))
        if 1 <= len(what.split()) <= 12:
            return f"Sure, I'll {what}."
    m = re.match(r"^(?:.*?\b)?please (.+)$", text, re.I)
    if m and pending.kind == "request":
        what = _swap_to_caller(m.group(1))
        if 1 <= len(what.split()) <= 12:
            return f"Sure, I'll {what}."
    if pending.kind == "request":
        return "Sure, I can help with that."
    return "Good question. I'll make a note of it so the team can follow up."


def _swap_to_caller(text: str) -> str:
    """The caller's `me`/`my` are `you`/`your` in the agent's mouth."""
    out = re.sub(r"\bme\b", "you", text, flags=re.I)
    out = re.sub(r"\bmy\b", "your", out, flags=re.I)
    out = re.sub(r"\bmyself\b", "yourself", out, flags=re.I)
    out = re.sub(r"\bI\b", "you", out)
    return out


def _prefix(decision: Decision, text: str, notices: tuple[str, ...] = ()) -> Decision:
    """Put `text` before what the decision says (greeting, a rule's own line)."""
    say = " ".join(s for s in (text, decision.say) if s)
    return dataclasses.replace(decision, say=say, notices=notices + decision.notices)


def _suffix(decision: Decision, text: str) -> Decision:
    say = " ".join(s for s in (decision.say, text) if s)
    return dataclasses.replace(decision, say=say)


def _note(decision: Decision, held: list[str]) -> Decision:
    if not held:
        return decision
    return dataclasses.replace(decision, why="; ".join([*held, decision.why]))


def _negation_note(said: it.Analysis) -> str:
    notes = [
        f"{h.words!r} negated by {h.negator!r}"
        for h in said.hits
        if h.negated and h.intent in (it.GOODBYE, it.COMPLETE, it.YES)
    ]
    return f" ({'; '.join(notes)})" if notes else ""


_ = swap_person  # phrasing helpers live in console/agent/phrasing.py
