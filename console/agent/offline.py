"""The offline agent: follows the main prompt deterministically, with no network.

It is the console's default brain and its reference: the same config and the same
caller words always give the same decisions, each with the rule and the words behind it.

Decision order for one caller utterance (documented in README, "How the offline agent
decides"):

0. A caller who says they want to go on ("no, I'm not done", "hold on", "one more
   question") is never hung up on: no rule or trigger may end the call on that turn.
1. End Call description, strong intents: a quoted phrase from the description, or the
   caller saying goodbye, not interested, asking not to be called, saying it is a wrong
   number, or a voicemail greeting. A caller who wants to leave is not kept on the line.
2. The current step's rules (`If the contact responds no, ...`).
3. Rules outside the steps (questions and objections).
4. End Call description, soft intent: conversation complete ("that's all").
5. Otherwise: go on to the next step when the caller answered yes or no (or the step has
   no rules); repeat the question when the answer matched no rule and was neither.
"""

from __future__ import annotations

import dataclasses
import time

from console.agent import intents as it
from console.agent.base import Decision
from console.agent.matching import Triggers, description_triggers, match_condition
from console.agent.prompt import Action, ParsedPrompt, Rule, fill_variables, parse_prompt, quotes
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

DEFAULT_GOODBYE = "Thank you for your time. Goodbye."
_STRONG = (it.VOICEMAIL, it.DO_NOT_CALL, it.WRONG_NUMBER, it.GOODBYE, it.NOT_INTERESTED)
_SOFT = (it.COMPLETE,)


def variables_of(config: CallConfig) -> dict[str, str]:
    return {"agent_name": config.agent.name, **config.agent.variables}


