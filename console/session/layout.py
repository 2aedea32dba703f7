"""The names of a session folder's files, and the one file rewritten whole.

Shared by the writer (console/session/writer.py), the reader and the index, which
otherwise would import each other for a few names.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from console.core.eventlog import WriteFailed
from console.core.redact import redact_obj

EVENTS_FILE = "events.jsonl"
CONFIGS_FILE = "config_versions.jsonl"
META_FILE = "session.json"
RECORDING_FILE = "recording.wav"
RESERVE_FILE = ".space-reserve"  # room kept for the last session.json on a full disk


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """session.json, redacted and replaced atomically. WriteFailed if it cannot be: the
    old one, if any, is left as it was, and no half-written temporary file stays."""
    path = folder / META_FILE
    tmp = folder / (META_FILE + ".tmp")
    text = json.dumps(redact_obj(meta), indent=2, ensure_ascii=False, default=str) + "\n"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise WriteFailed(path, exc) from None
