"""A call on disk, written as it happens: one folder per call.

    <sessions>/20261124-101500-no-to-ready/
        session.json          metadata (app version, OS, mode, backend; never a secret)
        config_versions.jsonl one line per config version in force during the call
        events.jsonl          the timeline, one flushed line per event

Everything is appended and flushed as the call runs, so a killed process leaves a folder
that still opens; `session.json` is rewritten atomically when the call ends.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from console import __version__
from console.core import events as ev
from console.core.config import ConfigStore
from console.core.eventlog import EventLog, JsonlWriter

EVENTS_FILE = "events.jsonl"
CONFIGS_FILE = "config_versions.jsonl"
META_FILE = "session.json"
RECORDING_FILE = "recording.wav"


def default_sessions_dir() -> Path:
    from platformdirs import user_data_dir

    env = os.environ.get("ENDCALL_SESSIONS_DIR")
    return Path(env) if env else Path(user_data_dir("endcall-console")) / "sessions"


def safe_slug(name: str, limit: int = 48) -> str:
    """A folder-name fragment that cannot escape its parent or confuse a file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:limit].strip("-") or "call"


def new_session_dir(root: Path, name: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{safe_slug(name)}"
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        candidate = root / (base if n == 0 else f"{base}-{n + 1}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a session folder in {root}")


class SessionWriter:
    """Listens to the engine and keeps the session folder up to date."""

    def __init__(self, folder: Path, store: ConfigStore, meta: dict[str, Any] | None = None):
        self.folder = folder
        self.store = store
        self.meta: dict[str, Any] = {
            "app": "endcall-console",
            "app_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "os": f"{platform.system()} {platform.release()}",
            "python": sys.version.split()[0],
            "status": "recording",
            "pid": os.getpid(),  # lets a later start tell a crashed call from a live one
            **(meta or {}),
        }
        self._events = EventLog(folder / EVENTS_FILE)
        self._configs = JsonlWriter(folder / CONFIGS_FILE)
        self._written_versions: set[int] = set()
        self._write_meta()
        self._write_config(store.version, 0.0)

    def __call__(self, event: ev.Event) -> None:
        self._events(event)
        if isinstance(event, ev.ConfigChanged):
            self._write_config(event.version, event.t)
        elif isinstance(event, ev.CallStarted):
            self.meta.update(
                agent_backend=event.agent_backend,
                mode=event.mode,
                devices=event.devices,
                models=event.models,
            )
            self._write_meta()
        elif isinstance(event, ev.LineDropped):
            self.meta.update(drop_reason=event.reason, duration_s=round(event.t, 3))

    def _write_config(self, version: int, t: float) -> None:
        if version in self._written_versions:
            return
        self._written_versions.add(version)
        config = dict(self.store.history).get(version, self.store.current)
        self._configs.write({"version": version, "t": t, "config": config.model_dump(mode="json")})

    def _write_meta(self) -> None:
        tmp = self.folder / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(self.meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
        tmp.replace(self.folder / META_FILE)

    def close(self, **extra: Any) -> None:
        self.meta.update(status="complete", **extra)
        self._write_meta()
        self._events.close()
        self._configs.close()