class OfflineAgent:
    backend = "offline"

    def __init__(self) -> None:
        self.current_step: int | None = None  # the step whose question awaits an answer
        self.finished = False  # the script has no steps left

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

    def cancel(self, turn: int) -> None:
        """Nothing runs in the background: a decision is made at once."""

    def close(self) -> None:
        pass

    # -- turns -------------------------------------------------------------------------
    def start(self, config: CallConfig) -> Decision:
        self.current_step, self.finished = None, False
        prompt = parse_prompt(config.agent.main_prompt)
        greeting = config.agent.greeting.strip()
        if not prompt.steps:
            return Decision(say=self._fill(config, greeting), why="greeting")
        first = min(s.number for s in prompt.steps)
        turn = self._run_from(config, prompt, first, why=f"opening: step {first}")
        if greeting:
            turn = _prefix(turn, self._fill(config, greeting))
        return turn

    def respond(self, config: CallConfig, caller_text: str, turn: int) -> Decision:
        prompt = parse_prompt(config.agent.main_prompt)
        said = it.analyse(caller_text)
        triggers = description_triggers(config.end_call.description)
        name = config.end_call.name
        negation = _negation_note(said)

        keep_on = said.hit(it.CONTINUE)
        strong = self._description_end(said, triggers, _STRONG, name, include_phrases=True)
        if strong and not keep_on:
            return strong

        step = prompt.step(self.current_step) if self.current_step is not None else None
        if step is not None:
            for rule in step.rules:
                m = match_condition(rule.condition, said)
                if m:
                    return self._apply_rule(config, prompt, rule, m.words, m.how, keep_on)
        for rule in prompt.rules:
            m = match_condition(rule.condition, said)
            if m:
                decision = self._apply_rule(config, prompt, rule, m.words, m.how, keep_on)
                moves_on = any(a.kind == "goto" for a in rule.actions)
                if step is not None and step.asks and decision.end is None and not moves_on:
                    # Answer the question, then come back to the script's open question.
                    return _suffix(decision, self._fill(config, step.spoken))
                return decision

        soft = self._description_end(said, triggers, _SOFT, name, include_phrases=False)
        if soft and not keep_on:
            return soft
        if keep_on:
            return Decision(
                say="Of course, go ahead.",
                why=f"the caller wants to go on (said {keep_on.words!r}); the call stays up",
                trigger_words=keep_on.words,
            )

        if step is not None and step.rules and said.polarity() is None:
            why = f"step {step.number}: no rule matched {caller_text!r}{negation}; asking again"
            return Decision(
                say=self._fill(config, "Sorry, I didn't catch that. " + step.spoken),
                why=why,
                rule=f"step {step.number}",
            )
        if step is not None:
            nxt = prompt.next_step(step.number)
            if nxt is not None:
                return self._run_from(
                    config, prompt, nxt.number, why=f"step {step.number} answered{negation}"
                )
            self.finished = True
        if self.finished and it.COMPLETE in triggers.intents:
            return Decision(
                why="the script has no steps left",
                end=EndRequest(
                    name,
                    why="conversation complete: the script has no steps left, and the End "
                    f"Call description says to end when the conversation is "
                    f"{triggers.intents[it.COMPLETE]!r}",
                    rule="description: conversation complete",
                ),
            )
        return Decision(
            say="Okay." if not self.finished else "",
            why=f"no rule of the prompt or the description matched{negation}",
        )

    def goodbye(self, config: CallConfig, end: EndRequest) -> GoodbyeText:
        """Invariant 3: the goodbye prompt if set, else the main prompt, else a default."""
        gp = config.end_call.goodbye_prompt.strip()
        if gp:
            q = quotes(gp)
            if q:
                return GoodbyeText(
                    self._fill(config, q[0]), "goodbye_prompt", "the goodbye prompt's quoted line"
                )
            return GoodbyeText(
                self._fill(config, gp), "goodbye_prompt", "the goodbye prompt as a template"
            )
        if end.say_hint:
            return GoodbyeText(
                self._fill(config, end.say_hint), "main_prompt", f"the line of {end.rule}"
            )
        closing = parse_prompt(config.agent.main_prompt).closing
        if closing:
            return GoodbyeText(
                self._fill(config, closing[0]),
                "main_prompt",
                f"the prompt's closing line (line {closing[1]})",
            )
        return GoodbyeText(DEFAULT_GOODBYE, "main_prompt", "polite default (no closing line)")

    def prepared_goodbyes(self, config: CallConfig) -> list[str]:
        """Goodbyes whose text is known before the call ends, to synthesise ahead of time."""
        if config.end_call.skip_goodbye:
            return []
        if config.end_call.goodbye_prompt.strip():
            return [self.goodbye(config, EndRequest(config.end_call.name, why="")).text]
        prompt = parse_prompt(config.agent.main_prompt)
        lines = [ref.says for ref in prompt.refs if ref.says]
        lines += [prompt.closing[0]] if prompt.closing else [DEFAULT_GOODBYE]
        return list(dict.fromkeys(self._fill(config, line) for line in lines))

    # -- helpers -----------------------------------------------------------------------
    def _description_end(
        self,
        said: it.Analysis,
        triggers: Triggers,
        intents: tuple[str, ...],
        name: str,
        include_phrases: bool,
    ) -> Decision | None:
        if include_phrases:
            for phrase in triggers.phrases:
                words = it.tokens_of(phrase)
                if said.contains_words(words):
                    why = f'the End Call description names "{phrase}" and the caller said it'
                    return _end(name, why, f'description: "{phrase}"', " ".join(words))
        for intent in intents:
            if intent not in triggers.intents:
                continue
            hit = said.hit(intent)
            if hit:
                label = it.INTENT_LABELS[intent]
                why = (
                    f"caller intent '{label}' (said {hit.words!r}); the End Call description "
                    f"says to end on {triggers.intents[intent]!r}"
                )
                return _end(name, why, f"description: {label}", hit.words)
        return None

    def _apply_rule(
        self,
        config: CallConfig,
        prompt: ParsedPrompt,
        rule: Rule,
        words: str,
        how: str,
        keep_on: it.PhraseHit | None = None,
    ) -> Decision:
        label = f"{rule.where}, line {rule.line}"
        why = f"{label}: 'If the contact {rule.condition}' matched {words!r} ({how})"
        decision = self._perform(config, prompt, rule.actions, why, label, words)
        if decision.end is not None and keep_on is not None:
            return Decision(
                say="Of course, go ahead.",
                why=f"{why}, but the caller wants to go on (said {keep_on.words!r}): "
                "the rule's End Call is not invoked",
                rule=label,
                trigger_words=keep_on.words,
            )
        return decision

    def _perform(
        self,
        config: CallConfig,
        prompt: ParsedPrompt,
        actions: tuple[Action, ...],
        why: str,
        rule: str,
        words: str,
        visited: frozenset[int] = frozenset(),
    ) -> Decision:
        """Carry out a rule's or step's actions in order."""
        name = config.end_call.name
        says = [a.text for a in actions if a.kind in ("say", "ask")]
        ends = [a for a in actions if a.kind == "end" or (a.kind == "call" and a.name == name)]
        notices = tuple(
            f"the prompt asks to call '{a.name}' ({rule}) but the End Call action is named "
            f"'{name}': the agent cannot invoke it, so the call goes on"
            for a in actions
            if a.kind == "call" and a.explicit and a.name != name
        )
        if ends:
            how = "call " + name if ends[0].kind == "call" else "end the call (no action name)"
            return Decision(
                why=why,
                rule=rule,
                trigger_words=words,
                notices=notices,
                end=EndRequest(name, f"{why} -> {how}", rule, words, " ".join(says)),
            )
        goto = next((a.step for a in actions if a.kind == "goto"), None)
        spoken = self._fill(config, " ".join(says))
        if goto is not None and goto not in visited:
            nxt = self._run_from(config, prompt, goto, why, visited | {goto})
            return _prefix(nxt, spoken, notices)
        return Decision(say=spoken, why=why, rule=rule, trigger_words=words, notices=notices)

    def _run_from(
        self,
        config: CallConfig,
        prompt: ParsedPrompt,
        number: int,
        why: str,
        visited: frozenset[int] = frozenset(),
    ) -> Decision:
        """Speak steps from `number` on until one asks a question (or ends the call)."""
        step = prompt.step(number)
        if step is None:
            self.current_step, self.finished = None, True
            return Decision(why=f"{why}; the script has no step {number}")
        visited = visited | {number}
        label = f"step {step.number}, line {step.line}"
        if step.calls() or step.asks:
            self.current_step = step.number
        if step.calls():
            return self._perform(config, prompt, step.actions, f"{why} -> {label}", label, "")
        if step.asks:
            return Decision(
                say=self._fill(config, step.spoken), why=f"{why} -> {label}", rule=label
            )
        goto = next((a.step for a in step.actions if a.kind == "goto"), None)
        nxt_number = goto if goto is not None else _after(prompt, step.number)
        if nxt_number is None or nxt_number in visited:
            self.current_step, self.finished = None, True
            return Decision(
                say=self._fill(config, step.spoken), why=f"{why} -> {label}", rule=label
            )
        rest = self._run_from(config, prompt, nxt_number, why, visited)
        return _prefix(rest, self._fill(config, step.spoken))

    @staticmethod
    def _fill(config: CallConfig, text: str) -> str:
        return fill_variables(text, variables_of(config)).strip()


def _after(prompt: ParsedPrompt, number: int) -> int | None:
    nxt = prompt.next_step(number)
    return nxt.number if nxt else None


def _end(name: str, why: str, rule: str, words: str) -> Decision:
    return Decision(why=why, rule=rule, trigger_words=words, end=EndRequest(name, why, rule, words))


def _prefix(decision: Decision, text: str, notices: tuple[str, ...] = ()) -> Decision:
    """Put `text` before what the decision says (greeting, a rule's own line)."""
    say = " ".join(s for s in (text, decision.say) if s)
    return dataclasses.replace(decision, say=say, notices=notices + decision.notices)


def _suffix(decision: Decision, text: str) -> Decision:
    say = " ".join(s for s in (decision.say, text) if s)
    return dataclasses.replace(decision, say=say)


def _negation_note(said: it.Analysis) -> str:
    notes = [
        f"{h.words!r} negated by {h.negator!r}"
        for h in said.hits
        if h.negated and h.intent in (it.GOODBYE, it.COMPLETE, it.YES)
    ]
    return f" ({'; '.join(notes)})" if notes else ""
