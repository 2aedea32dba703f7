"""A call on disk, written as it happens: one folder per call.

    <sessions>/20261124-101500-no-to-ready/
        session.json          metadata (app version, OS, mode, backend; never a secret)
        config_versions.jsonl one line per config version in force during the call
        events.jsonl          the timeline, one flushed line per event

Everything is appended and flushed as the call runs, so a killed process leaves a folder
that still opens; `session.json` is rewritten atomically when the call ends.

The call never depends on the disk: once the session is created, a write that fails (a
full disk, a folder made read-only) never raises into the call. The writer stops writing
the timeline, keeps the files as they were (whole lines), tells `on_error` once in words
("the sessions folder is full (...): the timeline is saved up to 12.4 s; the call goes
on"), and at the end still marks the session complete, using a small reserve of space
it set aside when the session started. Every string is redacted on its way to disk.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from console import __version__
from console.core import events as ev
from console.core.config import CallConfig, ConfigStore
from console.core.eventlog import EventLog, JsonlWriter, WriteFailed
from console.session.layout import (
    CONFIGS_FILE,
    EVENTS_FILE,
    RESERVE_FILE,
    write_meta,
)
from console.session.reader import Session
from console.session.store import index_saved_session

RESERVE_BYTES = 32 * 1024


def default_sessions_dir() -> Path:
    from platformdirs import user_data_dir

    env = os.environ.get("ENDCALL_SESSIONS_DIR")
    return Path(env) if env else Path(user_data_dir("endcall-console")) / "sessions"


def safe_slug(name: str, limit: int = 48) -> str:
    """A folder-name fragment that cannot escape its parent or confuse a file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:limit].strip("-") or "call"


def sessions_dir_problem(root: Path) -> str:
    """Why no session can be created in `root` ("" if one can): tried for real, with a
    folder made and removed, so a read-only or full folder is found before a call."""
    import tempfile

    from console.core.eventlog import describe_write_error

    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".probe-", dir=root):
            pass
    except OSError as exc:
        return describe_write_error(root / "x", exc)
    return ""


