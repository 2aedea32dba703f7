"""SIP messages as the wire saw them, read from the stack's message trace.

baresip logs every SIP message it sends or receives (under `baresip.native.sip`, when the
runtime's `sip_trace` is on): a first line `TX UDP 127.0.0.1:5062 -> 127.0.0.1:5060`,
then the message. This module turns those records into `SipMessage`s (request or
status line, the method a response answers, the Call-ID) and hands them to whoever
listens: the one call this process is making. Only the first line and three headers
are read; bodies and other headers (which may carry credentials) are never kept.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

LOGGER = "baresip.native.sip"
NATIVE_LOGGER = "baresip.native"  # the stack's own lines, e.g. which codec it set
_CODEC = re.compile(r"Set audio (decoder|encoder):\s*(.+)$")
_HEAD = re.compile(r"^(TX|RX)\s+(\w+)\s+(\S+)\s+->\s+(\S+)\s*$")
_STATUS = re.compile(r"^SIP/2\.0\s+(\d{3})\s*(.*)$")
_REQUEST = re.compile(r"^([A-Z]+)\s+(\S+)\s+SIP/2\.0$")


@dataclass(frozen=True)
class SipMessage:
    direction: str  # "sent" or "received"
    transport: str
    source: str
    destination: str
    method: str  # the request's method, or the method a response answers (from CSeq)
    status: int | None  # a response's status code, None for a request
    reason: str  # a response's reason phrase
    request_uri: str
    call_id: str

    @property
    def is_response(self) -> bool:
        return self.status is not None

    @property
    def label(self) -> str:
        """ "INVITE", "180 Ringing", "200 OK (INVITE)"."""
        if self.status is None:
            return self.method
        text = f"{self.status} {self.reason}".strip()
        return f"{text} ({self.method})" if self.method and self.method != "INVITE" else text


def parse_record(text: str) -> SipMessage | None:
    """One trace record as a message, or None if it is not one (a format change)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if len(lines) < 2:
        return None
    head = _HEAD.match(lines[0].strip())
    if head is None:
        return None
    direction = "sent" if head[1] == "TX" else "received"
    start = lines[1].strip()
    headers: dict[str, str] = {}
    for line in lines[2:]:
        if not line.strip():
            break
        name, _, value = line.partition(":")
        key = name.strip().lower()
        if key in ("call-id", "i", "cseq"):
            headers["call-id" if key == "i" else key] = value.strip()
    cseq_method = headers.get("cseq", "").split()[-1:] or [""]
    status = _STATUS.match(start)
    if status is not None:
        return SipMessage(
            direction,
            head[2],
            head[3],
            head[4],
            cseq_method[0],
            int(status[1]),
            status[2].strip(),
            "",
            headers.get("call-id", ""),
        )
    request = _REQUEST.match(start)
    if request is None:
        return None
    return SipMessage(
        direction,
        head[2],
        head[3],
        head[4],
        request[1],
        None,
        "",
        request[2],
        headers.get("call-id", ""),
    )


def codec_of(line: str) -> tuple[str, str] | None:
    """("received" or "sent", "PCMU 8000Hz 1ch") from the stack's codec line, or None."""
    m = _CODEC.search(line.strip())
    if m is None:
        return None
    return ("received" if m[1] == "decoder" else "sent", m[2].strip())


class _CodecHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.sink: Callable[[str, str], None] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        sink = self.sink
        if sink is None or record.name != NATIVE_LOGGER:
            return
        try:
            found = codec_of(record.getMessage())
            if found is not None:
                sink(*found)
        except Exception:
            logging.getLogger("console.sip").exception("codec listener failed")


class _TraceHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sink: Callable[[SipMessage], None] | None = None
        self.unparsed = 0

    def emit(self, record: logging.LogRecord) -> None:
        sink = self.sink
        if sink is None:
            return
        try:
            message = parse_record(record.getMessage())
        except Exception:
            message = None
        if message is None:
            self.unparsed += 1
            return
        try:
            sink(message)
        except Exception:  # a listener's fault never reaches the stack's log thread
            logging.getLogger("console.sip").exception("SIP trace listener failed")


_handler: _TraceHandler | None = None
_codecs: _CodecHandler | None = None
_lock = threading.Lock()


def listen(
    sink: Callable[[SipMessage], None] | None,
    codec_sink: Callable[[str, str], None] | None = None,
) -> None:
    """Send every traced SIP message to `sink`, and each codec the stack sets (direction,
    "PCMU 8000Hz 1ch") to `codec_sink` (None: stop)."""
    global _handler, _codecs
    with _lock:
        if _handler is None:
            _handler = _TraceHandler()
            logger = logging.getLogger(LOGGER)
            logger.setLevel(logging.DEBUG)
            logger.addHandler(_handler)
            _codecs = _CodecHandler()
            native = logging.getLogger(NATIVE_LOGGER)
            native.setLevel(logging.INFO)
            native.addHandler(_codecs)
        assert _codecs is not None
        _handler.sink = sink
        _codecs.sink = codec_sink
