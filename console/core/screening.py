"""Voicemail screening, the engine's part: hold the opening until someone has said who
answered, then play it (a person), hang up at once, or wait for the beep and leave the
message (a machine). The detector that decides lives in console/audio/amd; this module
only acts on its verdicts, on the engine's thread.

A message starts after the beep, never over the greeting: with no beep within
`beep_max_wait_s` it waits for the machine's side to go quiet (the detector's `Quiet`
reports, through `line_quiet`), at most `quiet_max_wait_s` more; a machine that never
goes quiet (an IVR menu that loops) is hung up on without the message, with a warning.

Mid-call edits to `voicemail.*` apply where they are still to be read: `detect`,
`hold_opening_max_s` and the detector's thresholds are read when the call is answered
(the detector has been listening since), and `on_machine`, `message` and
`beep_max_wait_s` when a machine is decided. An edit to one already read keeps this
call as it was and says so on the timeline (`screening_edit_notices`), instead of
looking as if it took effect.

A mixin of CallEngine (console/core/engine.py): these steps use the engine's own state
and steps (`_emit`, `_ask`, `_drop`, `_give_way`, `_enqueue_speech`, `_advance`), and
are kept here so the engine reads as the call and this as the machine-answered case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from console.core import events as ev
from console.core.agent_port import EndRequest, GoodbyeText, Purpose
from console.core.call_records import CallState, Ending, Screening
from console.core.clock import SessionClock
from console.core.config import ConfigStore
from console.core.text_variables import fill_for

# Read when the call is answered, and when a machine is decided (see the docstring).
AT_ANSWER = ("detect", "hold_opening_max_s", "machine_speech_s", "human_silence_s")
AT_MACHINE = ("on_machine", "message", "beep_max_wait_s")


class VoicemailScreening:
    # What these steps use of the engine (console/core/engine.py defines each of them).
    store: ConfigStore
    clock: SessionClock
    screening: Screening | None
    ending: Ending | None
    turn: int
    active: bool
    _emit: Callable[[ev.Event], None]
    _ask: Callable[..., None]
    _drop: Callable[..., None]
    _notice: Callable[[str, str, str], None]
    _give_way: Callable[[float], None]
    _set_state: Callable[[CallState], None]
    _enqueue_speech: Callable[[str, str, str, int], None]
    _advance: Callable[[], None]

    def _start_screening(self, now: float) -> bool:
        """At connect: screen the call when voicemail detection is on. Returns whether
        the opening is held for the verdict."""
        vm = self.store.current.voicemail
        if not vm.detect:
            return False
        self.screening = Screening()
        if vm.hold_opening_max_s > 0:  # the agent says nothing to a machine
            self.screening.held_since = now
            self.screening.hold_until = now + vm.hold_opening_max_s
        return self.screening.holding

    def _screening_deadlines(self) -> list[float]:
        screening = self.screening
        if screening is None:
            return []
        times = (screening.hold_until, screening.message_due, screening.quiet_until)
        return [t for t in times if t is not None]

    def _screening_tick(self, now: float) -> None:
        screening = self.screening
        if screening is None:
            return
        if screening.hold_until is not None and now >= screening.hold_until:
            self._release_opening(screening.hold_until, "hold_expired")
        if screening.message_due is not None and now >= screening.message_due:
            self._no_beep(screening.message_due)
        if screening.quiet_until is not None and now >= screening.quiet_until:
            self._never_quiet(screening.quiet_until)

    def answered_by(self, verdict: ev.AnsweredByVerdict) -> None:
        """Who answered. A person (or uncertain): the held opening plays. A machine: the
        line drops at once (hang_up: no agent audio after the verdict) or the agent waits
        for the beep and leaves the message (leave_message)."""
        screening = self.screening
        if not self.active or screening is None or screening.verdict is not None:
            return
        # On the timeline when the console knew it; its audio is at `audio_t`.
        known = max(self.clock.now(), verdict.t)
        verdict = dataclasses.replace(verdict, t=known, config_version=self.store.version)
        self._emit(verdict)
        screening.verdict = verdict
        was_held = screening.holding
        if was_held:
            self._release_opening(max(verdict.t, screening.held_since or 0.0), verdict.answered_by)
        if not verdict.machine or self.ending is not None:
            return
        vm = self.store.current.voicemail
        if vm.on_machine == "hang_up":
            self._drop(
                ev.VOICEMAIL,
                f"answered by {verdict.answered_by} ({verdict.decided_by}): hung up, no word said",
            )
            return
        self._begin_message(verdict)

    def beep_heard(self, beep: ev.BeepHeard) -> None:
        """The beep ended: a message that waits for it starts now, never over the greeting."""
        screening = self.screening
        if not self.active or screening is None:
            return
        self._emit(dataclasses.replace(beep, config_version=self.store.version))
        screening.beep = beep
        if screening.message and screening.awaiting_message:
            self._leave_message(f"after the beep at {beep.start:.2f}-{beep.end:.2f} s")

    def line_quiet(self, quiet: bool, since: float) -> None:
        """The machine's side went quiet (nothing heard from `since` on, for
        `human_silence_s` already) or made a sound again (from `since`). A message that
        gave up on the beep starts at the quiet."""
        screening = self.screening
        if not self.active or screening is None:
            return
        screening.quiet_since = since if quiet else None
        if quiet and screening.quiet_until is not None:
            self._leave_message(self._no_beep_why(since))

    def _no_beep(self, due: float) -> None:
        """No beep within beep_max_wait_s: the message starts now if the machine is quiet,
        else once it goes quiet, at most quiet_max_wait_s later."""
        screening = self.screening
        assert screening is not None
        if screening.quiet_since is not None:
            self._leave_message(self._no_beep_why(screening.quiet_since))
            return
        screening.message_due = None
        screening.quiet_until = due + self.store.current.voicemail.quiet_max_wait_s

    def _no_beep_why(self, quiet_since: float) -> str:
        vm = self.store.current.voicemail
        return (
            f"no beep within {vm.beep_max_wait_s:g} s (beep_max_wait_s); the machine quiet "
            f"since {quiet_since:.2f} s"
        )

    def _never_quiet(self, t: float) -> None:
        """No beep, and the machine talked on: the message would play over it, so none is
        left; the line drops and the timeline says why."""
        screening = self.screening
        assert screening is not None
        screening.quiet_until = None
        vm = self.store.current.voicemail
        why = (
            f"no beep within {vm.beep_max_wait_s:g} s and the machine never went quiet for "
            f"{vm.human_silence_s:g} s in a further {vm.quiet_max_wait_s:g} s "
            "(quiet_max_wait_s): hung up without the message, which would have played over it"
        )
        self._notice("warning", "voicemail", why)
        self._drop(ev.VOICEMAIL, why, t)

    def screening_edit_notices(self, changes: list[tuple[str, Any, Any]]) -> None:
        """A mid-call edit to a voicemail setting this call has already read: a warning
        that it applies from the next call (the value in force stays in this one)."""
        screening = self.screening
        verdict = screening.verdict if screening is not None else None
        for path, old, new in changes:
            section, _, name = path.partition(".")
            if section != "voicemail":
                continue
            if name in AT_ANSWER:
                when = "when the call was answered"
            elif name in AT_MACHINE and verdict is not None and verdict.machine:
                when = f"when the machine was decided at {verdict.t:.2f} s"
            else:
                continue
            self._notice(
                "warning",
                "config",
                f"{path} is read {when}: this call goes on with {old!r}; {new!r} applies "
                "from the next call",
            )

    def _release_opening(self, t: float, by: str) -> None:
        screening = self.screening
        assert screening is not None and screening.held_since is not None
        self._emit(
            ev.OpeningHeld(
                t=screening.held_since,
                config_version=self.store.version,
                start=screening.held_since,
                end=t,
                released_by=by,
            )
        )
        screening.held_since = screening.hold_until = None
        machine = screening.verdict is not None and screening.verdict.machine
        if by in ("human", "uncertain", "hold_expired") and not machine and self.ending is None:
            self._ask(Purpose.OPENING, 0, None)

    def _begin_message(self, verdict: ev.AnsweredByVerdict) -> None:
        """A machine answered and a message is to be left: nothing else is said; the
        message waits for the beep (at most beep_max_wait_s)."""
        cfg = self.store.current
        screening = self.screening
        assert screening is not None
        now = self.clock.now()
        why = f"answered by {verdict.answered_by} ({verdict.decided_by}): leave the message"
        self.ending = Ending(
            action_at=now,
            end=EndRequest("voicemail", why=why, rule="voicemail.on_machine: leave_message"),
            turn=self.turn,
            caller_end=None,
            reason=ev.VOICEMAIL,
        )
        self._give_way(now)
        self._set_state(CallState.ENDING)
        screening.message = fill_for(cfg, cfg.voicemail.message).strip()
        if not screening.message:
            self._drop(ev.VOICEMAIL, "leave_message, but voicemail.message is empty", now)
            return
        screening.message_due = now + cfg.voicemail.beep_max_wait_s
        beep = screening.beep
        if beep is not None and beep.heard_at <= now:
            self._leave_message(f"after the beep at {beep.start:.2f}-{beep.end:.2f} s")

    def _leave_message(self, why: str) -> None:
        screening, ending = self.screening, self.ending
        if screening is None or ending is None or not screening.awaiting_message:
            return
        screening.message_due = screening.quiet_until = None
        ending.goodbye = GoodbyeText(screening.message, "voicemail_message", why)
        self._enqueue_speech(screening.message, "goodbye", ending.end.why, ending.turn)
        self._advance()
