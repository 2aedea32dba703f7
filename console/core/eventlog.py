"""Events on disk as JSON Lines, one line per event, in the operating system's hands at once.

Writing: each line goes to the file with one `os.write` on a descriptor opened for
appending, so a process killed with SIGKILL loses nothing that was logged. A write that
fails (a full disk, a folder that became read-only) cuts the file back to its last whole
line, so what was written stays readable, and raises `WriteFailed` with a sentence a
person can act on; the caller decides what the call does about it (it goes on). Every
string is redacted (see console.core.redact) on its way to the disk.

Reading: a file of any content is read without raising. Only a regular file of a sane
size is read (not a folder, a symbolic link, a FIFO or a device); each bad line is
reported by number (not JSON, nested too deeply, cut short by a kill), and each event
whose fields have the wrong types (`"t": "abc"`, a number for `text`, an infinite end)
is reported by name and left out, so nothing downstream meets a value it cannot use.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.core.events import Event, EventFormatError, event_from_dict
from console.core.files import MB, FileRefused, data_shape_problem, read_bytes_limited
from console.core.redact import redact_obj

MAX_LOG_BYTES = 512 * MB  # far beyond a day-long call (6 h is about 5 MB)
MAX_TIME_S = 10_000_000.0  # any time or duration in an event (about 115 days)
MAX_INT = 2**53


class WriteFailed(OSError):
    """A session file could not be written; `str(exc)` says why, in words."""

    def __init__(self, path: Path, exc: BaseException) -> None:
        self.path = Path(path)
        self.cause = exc
        self.disk_full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        super().__init__(getattr(exc, "errno", None), describe_write_error(self.path, exc))

    def __str__(self) -> str:
        return self.strerror or "write failed"


def describe_write_error(path: Path, exc: BaseException) -> str:
    """What went wrong writing `path`, as a person would say it."""
    code = getattr(exc, "errno", None)
    folder = path.parent
    if code in (errno.ENOSPC, errno.EDQUOT):
        return f"the sessions folder is full (no space left on the disk of {folder})"
    if code == errno.EFBIG:
        return f"{path.name} reached the largest file size allowed here"
    if code in (errno.EACCES, errno.EPERM):
        return f"no permission to write in {folder}"
    if code == errno.EROFS:
        return f"{folder} is on a read-only disk"
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"cannot write {path.name} in {folder} ({detail})"


def describe_os_error(exc: OSError) -> str:
    """Any OSError in words: a full disk or a read-only folder as such, else the
    system's reason and the file it concerns."""
    if isinstance(exc, WriteFailed):
        return str(exc)
    where = getattr(exc, "filename", None)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG) and where:
        return describe_write_error(Path(where), exc)
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{reason}: {where}" if where else reason


class JsonlWriter:
    """Append JSON objects to a file, one line each, each in the system's hands at once."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd: int | None = os.open(
                self.path,
                os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0),
                0o644,
            )
            self._good = os.fstat(self._fd).st_size  # the end of the last whole line
        except OSError as exc:
            raise WriteFailed(self.path, exc) from None

    def write(self, obj: dict[str, Any]) -> None:
        if self._fd is None:
            raise ValueError(f"{self.path} is closed")
        line = json.dumps(redact_obj(obj), ensure_ascii=False, default=str) + "\n"
        data = line.encode("utf-8", "surrogatepass")
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as exc:
            # Keep the file made of whole lines: cutting it back frees space, so it works
            # on a full disk too.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._good)
            raise WriteFailed(self.path, exc) from None
        self._good += len(data)

    def close(self) -> None:
        """Close the file; a failure to sync is reported, the descriptor is closed anyway."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.fsync(fd)
        except OSError as exc:
            raise WriteFailed(self.path, exc) from None
        finally:
            os.close(fd)


class EventLog(JsonlWriter):
    """The session's events.jsonl; usable as an event listener of the engine."""

    def __call__(self, event: Event) -> None:
        self.write(event.to_dict())


@dataclass
class JsonlReadResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    truncated_tail: bool = False
    unreadable: bool = False  # the file itself could not be read (see problems)