def new_session_dir(root: Path, name: str) -> Path:
    """A new, empty folder for one call; WriteFailed (an OSError) says why there is none."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{safe_slug(name)}"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(root / base, exc) from None
    for n in range(1000):
        candidate = root / (base if n == 0 else f"{base}-{n + 1}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
        except OSError as exc:
            raise WriteFailed(candidate, exc) from None
    raise WriteFailed(root / base, FileExistsError(f"1000 sessions named {base} already"))


def _imported_from(config: CallConfig) -> dict[str, str]:
    """Which platform's agent was tested, and from which file: a session of an imported
    agent says so in its facts (the report's "Platform" and "Imported from" rows)."""
    record = config.platform
    if record is None:
        return {}
    return {"platform": record.name, "imported_from": record.source_file}


class SessionWriter:
    """Listens to the engine and keeps the session folder up to date.

    Creating it raises WriteFailed if the session cannot be started on disk at all;
    after that nothing it does raises: a write failure goes to `on_error` (once) and to
    `failure`, and the call goes on without its files.
    """

    def __init__(
        self,
        folder: Path,
        store: ConfigStore,
        meta: dict[str, Any] | None = None,
        on_error: Callable[[str], None] | None = None,
    ):
        self.folder = folder
        self.store = store
        self.on_error = on_error
        self.failure = ""  # the first write failure, in words ("" while all is on disk)
        self.unsaved = 0  # events that reached the writer after it stopped writing
        self.last_t = 0.0  # session time of the last event written
        self.meta: dict[str, Any] = {
            "app": "endcall-console",
            "app_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "os": f"{platform.system()} {platform.release()}",
            "python": sys.version.split()[0],
            "status": "recording",
            "pid": os.getpid(),  # lets a later start tell a crashed call from a live one
            **_imported_from(store.current),
            **(meta or {}),
        }
        self._reserve()
        self._events = EventLog(folder / EVENTS_FILE)
        self._configs = JsonlWriter(folder / CONFIGS_FILE)
        self._written_versions: set[int] = set()
        self._key_events: dict[type, ev.Event] = {}  # what the session index needs
        self._write_meta()
        self._write_config(store.version, 0.0)

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, _KEY_EVENTS) and type(event) not in self._key_events:
            self._key_events[type(event)] = event
        if isinstance(event, ev.CallStarted):
            self.meta.update(
                agent_backend=event.agent_backend,
                mode=event.mode,
                devices=event.devices,
                models=event.models,
            )
        elif isinstance(event, ev.LineDropped):
            self.meta.update(drop_reason=event.reason, duration_s=round(event.t, 3))
        if self.failure:
            self.unsaved += 1
            return
        try:
            self._events(event)
            if isinstance(event, ev.ConfigChanged):
                self._write_config(event.version, event.t)
            elif isinstance(event, ev.CallStarted):
                self._write_meta()
        except (OSError, ValueError) as exc:
            self.unsaved += 1
            self._fail(exc)
            return
        self.last_t = max(self.last_t, event.t)

    def _fail(self, exc: BaseException) -> None:
        reason = str(exc) if isinstance(exc, WriteFailed) else f"cannot write the session ({exc})"
        self.failure = (
            f"{reason}: the timeline is saved up to {self.last_t:.1f} s; the call goes on"
        )
        report = self.on_error or _to_stderr
        with contextlib.suppress(Exception):  # a broken listener must not break the call
            report(self.failure)

    def _write_config(self, version: int, t: float) -> None:
        if version in self._written_versions:
            return
        self._written_versions.add(version)
        config = dict(self.store.history).get(version, self.store.current)
        self._configs.write({"version": version, "t": t, "config": config.model_dump(mode="json")})

    def _write_meta(self) -> None:
        write_meta(self.folder, self.meta)

    def _reserve(self) -> None:
        """Set aside a little space, freed for the last session.json if the disk fills."""
        try:
            with open(self.folder / RESERVE_FILE, "wb") as fh:
                fh.write(b"\0" * RESERVE_BYTES)
        except OSError as exc:
            with contextlib.suppress(OSError):
                (self.folder / RESERVE_FILE).unlink()
            raise WriteFailed(self.folder / RESERVE_FILE, exc) from None

    def close(self, **extra: Any) -> list[str]:
        """Mark the session complete and close its files. Never raises; returns what could
        not be done, in words (empty when everything is on disk)."""
        problems: list[str] = [self.failure] if self.failure else []
        self.meta.update(status="complete", **extra)
        if self.failure:
            self.meta.update(write_failure=self.failure, events_not_saved=self.unsaved)
        for log in (self._events, self._configs):
            try:
                log.close()
            except OSError as exc:
                problems.append(str(exc))
        with contextlib.suppress(OSError):
            (self.folder / RESERVE_FILE).unlink()
        try:
            self._write_meta()
        except OSError as exc:
            problems.append(
                f"{exc}: the session stays marked as recording; "
                "`endcall-console sessions recover` repairs it later"
            )
        self._index()
        return problems

    def _index(self) -> None:
        """Hand the session index what was written (console/session/store.py), so the
        browser lists this call without reading its folder back. Never raises."""
        version = max(self._written_versions, default=self.store.version)
        config = dict(self.store.history).get(version, self.store.current)
        events = sorted(self._key_events.values(), key=lambda e: e.seq)
        index_saved_session(
            Session(self.folder, meta=dict(self.meta), configs=[(version, 0.0, config)],
                    events=events)
        )  # fmt: skip


# The events a session's row in the index is made of (verdict, outcome, goodbye, backend).
_KEY_EVENTS = (ev.CallStarted, ev.ActionInvoked, ev.Goodbye, ev.GoodbyeAudibility, ev.LineDropped)


def _to_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)
