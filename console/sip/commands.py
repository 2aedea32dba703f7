"""The terminal side of SIP: `endcall-console call --sip URI` and `run --sip URI ...`.

`call --sip` prints the timeline as it happens; typed lines are spoken into the call
(pyttsx3), `/dtmf 123` sends keys, `/hangup` or Ctrl+C hangs up. As a local `call`, it
uses the default speaker and microphone (`--output`, `--input` choose others): the agent
is heard, and the tester can speak (recognised into caller rows) as well as type.
`--text` uses no sound device at all.

The password never comes from the command line (shells keep history): it comes from
$ENDCALL_SIP_PASSWORD, or is asked for with `--sip-ask-password`, and is then only in
this process's memory.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path
from typing import Any

from console.core import events as ev
from console.live.ctrl_c import ride
from console.report.table import describe, format_timeline
from console.sip.account import SipAccount, SipInputError
from console.sip.call import SipCall, SipCallOptions
from console.sip.line import LineOptions

HELP = "type the caller's words; /dtmf DIGITS sends keys; /hangup or Ctrl+C hangs up"


def account_from_args(args: argparse.Namespace) -> SipAccount:
    password = None
    if getattr(args, "sip_ask_password", False):
        password = getpass.getpass("SIP password (not saved): ")
    return SipAccount.from_input(
        args.sip,
        user=getattr(args, "sip_user", "") or "",
        password=password,
        registrar=getattr(args, "sip_registrar", "") or "",
        codecs=getattr(args, "codecs", None),
    )


def _line_options(args: argparse.Namespace) -> LineOptions:
    timeout = getattr(args, "answer_timeout", 8.0)
    if not timeout or timeout <= 0:
        raise SipInputError("--answer-timeout must be a positive number of seconds")
    return LineOptions(no_answer_s=timeout)


def _print_event(event: ev.Event) -> None:
    from console.command_line import tty

    row = describe(event)
    if row is not None:
        when, lane, text = row
        print(f"  {when:<13} {lane:<9} {tty(text)}", flush=True)


def _sessions(args: argparse.Namespace) -> Path | None:
    from console.command_line import usable_sessions_dir
    from console.session.writer import default_sessions_dir

    if getattr(args, "no_save", False):
        return None
    return usable_sessions_dir(Path(args.sessions or default_sessions_dir()))


# -- call --sip ------------------------------------------------------------------------------
def sip_call(args: argparse.Namespace) -> int:
    from console.command_line import tty
    from console.sip import stack

    try:
        account = account_from_args(args)
        line = _line_options(args)
    except SipInputError as exc:
        print(f"error: {tty(exc)}", file=sys.stderr)
        return 2
    text_only = bool(getattr(args, "text", False))
    options = SipCallOptions(
        sessions_dir=_sessions(args),
        name="sip call",
        model_path=getattr(args, "model", None),
        # "" is the default device, as a local call's.
        input_device=None if text_only else (getattr(args, "input", None) or ""),
        output_device=None if text_only else (getattr(args, "output", None) or ""),
        line=line,
    )
    call = SipCall(account, options, [_print_event])
    try:
        print(f"Calling {tty(account.uri)}... ({HELP})", flush=True)
        ride(call, _read_stdin)
    finally:
        call.close()
        stack.shutdown()
    if call.session_dir is not None:
        print(f"session: {tty(call.session_dir)}")
    return 0


def _read_stdin(call: SipCall) -> None:
    for raw in sys.stdin:
        text = raw.strip()
        if call.dropped.is_set():
            return
        if not text:
            continue
        if text == "/hangup":
            call.tester_hang_up()
            return
        if text.startswith("/dtmf"):
            digits = text.removeprefix("/dtmf").strip()
            if digits:
                call.send_dtmf(digits)
            continue
        if text.startswith("/"):
            print(f"  (unknown command; {HELP})", flush=True)
            continue
        call.say(text)


# -- run --sip -------------------------------------------------------------------------------
def run_sip_scenarios(args: argparse.Namespace) -> int:
    from console.command_line import tty
    from console.scenario.junit import write_junit
    from console.sip import stack
    from console.sip.scenario import (
        SipRunOptions,
        SipScenarioError,
        load_sip_scenario,
        run_sip_scenario,
    )

    try:
        account = account_from_args(args)
        line = _line_options(args)
    except SipInputError as exc:
        print(f"error: {tty(exc)}", file=sys.stderr)
        return 2
    repeat = getattr(args, "repeat", 1) or 1
    if repeat < 1:
        print("error: --repeat must be 1 or more", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    results: list[Any] = []
    errors: list[tuple[str, str]] = []
    scenarios = []
    for name in args.scenario:
        try:
            scenarios.append((name, load_sip_scenario(name)))
        except SipScenarioError as exc:
            errors.append((name, str(exc)))
            print(f"ERROR  {tty(name)}: {tty(exc)}\n")
    options = SipRunOptions(sessions_dir=_sessions(args), line=line)
    model_note = _load_model(args, options) if scenarios else ""
    try:
        for name, scenario in scenarios:
            for n in range(repeat):
                result = run_sip_scenario(scenario, account, name, options)
                results.append(result)
                label = f" [{n + 1}/{repeat}]" if repeat > 1 else ""
                status = "PASS" if result.passed else "FAIL"
                print(f"{status}  {tty(scenario.name)}{label}  ({tty(name)})")
                print(f"  mode: sip to {tty(account.uri)}{model_note}")
                for note in result.notes:
                    print(f"  note: {tty(note)}")
                if not args.quiet:
                    print(format_timeline(result.events))
                for failure in result.failures:
                    print(f"  FAILED: {tty(failure)}")
                if result.session_dir is not None and not args.quiet:
                    print(f"  session: {tty(result.session_dir)}")
                print()
    finally:
        stack.shutdown()
    seconds = time.perf_counter() - t0
    failed = sum(1 for r in results if not r.passed)
    print(
        f"{len(results) - failed} passed, {failed} failed"
        + (f", {len(errors)} could not be read" if errors else "")
        + f" in {seconds:.2f} s"
    )
    if args.junit:
        try:
            write_junit(results, errors, Path(args.junit), seconds)
        except OSError as exc:
            print(f"error: cannot write the JUnit file {tty(args.junit)} ({tty(exc)})")
            return 2
    if errors:
        return 2
    return 1 if failed else 0


def _load_model(args: argparse.Namespace, options: Any) -> str:
    """Load the speech model once for every scenario; without one, the agent's speech
    is timed by its audio and its words are not checked."""
    from console.speech.models import ModelError, load_model

    try:
        options.model = load_model(getattr(args, "model", None))
    except ModelError as exc:
        print(f"note: {exc}; the agent's words are not recognised", file=sys.stderr)
        return " (no speech model: agent speech timed, not recognised)"
    return f" ({options.model.label()})"