def read_jsonl(path: str | Path, limit: int = MAX_LOG_BYTES) -> JsonlReadResult:
    """Read every whole line; report (not raise on) broken ones, by line number."""
    result = JsonlReadResult()
    try:
        raw = read_bytes_limited(path, limit, follow_links=False)
    except FileNotFoundError:
        result.unreadable = True
        result.problems.append("the file is missing")
        return result
    except OSError as exc:
        result.unreadable = True
        reason = f"it {exc}" if isinstance(exc, FileRefused) else f"({exc})"
        result.problems.append(f"not read: {reason}")
        return result
    lines = raw.split(b"\n")
    complete_tail = raw.endswith(b"\n") or not raw
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        is_last = number == len(lines)
        try:
            obj = json.loads(line.decode("utf-8"))
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            shape = data_shape_problem(obj, max_depth=16, max_nodes=100_000)
            if shape:
                raise ValueError(f"it {shape}")
        except RecursionError:
            result.problems.append(f"line {number}: nested too deeply to be an event; ignored")
            continue
        except (UnicodeDecodeError, ValueError) as exc:
            if is_last and not complete_tail:
                result.truncated_tail = True
                result.problems.append(
                    f"line {number}: cut short (the process was probably killed while "
                    "writing it); ignored"
                )
            else:
                result.problems.append(f"line {number}: not a valid event ({exc}); ignored")
            continue
        result.records.append(obj)
    return result


def read_events(path: str | Path) -> tuple[list[Event], list[str]]:
    """Typed events and a list of problems a person can read."""
    result = read_jsonl(path)
    events, problems = [], list(result.problems)
    for obj in result.records:
        label = _label(obj)
        if not isinstance(obj.get("kind"), str):
            problems.append(f"{label}: its kind is not a name ({_show(obj.get('kind'))}); ignored")
            continue
        try:
            event = event_from_dict(obj)
        except EventFormatError as exc:
            problems.append(f"{label}: {exc}; ignored")
            continue
        except Exception as exc:  # a constructor meeting data it never expected
            problems.append(f"{label}: cannot be read ({type(exc).__name__}); ignored")
            continue
        problem = event_problem(event)
        if problem:
            problems.append(f"{label} ({event.kind}): {problem}; ignored")
            continue
        events.append(event)
    return events, problems


def _label(obj: dict[str, Any]) -> str:
    seq = obj.get("seq")
    return f"event {seq}" if isinstance(seq, int) and not isinstance(seq, bool) else "an event"


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def event_problem(event: Event) -> str:
    """ "" if every field of the event has the type its class declares (numbers finite
    and in range), else the first field that does not, in words."""
    hints = _hints(type(event))
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        problem = _type_problem(value, hints.get(f.name, Any))
        if problem:
            return f"field {f.name!r} {problem}"
    return ""


def _type_problem(value: Any, hint: Any) -> str:
    if hint is Any:
        return ""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return ""
        others = [a for a in args if a is not type(None)]
        return _type_problem(value, others[0]) if len(others) == 1 else ""
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a number (got {_show(value)})"
        if not math.isfinite(value) or abs(value) > MAX_TIME_S:
            return f"must be a finite number of seconds (got {_show(value)})"
        return ""
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number (got {_show(value)})"
        return "" if abs(value) <= MAX_INT else f"is out of range (got {_show(value)})"
    if hint is bool:
        return "" if isinstance(value, bool) else f"must be true or false (got {_show(value)})"
    if hint is str:
        return "" if isinstance(value, str) else f"must be text (got {_show(value)})"
    if origin is dict:
        if not isinstance(value, dict):
            return f"must be a mapping (got {_show(value)})"
        for k, v in value.items():
            problem = _type_problem(k, args[0]) or _type_problem(v, args[1])
            if problem:
                return f"has an entry that {problem}"
        return ""
    if origin is list:
        if not isinstance(value, list):
            return f"must be a list (got {_show(value)})"
        for item in value:
            problem = _type_problem(item, args[0])
            if problem:
                return f"has an item that {problem}"
        return ""
    return ""


def _show(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, float) else repr(value)
    kind = type(value).__name__
    kind = {"str": "text", "NoneType": "null", "dict": "mapping"}.get(kind, kind)
    return f"{kind} {text[:40]}" if len(text) <= 40 else f"{kind} {text[:37]}..."
