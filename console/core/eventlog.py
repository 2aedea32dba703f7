"""Events on disk as JSON Lines, one flushed line per event.

Flushing after every line puts each event in the operating system's hands at once, so a
process killed with SIGKILL loses nothing that was logged. Reading tolerates the one
thing a kill can leave behind: a last line cut in half.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from console.core.events import Event, EventFormatError, event_from_dict


class JsonlWriter:
    """Append JSON objects to a file, one line each, flushed as they are written."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, obj: dict[str, Any]) -> None:
        if self._fh is None:
            raise ValueError(f"{self.path} is closed")
        self._fh.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None


class EventLog(JsonlWriter):
    """The session's events.jsonl; usable as an event listener of the engine."""

    def __call__(self, event: Event) -> None:
        self.write(event.to_dict())


@dataclass
class JsonlReadResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    truncated_tail: bool = False


def read_jsonl(path: str | Path) -> JsonlReadResult:
    """Read every whole line; report (not raise on) broken ones, by line number."""
    result = JsonlReadResult()
    raw = Path(path).read_bytes()
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
        try:
            events.append(event_from_dict(obj))
        except EventFormatError as exc:
            problems.append(f"event {obj.get('seq', '?')}: {exc}; ignored")
    return events, problems
