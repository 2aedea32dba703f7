"""What the terminal commands share: text made safe to print, the sessions folder
checked before a run, and the agent that `--llm URL` asks for.

Its own module so the commands that live beside their features (console/scenario/
suite_command.py, console/sip/commands.py) use them without importing console/cli.py,
which imports those commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def with_cli_backend(config, args: argparse.Namespace):
    """--llm URL [--llm-model NAME] puts a model behind every scenario of the run."""
    if not getattr(args, "llm", None):
        return config
    from console.agent.backends import split_llm_url, with_llm

    url, _credentials = split_llm_url(args.llm)
    backend = with_llm(config.agent.backend, url, args.llm_model)
    return config.model_copy(update={"agent": config.agent.model_copy(update={"backend": backend})})


def cli_agent(config, args: argparse.Namespace):
    """The agent for one scenario: the config's backend, with --llm URL's user-info (kept
    out of the config) for the connection."""
    from console.agent.backends import make_agent, split_llm_url

    credentials = split_llm_url(args.llm)[1] if getattr(args, "llm", None) else ("", "")
    return make_agent(config.agent.backend, credentials)


def tty(value: object) -> str:
    """Text someone else chose, made safe to print: no escape sequence acts, no secret."""
    from console.report.escape import terminal

    return terminal(value)


def usable_sessions_dir(sessions: Path | None) -> Path | None:
    """The sessions folder if a session can be created in it, else None with a warning
    (scenarios still run; they are not saved)."""
    if sessions is None:
        return None
    from console.session.writer import sessions_dir_problem

    why = sessions_dir_problem(sessions)
    if why:
        print(f"warning: sessions are not saved: {tty(why)}", file=sys.stderr)
        return None
    return sessions


def tty_lines(text: str) -> str:
    """Many lines of text made safe to print, line by line."""
    return "\n".join(tty(line) for line in text.split("\n"))
