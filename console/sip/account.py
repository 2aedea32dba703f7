"""What to dial and as whom: a SIP URI, and optionally a registrar, user and password.

The password is kept like the LLM API key: in memory for this process only, registered
with the redaction step so no echo of it ever reaches a session, a report or the
terminal, and left out of everything `describe()` returns. A password written into the
URI (`sip:user:secret@host`) is split out of it the same way.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field

from console.core.redact import register_secret
from console.sip.options import PASSWORD_ENV

TRANSPORTS = ("udp", "tcp", "tls")
# Codec names a tester types, and the stack's names for them. G.711 is what every SIP
# platform takes; Opus is offered where the far end has it (LiveKit, most WebRTC gateways).
CODECS = {
    "pcmu": "pcmu",
    "ulaw": "pcmu",
    "g711u": "pcmu",
    "pcma": "pcma",
    "alaw": "pcma",
    "g711a": "pcma",
    "opus": "opus/48000/2",
    "g722": "g722/16000/1",
}
DEFAULT_CODECS = ("pcmu", "pcma", "opus")
DTMF_MODES = ("rtpevent", "info", "auto")


class SipInputError(ValueError):
    """A URI or setting that cannot be dialled; the message says what to type instead."""


@dataclass(frozen=True)
class SipTarget:
    """A parsed SIP URI, without any password."""

    uri: str  # what goes in the INVITE's request line
    user: str
    host: str
    port: int | None
    transport: str

    @property
    def loopback(self) -> bool:
        """Whether the target is this machine (the stack must then bind to 127.0.0.1)."""
        host = self.host.strip("[]")
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


_URI = re.compile(
    r"^(?P<scheme>sips?):"
    r"(?:(?P<user>[^:@;?<>\s\"]+)(?::(?P<password>[^@;?<>\s\"]*))?@)?"
    r"(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<params>(?:;[^;?<>\s\"]+)*)$"
)


def parse_sip_uri(text: str) -> tuple[SipTarget, str]:
    """(target, password found in the URI or ""), or SipInputError saying what is wrong.

    Accepts `sip:user@host[:port][;transport=tcp]`, `sips:...`, and the same without the
    scheme (`agent@sip.example.com`)."""
    raw = (text or "").strip()
    if raw.startswith("<") and raw.endswith(">"):
        raw = raw[1:-1].strip()
    if not raw:
        raise SipInputError("no SIP URI given: type one like sip:agent@sip.example.com")
    if any(ord(c) < 0x20 for c in raw) or " " in raw:
        raise SipInputError(f"a SIP URI has no spaces or control characters: {raw!r}")
    if not raw.lower().startswith(("sip:", "sips:")):
        if "://" in raw or raw.lower().startswith(("http:", "https:", "tel:")):
            scheme = raw.split(":", 1)[0]
            raise SipInputError(
                f"{raw!r} is a {scheme}: address, not a SIP URI: the platform's SIP endpoint "
                "looks like sip:agent@sip.example.com"
            )
        raw = "sip:" + raw
    m = _URI.match(raw)
    if m is None:
        raise SipInputError(
            f"{raw!r} is not a SIP URI this console can dial: use sip:USER@HOST[:PORT]"
            "[;transport=udp|tcp|tls]"
        )
    scheme = m["scheme"].lower()
    port = int(m["port"]) if m["port"] else None
    if port is not None and not 1 <= port <= 65535:
        raise SipInputError(f"port {port} in {raw!r} is not a port (1 to 65535)")
    transport = "tls" if scheme == "sips" else "udp"
    params = [p for p in (m["params"] or "").split(";") if p]
    for param in params:
        key, _, value = param.partition("=")
        if key.lower() == "transport":
            transport = value.lower()
            if transport not in TRANSPORTS:
                raise SipInputError(
                    f"transport={value} in {raw!r}: this console dials over udp, tcp or tls"
                )
    user = m["user"] or ""
    password = m["password"] or ""
    hostport = m["host"] + (f":{port}" if port else "")
    clean = f"{scheme}:{user + '@' if user else ''}{hostport}{m['params'] or ''}"
    return SipTarget(clean, user, m["host"], port, transport), password


def codec_specs(names: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """The stack's codec list for names like "pcmu,opus"; SipInputError for an unknown one."""
    if names is None:
        names = DEFAULT_CODECS
    if isinstance(names, str):
        names = [n for n in re.split(r"[,\s]+", names) if n]
    specs: list[str] = []
    for name in names:
        spec = CODECS.get(name.strip().lower())
        if spec is None:
            raise SipInputError(
                f"unknown codec {name!r}: choose from pcmu (G.711 u-law), pcma (G.711 A-law), "
                "opus, g722"
            )
        if spec not in specs:
            specs.append(spec)
    if not specs:
        raise SipInputError("no codec given: e.g. pcmu,pcma,opus")
    return tuple(specs)


