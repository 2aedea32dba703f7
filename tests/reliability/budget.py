"""How hard the reliability tests push: a short budget in the default run (and CI), the
full one with ENDCALL_RELIABILITY=full (see RELIABILITY.md for the commands)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

FULL = os.environ.get("ENDCALL_RELIABILITY", "").lower() == "full"


def budget(short: int, full: int) -> int:
    return full if FULL else short


def open_fds() -> int | None:
    """File descriptors this process holds (Linux), or None where that cannot be read."""
    fd_dir = Path("/proc/self/fd")
    return len(list(fd_dir.iterdir())) if fd_dir.is_dir() else None


def our_threads() -> list[str]:
    """Threads the console starts (named), still alive."""
    ours = {"llm", "vosk", "tts", "audio-pump", "call-engine", "injector"}
    return [t.name for t in threading.enumerate() if t.name in ours]
