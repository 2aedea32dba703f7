"""What the answering party's words say about it: a recorded greeting or an IVR menu.

A recogniser's text (partial or final) is searched for cues. Strong cues ("leave a
message", "after the tone", "press 1") decide alone; weak ones ("is not available",
"thank you for calling") count half, so two of them decide, and one lowers the
confidence of a person. People say "hello", "who is this", "Sam speaking": no cue in
words proves a person, so words never decide "human" (the greeting's shape does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VOICEMAIL, IVR = "voicemail", "ivr"
STRONG, WEAK = 1.0, 0.5
DECIDES = 1.0  # a kind whose cues add up to this is decided by the words

_KEY = r"(?:\d|one|two|three|four|five|six|seven|eight|nine|zero|star|pound|the pound)"

CUES: tuple[tuple[str, float, re.Pattern[str]], ...] = tuple(
    (kind, weight, re.compile(pattern))
    for kind, weight, pattern in (
        (
            VOICEMAIL,
            STRONG,
            r"\bleave (?:a |your |us a |me a |a brief )?(?:message|name|voice ?mail)",
        ),
        (VOICEMAIL, STRONG, r"\b(?:after|at) the (?:tone|beep|signal|sound of the (?:tone|beep))"),
        (VOICEMAIL, STRONG, r"\bvoice ?mail|\bmail ?box|\bvoice message"),
        (VOICEMAIL, STRONG, r"\brecord (?:your|a) message|\bfinished recording"),
        (
            VOICEMAIL,
            STRONG,
            r"\b(?:can not|unable to|not able to) (?:take|answer|get to|come to) "
            r"(?:your call|the phone|my phone)",
        ),
        (VOICEMAIL, WEAK, r"\b(?:is|am|are) not available|\bnot available right now"),
        (VOICEMAIL, WEAK, r"\b(?:call|get back to) you back\b|\breturn your call|\bcall you back"),
        (VOICEMAIL, WEAK, r"\byou have reached\b"),
        (VOICEMAIL, WEAK, r"\bmissed (?:you|your call)\b|\boffice is (?:currently )?closed"),
        (IVR, STRONG, rf"\bpress {_KEY}\b"),
        (IVR, STRONG, r"\bmain menu\b|\bmenu options\b"),
        (IVR, STRONG, r"\bparty s extension|\b(?:dial|enter) (?:the |your |an )?extension"),
        (IVR, STRONG, r"\bsay or (?:press|enter)\b|\bfollowed by the pound|\bpound (?:key|sign)"),
        (IVR, STRONG, r"\bpara espa[nñ]ol"),
        (IVR, WEAK, r"\byour call is important"),
        (IVR, WEAK, r"\bplease (?:listen carefully|stay on the line|hold)\b"),
        (IVR, WEAK, r"\bthank you for calling\b"),
        (IVR, WEAK, r"^welcome to\b|\bwelcome to the\b"),
        (IVR, WEAK, r"\bto speak (?:to|with) (?:a|an|our) (?:representative|agent|operator)"),
        (IVR, WEAK, r"\ball (?:of )?our (?:agents|representatives) are"),
    )
)

_CONTRACTIONS = (
    (r"\bcan't\b|\bcannot\b", "can not"),
    (r"\bwon't\b", "will not"),
    (r"n't\b", " not"),
    (r"'ve\b", " have"),
    (r"'re\b", " are"),
    (r"'m\b", " am"),
    (r"'ll\b", " will"),
)


def normalise(text: str) -> str:
    """Lower case, straight quotes, contractions spelt out, punctuation as spaces."""
    out = text.lower().replace("’", "'").replace("‘", "'")
    for pattern, repl in _CONTRACTIONS:
        out = re.sub(pattern, repl, out)
    out = re.sub(r"[^\w\s]", " ", out)
    return re.sub(r"\s+", " ", out).strip()


@dataclass(frozen=True)
class CueMatch:
    """The cues found in some text: a score per kind and the phrases that matched."""

    scores: dict[str, float]
    phrases: tuple[tuple[str, str], ...]  # (kind, the words that matched)

    @property
    def decided(self) -> str | None:
        """The machine kind the words decide, if any (IVR wins a tie: its menus also
        mention messages, a greeting rarely says "press 1")."""
        best = max((VOICEMAIL, IVR), key=lambda k: (self.scores[k], k == IVR))
        return best if self.scores[best] >= DECIDES else None

    def said(self, kind: str) -> list[str]:
        return [words for k, words in self.phrases if k == kind]


def find_cues(text: str) -> CueMatch:
    norm = normalise(text)
    scores = {VOICEMAIL: 0.0, IVR: 0.0}
    phrases: list[tuple[str, str]] = []
    for kind, weight, pattern in CUES:
        found = pattern.search(norm)
        if found:
            scores[kind] += weight
            phrases.append((kind, found.group(0)))
    return CueMatch(scores, tuple(phrases))