@dataclass(repr=False)
class SipAccount:
    """Where to call and as whom. Build with `SipAccount.from_input`, which checks it."""

    target: SipTarget
    user: str = "endcall"  # our user part (and the digest user unless auth_user is set)
    domain: str = ""  # our domain (the registrar's), "" = the target's host
    password: str = field(default="", repr=False)  # memory only, never saved or shown
    registrar: str = ""  # register here before dialling ("" = no registration)
    auth_user: str = ""
    codecs: tuple[str, ...] = field(default_factory=lambda: codec_specs(None))
    dtmf_mode: str = "rtpevent"

    @classmethod
    def from_input(
        cls,
        uri: str,
        *,
        user: str = "",
        password: str | None = None,
        registrar: str = "",
        auth_user: str = "",
        codecs: str | tuple[str, ...] | None = None,
        dtmf_mode: str = "rtpevent",
    ) -> SipAccount:
        """Check everything a tester typed; SipInputError says what to fix.

        The password comes from the argument, else the URI, else $ENDCALL_SIP_PASSWORD.
        Whichever it is, it is registered as a secret at once."""
        target, uri_password = parse_sip_uri(uri)
        secret = password if password else uri_password or os.environ.get(PASSWORD_ENV, "")
        register_secret(secret)
        if dtmf_mode not in DTMF_MODES:
            raise SipInputError(f"DTMF mode {dtmf_mode!r}: choose rtpevent, info or auto")
        user = (user or "").strip() or "endcall"
        if not re.fullmatch(r"[A-Za-z0-9._~+!$&'()*,=-]+", user):
            raise SipInputError(f"SIP user {user!r}: letters, digits and . _ ~ + - only")
        domain = ""
        if registrar:
            reg_target, _ = parse_sip_uri(registrar)
            registrar = reg_target.uri
            domain = reg_target.host + (f":{reg_target.port}" if reg_target.port else "")
        return cls(
            target=target,
            user=user,
            domain=domain,
            password=secret,
            registrar=registrar,
            auth_user=(auth_user or "").strip(),
            codecs=codec_specs(codecs),
            dtmf_mode=dtmf_mode,
        )

    @property
    def uri(self) -> str:
        return self.target.uri

    def describe(self) -> dict[str, str]:
        """What a session records about the line: never the password itself."""
        out = {
            "sip_uri": self.target.uri,
            # The URI's parts on their own too: the user part is the agent's address
            # (an extension, a number), needed to call it again.
            "sip_agent": self.target.user,
            "sip_host": self.target.host + (f":{self.target.port}" if self.target.port else ""),
            "sip_transport": self.target.transport,
            "sip_user": self.user,
            "sip_codecs": ",".join(self.codecs),
            "sip_password": "set (not saved)" if self.password else "none",
        }
        if self.registrar:
            out["sip_registrar"] = self.registrar
        return out

    def __repr__(self) -> str:
        return (
            f"SipAccount(uri={self.target.uri!r}, user={self.user!r}, "
            f"registrar={self.registrar!r}, password={'***' if self.password else ''!r})"
        )
