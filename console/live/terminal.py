"""`endcall-console call`: a live call in a terminal.

The timeline is printed as it happens; lines typed on stdin are the caller's words
(besides the microphone), `/hangup` hangs up, `/edit FIELD=VALUE` edits the config
mid-call (`/edit end_call.skip_goodbye=true`), and Ctrl+C hangs up cleanly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from console.core import events as ev
from console.core.config import CallConfig, ConfigError, ConfigStore, load_config
from console.live.call import LiveCall, LiveOptions
from console.live.ctrl_c import ride
from console.report.escape import terminal
from console.report.table import describe
from console.resources import asset

DEFAULT_CONFIG = asset("configs", "solar.yaml")
HELP = "type the caller's words; /hangup hangs up; /edit FIELD=VALUE edits; Ctrl+C hangs up"


def _print_event(event: ev.Event) -> None:
    row = describe(event)
    if row is not None:
        when, lane, text = row
        print(f"  {when:<13} {lane:<9} {text}", flush=True)


def _load(args: argparse.Namespace) -> CallConfig:
    if args.config:
        return load_config(args.config)
    return load_config(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else CallConfig()


def run_terminal_call(args: argparse.Namespace) -> int:
    from console.session.writer import default_sessions_dir

    try:
        store = ConfigStore(_load(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sessions = None if args.no_save else Path(args.sessions or default_sessions_dir())
    if sessions is not None:
        from console.session.writer import sessions_dir_problem

        why = sessions_dir_problem(sessions)
        if why:  # say so before the call, not after it was lost
            print(
                f"error: {terminal(why)}; choose another --sessions, or --no-save", file=sys.stderr
            )
            return 2
    options = LiveOptions(
        input_device=args.input,
        output_device=args.output,
        model_path=args.model,
        text_only=args.text,
        sessions_dir=sessions,
        name="terminal call",
    )
    tty = sys.stdout.isatty()

    def partial(text: str) -> None:
        if tty:
            print(f"\r  ... hearing: {text[-70:]:<70}", end="\r", flush=True)

    from console.agent.backends import make_agent, split_llm_url, with_llm

    backend, credentials = store.current.agent.backend, ("", "")
    if getattr(args, "llm", None):
        url, credentials = split_llm_url(args.llm)
        try:
            backend = with_llm(backend, url, args.llm_model)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    agent = make_agent(backend, credentials)
    call = LiveCall(store, options, agent=agent, listeners=[_print_event], on_partial=partial)
    try:
        print(f"Starting a call... ({HELP})", flush=True)
        ride(call, _read_stdin, started=lambda: print(f"Mode: {call.mode}", flush=True))
    finally:
        call.close()
        for problem in call.close_problems:
            print(f"warning: {terminal(problem)}", file=sys.stderr)
    if call.session_dir is not None:
        print(f"Session saved: {call.session_dir}")
    return 0


def _read_stdin(call: LiveCall) -> None:
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        if line == "/hangup":
            call.tester_hang_up()
        elif line.startswith("/edit "):
            field, _, value = line[len("/edit ") :].partition("=")
            try:
                parsed = yaml.safe_load(value) if value.strip() else ""
            except yaml.YAMLError:
                parsed = value
            # What became of it prints as the timeline's config row or refusal notice.
            call.edit({field.strip(): parsed})
        elif line.startswith("/"):
            print(f"  unknown command {line.split()[0]!r}; {HELP}", flush=True)
        else:
            call.say(line)
