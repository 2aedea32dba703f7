"""The platforms' own hang-up features as pure functions the engine calls.

- **End-call phrases** (Vapi `endCallPhrases`): after the agent has finished speaking a
  line, the call ends if the line contains one of the phrases. Vapi's rule: any case, the
  phrase anywhere in the line, even inside a longer word ("bye" matches "goodbye", "end"
  matches "weekend"). The console also offers `whole_words` so a tester can compare.
  Only the agent's own lines count: a caller saying the phrase ends nothing.
- **A fixed goodbye** (Vapi `endCallMessage` / a request-start message, Retell static
  text): when the action fires, this text is spoken word for word instead of a goodbye
  generated from the goodbye prompt or the main prompt.

They are pure, and part of the core, so the engine (and the tests) can use them without
a call around them; the platform importers map their files onto these rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from console.core.config import CallConfig
from console.core.events import END_CALL_PHRASE  # noqa: F401 - the drop reason, re-exported
from console.core.text_variables import fill_for

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()


def phrase_ends_call(
    spoken_text: str, phrases: Sequence[str], match: str = "substring"
) -> str | None:
    """The first phrase (as configured) found in what the agent said, or None."""
    said = _norm(spoken_text)
    if not said:
        return None
    for phrase in phrases:
        want = _norm(phrase)
        if not want:
            continue
        if match == "whole_words":
            if re.search(rf"(?<!\w){re.escape(want)}(?!\w)", said):
                return phrase
        elif want in said:
            return phrase
    return None


@dataclass(frozen=True)
class PhraseEnding:
    phrase: str
    detail: str  # for the line-dropped event: which phrase, under which rule


def phrase_ending(config: CallConfig, spoken_text: str) -> PhraseEnding | None:
    """Should this finished agent line end the call? Off when no phrases are set."""
    action = config.end_call
    if not action.phrases:
        return None
    phrase = phrase_ends_call(spoken_text, action.phrases, action.phrase_match)
    if phrase is None:
        return None
    rule = "anywhere, any case" if action.phrase_match == "substring" else "whole words"
    return PhraseEnding(phrase, f"the agent said the end-call phrase '{phrase}' ({rule})")


def fixed_goodbye(config: CallConfig) -> str | None:
    """The fixed goodbye to speak when the action fires, or None (generate one as usual,
    or none at all when skip goodbye is on)."""
    action = config.end_call
    if action.skip_goodbye or not action.goodbye_message.strip():
        return None
    return fill_for(config, action.goodbye_message).strip()
