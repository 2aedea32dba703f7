"""The command-line options of a SIP call, for `call` and `run` (kept light: the parser
is built on every start, so nothing heavy is imported here)."""

from __future__ import annotations

import argparse

PASSWORD_ENV = "ENDCALL_SIP_PASSWORD"


def add_sip_options(parser: argparse.ArgumentParser) -> None:
    """The SIP account options shared by `call` and `run`."""
    parser.add_argument(
        "--sip",
        metavar="URI",
        help="call a remote agent at this SIP URI (e.g. sip:agent@sip.example.com)",
    )
    parser.add_argument("--sip-user", default="", help="(--sip) our SIP user name")
    parser.add_argument(
        "--sip-registrar", default="", help="(--sip) register here first (sip:host[:port])"
    )
    parser.add_argument(
        "--sip-ask-password",
        action="store_true",
        help=f"(--sip) ask for the SIP password (else ${PASSWORD_ENV}); never saved",
    )
    parser.add_argument(
        "--codecs", default=None, help="(--sip) codecs to offer, in order (pcmu,pcma,opus)"
    )
    parser.add_argument(
        "--answer-timeout",
        type=float,
        default=8.0,
        help="(--sip) seconds for the endpoint to answer the INVITE at all (8)",
    )
