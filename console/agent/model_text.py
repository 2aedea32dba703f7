"""A model's streamed text, made fit to speak: sentences as they complete, no template text.

Two things go wrong with real model servers. Small models served with the wrong chat
template write the template's control text (`<|im_start|>user ...`, `<end_of_turn>`) and
then carry on with the caller's next line themselves; none of that may be spoken. And a
long reply with no sentence end must not cost more CPU with every chunk: the text is
scanned once, from where the last scan stopped, and what was received and handed out is
kept as lists of pieces, joined once when read (adding to one string copies all of it,
every chunk: a 100 MB stream cost quadratic time).

`SpokenText.feed(delta)` returns the sentences completed by `delta`; `finish()` returns
the rest. `notices` says what was removed; `stopped` is set when the model began writing
another turn (the caller may stop the request there).
"""

from __future__ import annotations

import re

# Control text of the common chat templates (ChatML, Gemma, Llama 2/3, Mistral, Phi).
_CONTROL = re.compile(
    r"<\|[a-z_]+\|>|<(?:start|end)_of_turn>|</?s>|\[/?INST\]|<<SYS>>|<</SYS>>",
    re.IGNORECASE,
)
# After these, the model is writing a turn of its own (a role name usually follows).
_TURN_START = re.compile(
    r"<\|im_start\|>|<start_of_turn>|<\|start_header_id\|>|\[INST\]|<\|user\|>",
    re.IGNORECASE,
)
_SENTENCE_END = ".!?"
_LONGEST_CONTROL = 24  # characters held back in case a control token is split
MAX_UNBROKEN = 400  # characters without a sentence end: spoken at the last space


class _Pieces:
    """Text that grows by pieces and is read rarely: joined when read, not when added."""

    def __init__(self, sep: str = "") -> None:
        self._sep = sep
        self._parts: list[str] = []
        self._joined: str | None = ""

    def add(self, piece: str) -> None:
        self._parts.append(piece)
        self._joined = None

    def __str__(self) -> str:
        if self._joined is None:
            self._joined = self._sep.join(self._parts)
            self._parts = [self._joined] if self._joined else []
        return self._joined


class SpokenText:
    def __init__(self) -> None:
        self._raw = _Pieces()  # everything the model sent
        self._spoken = _Pieces(" ")  # the sentences handed out
        self.notices: list[str] = []
        self.stopped = False  # the model started writing another turn
        self._pending = ""  # clean text not yet handed out (at most MAX_UNBROKEN + a chunk)
        self._scan_from = 0  # in _pending: where the next sentence-end search starts
        self._tail = ""  # raw text held back: it may be the start of a control token
        self._removed: list[str] = []

    @property
    def raw(self) -> str:
        """Everything the model sent."""
        return str(self._raw)

    @property
    def spoken(self) -> str:
        """What has been (or will be) handed out to speak."""
        return str(self._spoken)

    def feed(self, delta: str) -> list[str]:
        if not delta:
            return []
        self._raw.add(delta)
        if self.stopped:
            return []
        text = self._tail + delta
        self._tail = ""
        turn = _TURN_START.search(text)
        if turn is not None:
            self._removed.append(text[turn.start() :][:60])
            text = text[: turn.start()]
            self.stopped = True
        else:
            cut = text.rfind("<")
            bracket = text.rfind("[")
            cut = max(cut, bracket)
            if cut >= 0 and len(text) - cut < _LONGEST_CONTROL and not _closed(text[cut:]):
                self._tail, text = text[cut:], text[:cut]
        clean = self._strip(text)
        self._pending += clean
        return self._complete_sentences()

    def finish(self) -> list[str]:
        """The end of the reply: what is left is spoken, and the notices are final."""
        if self._tail and not self.stopped:
            self._pending += self._strip(self._tail)
            self._tail = ""
        rest = " ".join(self._pending.split())
        self._pending, self._scan_from = "", 0
        if self._removed:
            shown = ", ".join(repr(r) for r in dict.fromkeys(self._removed))[:200]
            self.notices.append(
                f"the model wrote chat-template control text ({shown}); it was not spoken"
                + (
                    "; the rest of its reply was another turn and was dropped"
                    if self.stopped
                    else ""
                )
            )
        out = [rest] if rest else []
        self._said(out)
        return out

    # -- internals -----------------------------------------------------------------------
    def _strip(self, text: str) -> str:
        found = _CONTROL.findall(text)
        if found:
            self._removed.extend(found)
            text = _CONTROL.sub(" ", text)
        return text

    def _complete_sentences(self) -> list[str]:
        out: list[str] = []
        pending = self._pending
        i = self._scan_from
        start = 0
        while i < len(pending):
            if pending[i] in _SENTENCE_END and (i + 1 == len(pending) or pending[i + 1].isspace()):
                # "3.5" or "e.g." inside a word does not end a sentence; an end of text does.
                sentence = " ".join(pending[start : i + 1].split())
                if sentence:
                    out.append(sentence)
                start = i + 1
            i += 1
        while len(pending) - start > MAX_UNBROKEN:  # no sentence end: cut at the last space
            space = pending.rfind(" ", start, start + MAX_UNBROKEN)
            cut = space if space > start else start + MAX_UNBROKEN
            out.append(" ".join(pending[start:cut].split()))
            start = cut
        rest = pending[start:]
        self._pending = rest
        self._scan_from = len(rest)
        self._said(out)
        return out

    def _said(self, sentences: list[str]) -> None:
        for sentence in sentences:
            if sentence:
                self._spoken.add(sentence)


def _closed(fragment: str) -> bool:
    return ">" in fragment or "]" in fragment


def clean_reply(text: str) -> tuple[str, list[str]]:
    """A whole (not streamed) reply: its speakable text and what was removed."""
    spoken = SpokenText()
    parts = spoken.feed(text) + spoken.finish()
    return " ".join(parts), spoken.notices
