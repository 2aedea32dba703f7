"""Lints for the platforms' hang-up features, where the platforms' users get bitten.

- end-call phrases short enough to match ordinary words ("bye" is inside "goodbye"; Vapi
  matches anywhere in the line), and phrases the agent says in its own greeting;
- a request-start message that silently replaces Vapi's end-call message;
- an agent without any end-call tool: it can never hang up by itself;
- a tool description left empty, so the platform's own default text is sent;
- a fixed goodbye message next to a goodbye prompt or skip goodbye (one of them is
  ignored).

`console.agent.lints.lint_config` calls `platform_lints` at its end. (They are the
console's own hang-up features, which imported platform agents use: so they live with
the agent's other lints, not with the importers.)
"""

from __future__ import annotations

import re

from console.agent.lint_record import INFO, WARNING, Lint
from console.core.config import CallConfig
from console.core.hangup import phrase_ends_call

_TITLES = {"vapi": "Vapi", "retell": "Retell", "elevenlabs": "ElevenLabs", "livekit": "LiveKit"}
SHORT_PHRASE_CHARS = 8
# Ordinary agent lines a short phrase can hide in (substring matching).
_ORDINARY = (
    "Goodbye for now, but first one more question.",
    "Maybe we can find a better time.",
    "I can send that by email.",
    "Thank you, that is helpful to know.",
    "We recommend it to a friend.",
    "Have a great weekend.",
    "Okay, let me check the calendar.",
    "I'll stand by while you look.",
)


def platform_lints(config: CallConfig) -> list[Lint]:
    out: list[Lint] = []
    action = config.end_call
    out += _phrase_lints(config)
    platform = config.platform
    title = _TITLES.get(platform.name, platform.name) if platform else ""
    if platform and platform.shadowed_goodbye.strip():
        out.append(
            Lint(
                "goodbye_message_shadowed",
                WARNING,
                "end_call.goodbye_message",
                f'{title}\'s end-call message "{platform.shadowed_goodbye}" is never spoken: '
                "the end-call tool's request-start message replaces it. Keep one of them.",
            )
        )
    if not action.enabled:
        other = action.phrases or (
            config.agent.turn_taking.silence_timeout_s or config.agent.turn_taking.max_call_s
        )
        out.append(
            Lint(
                "no_end_call_tool",
                WARNING,
                "end_call.enabled",
                "the agent has no end-call tool: it can never hang up by itself; calls end "
                + (
                    "only by an end-call phrase, a timeout or the caller"
                    if other
                    else "only when the caller hangs up"
                )
                + (f". Add the end-call tool on {title}." if title else "."),
            )
        )
    if platform and platform.description_is_default and action.enabled:
        out.append(
            Lint(
                "platform_default_description",
                WARNING,
                "end_call.description",
                f"the {title} file leaves the tool description empty, so {title} sends its own "
                "default text, which says nothing about this agent's calls; the console tests "
                "with a stand-in. Write a description that says when this agent must hang up.",
            )
        )
    if action.goodbye_message.strip() and action.goodbye_prompt.strip():
        out.append(
            Lint(
                "goodbye_message_with_prompt",
                WARNING,
                "end_call.goodbye_prompt",
                "a fixed goodbye message is set, so the goodbye prompt is ignored",
            )
        )
    if action.goodbye_message.strip() and action.skip_goodbye:
        out.append(
            Lint(
                "skip_with_goodbye_message",
                WARNING,
                "end_call.goodbye_message",
                "Skip Goodbye Message is on, so the fixed goodbye message is never spoken",
            )
        )
    return out


def _phrase_lints(config: CallConfig) -> list[Lint]:
    out: list[Lint] = []
    action = config.end_call
    for phrase in action.phrases:
        words = phrase.split()
        hits = [
            line
            for line in _ORDINARY
            if phrase_ends_call(line, [phrase], action.phrase_match) is not None
        ]
        if len(phrase.strip()) < SHORT_PHRASE_CHARS or len(words) == 1 or hits:
            example = f' (it ends the call on "{hits[0]}")' if hits else ""
            rule = (
                "anywhere in a line, even inside a longer word"
                if action.phrase_match == "substring"
                else "as a whole word"
            )
            out.append(
                Lint(
                    "end_call_phrase_short",
                    WARNING,
                    "end_call.phrases",
                    f"the end-call phrase '{phrase}' is short: it matches {rule}, so ordinary "
                    f"agent lines can end the call{example}. Use a longer, specific phrase.",
                )
            )
        if re.search(r"[^\w\s']", phrase) or phrase != " ".join(words):
            out.append(
                Lint(
                    "end_call_phrase_punctuation",
                    INFO,
                    "end_call.phrases",
                    f"the end-call phrase '{phrase}' has punctuation or extra spaces: it must "
                    "then match the agent's words exactly, punctuation included",
                )
            )
        greeting = config.agent.greeting
        if greeting and phrase_ends_call(greeting, [phrase], action.phrase_match):
            out.append(
                Lint(
                    "end_call_phrase_in_greeting",
                    WARNING,
                    "agent.greeting",
                    f"the greeting contains the end-call phrase '{phrase}': the call ends "
                    "right after the greeting",
                )
            )
    return out
