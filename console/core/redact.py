"""One redaction step for every string on its way out of the console.

Bug reports made with the console are shared with other people, so nothing that leaves
it (an event on disk, a session file, an export, the terminal, the saved settings) may
carry a secret. Secrets get there by accident: an endpoint's error text that quotes the
request's `Authorization` header, a base URL with `user:password@` in it. Every sink
passes its text through `redact`, which replaces

- every registered secret (the API key typed into the dialog, a URL's user name and
  password once split out of it) and the API keys in the environment variables the
  console reads (`ENDCALL_LLM_API_KEY`, `OPENAI_API_KEY`),
- the user-info part of any URL (`http://user:pass@host` -> `http://***@host`),
- the token after `Bearer` or `Basic` (an echoed `Authorization` header),

with `***`. Registering a secret keeps it in this process's memory only.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

MASK = "***"
KEY_ENV = ("ENDCALL_LLM_API_KEY", "OPENAI_API_KEY")
MIN_SECRET_LEN = 4  # shorter values would mask ordinary words; they are not registered
# Values that are placeholders, not secrets: masking them would only blur the reports.
_NOT_SECRETS = {"not-needed", "none", "null", "dummy", "test"}

_lock = threading.Lock()
_secrets: set[str] = set()
_generation = 0  # bumped at every change of _secrets: the cache below is keyed on it

# scheme://user[:password]@host : the user-info is everything before the last '@' of the
# authority (no '/', '?', '#' or whitespace in it).
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#@\s\"'<>]+)@")
# user:password@host without a scheme (a URL quoted in part): the password goes.
_BARE_USERINFO = re.compile(
    r"(?<![\w/:])(?!(?i:sips?|tel):)([\w.%+-]+):([^\s/?#@\"'<>:]+)@(?=[\w.-])"
)
# A SIP URI names a user, which is not a secret (sip:agent@host stays as it is); a
# password in one (sip:user:password@host) is.
_SIP_PASSWORD = re.compile(r"(?i)\b(sips?:[^\s:@/]+):([^\s@/]+)@")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20|\+)([A-Za-z0-9._~+/=-]{8,})")
# An echoed header: whatever follows `Authorization:` (Basic, Bearer or a bare token).
_AUTH_HEADER = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:basic\s+|bearer\s+|token\s+)?)([^\s\"',;}]{4,})"
)
# What the two token patterns start from, matched the way they match it (one scan).
_TOKEN_WORDS = re.compile(r"(?i)bearer|authorization")
_cache: tuple[tuple, list[str]] = ((-1,), [])


def register_secret(value: str | None) -> None:
    """Never let `value` out of the console again (in this process)."""
    if not value or not isinstance(value, str):
        return
    value = value.strip()
    if len(value) < MIN_SECRET_LEN or value.lower() in _NOT_SECRETS:
        return
    global _generation
    with _lock:
        if value not in _secrets:
            _secrets.add(value)
            _generation += 1


def forget_secrets() -> None:
    """Drop every registered secret (tests; a new key typed in the dialog)."""
    global _generation
    with _lock:
        _secrets.clear()
        _generation += 1


def _current_secrets() -> list[str]:
    """Every secret, in the forms it can take in text, longest first. Rebuilt only when a
    secret was registered or forgotten or a key variable changed: every event of every
    call passes here."""
    global _cache
    key = (_generation, *(os.environ.get(name, "") for name in KEY_ENV))
    if key == _cache[0]:
        return _cache[1]
    with _lock:
        found = set(_secrets)
    for value in key[1:]:
        value = value.strip()
        if len(value) >= MIN_SECRET_LEN and value.lower() not in _NOT_SECRETS:
            found.add(value)
    variants = set()
    for s in found:
        variants.add(s)
        variants.add(quote(s, safe=""))  # as it appears inside a URL
        variants.add(s.encode("unicode_escape").decode("ascii"))  # inside JSON/repr
    # Longest first, so a secret that contains another is masked whole.
    ordered = sorted((v for v in variants if v), key=len, reverse=True)
    _cache = (key, ordered)
    return ordered


def redact(text: str) -> str:
    """`text` with every secret replaced by `***`."""
    if not isinstance(text, str) or not text:
        return text
    for secret in _current_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    # Each pattern below needs an '@', or one of two words: most text has neither, and
    # is spared five scans.
    if "@" in text:
        text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
        text = _SIP_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
        text = _BARE_USERINFO.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    if _TOKEN_WORDS.search(text):
        text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        text = _AUTH_HEADER.sub(_mask_header, text)
    return text


def _mask_header(m: re.Match[str]) -> str:
    if m.group(2).lower() in ("basic", "bearer", "token"):  # the scheme; its token is masked
        return m.group(0)
    return f"{m.group(1)}{MASK}"


def redact_obj(obj: Any, _depth: int = 0) -> Any:
    """Every string inside plain data (dicts, lists, tuples) redacted; keys too."""
    if isinstance(obj, str):
        return redact(obj)
    if _depth > 64:  # plain data the console writes is never this deep
        return obj
    if isinstance(obj, dict):
        return {
            (redact(k) if isinstance(k, str) else k): redact_obj(v, _depth + 1)
            for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return type(obj)(redact_obj(v, _depth + 1) for v in obj)
    return obj


def redact_event(event: Any) -> Any:
    """A frozen event dataclass with every text field (and text inside its mappings and
    lists) redacted; the same object when nothing changes. For the one place every
    event passes before any listener sees it (the engine's emit)."""
    import dataclasses

    changes = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, (str, dict, list, tuple)):
            clean = redact_obj(value)
            if clean != value:
                changes[f.name] = clean
    return dataclasses.replace(event, **changes) if changes else event


def split_url_credentials(url: str) -> tuple[str, str, str]:
    """(the URL without user-info, user, password); user and password decoded.

    The two are registered as secrets, so whatever copy of them still travels (the URL
    a library was given, an error text quoting it) is masked on the way out.
    """
    try:
        parts = urlsplit(url)
        user, password = parts.username or "", parts.password or ""
    except ValueError:
        return url, "", ""
    if "@" not in parts.netloc:
        return url, "", ""
    host = parts.netloc.rsplit("@", 1)[1]
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    user, password = unquote(user), unquote(password)
    register_secret(user)
    register_secret(password)
    return clean, user, password


def join_url_credentials(url: str, user: str, password: str) -> str:
    """The URL with user-info put back, for the one place that opens the connection."""
    if not user and not password:
        return url
    parts = urlsplit(url)
    userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(
        (parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, parts.fragment)
    )
