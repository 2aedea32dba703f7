"""Open a session folder, whatever state it is in, and say plainly what is wrong with it.

A session may be complete, still recording (another process), left behind by a crash
(its process is gone: the WAV header lags and the last event line may be cut), or
damaged (files missing, not JSON, a WAV that is not one). Opening never raises for any of
these: it returns what could be read and a list of problems a person can act on.
Recovering a crashed session repairs it in place, keeping everything recorded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.core import events as ev
from console.core.config import CallConfig, ConfigError, parse_config
from console.core.eventlog import read_events, read_jsonl
from console.session.writer import CONFIGS_FILE, EVENTS_FILE, META_FILE, RECORDING_FILE


@dataclass
class Session:
    folder: Path
    meta: dict[str, Any] = field(default_factory=dict)
    configs: list[tuple[int, float, CallConfig]] = field(default_factory=list)
    events: list[ev.Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def recording(self) -> Path | None:
        path = self.folder / RECORDING_FILE
        return path if path.exists() else None

    @property
    def status(self) -> str:
        """complete, recording (still running), crashed, or damaged."""
        if not self.meta:
            return "damaged"
        status = self.meta.get("status", "")
        if status == "recording":
            return "recording" if _alive(self.meta.get("pid")) else "crashed"
        return str(status or "damaged")

    def first(self, cls: type) -> Any:
        return next((e for e in self.events if isinstance(e, cls)), None)

    @property
    def duration(self) -> float:
        return max((getattr(e, "end", e.t) for e in self.events), default=0.0)

    def config_at(self, version: int) -> CallConfig | None:
        return next((c for v, _, c in self.configs if v == version), None)


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def open_session(folder: str | Path) -> Session:
    folder = Path(folder)
    s = Session(folder)
    if not folder.is_dir():
        s.problems.append(f"{folder} is not a session folder (it does not exist)")
        return s
    meta_path = folder / META_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
        s.meta = meta
    except FileNotFoundError:
        s.problems.append(
            f"{META_FILE} is missing: this folder was not written by the console,"
            " or its first write was interrupted"
        )
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        s.problems.append(f"{META_FILE} cannot be read ({exc})")
    configs_path = folder / CONFIGS_FILE
    if configs_path.exists():
        result = read_jsonl(configs_path)
        s.problems += [f"{CONFIGS_FILE}: {p}" for p in result.problems]
        for record in result.records:
            try:
                config = parse_config(record.get("config"))
                s.configs.append((int(record["version"]), float(record.get("t", 0.0)), config))
            except (ConfigError, KeyError, TypeError, ValueError) as exc:
                s.problems.append(
                    f"{CONFIGS_FILE}: version {record.get('version', '?')} cannot be read ({exc})"
                )
    else:
        s.problems.append(f"{CONFIGS_FILE} is missing: the config of this call is unknown")
    events_path = folder / EVENTS_FILE
    if events_path.exists():
        s.events, problems = read_events(events_path)
        s.problems += [f"{EVENTS_FILE}: {p}" for p in problems]
    else:
        s.problems.append(f"{EVENTS_FILE} is missing: there is no timeline")
    recording = folder / RECORDING_FILE
    if recording.exists():
        problem = _check_wav(recording)
        if problem:
            s.problems.append(f"{RECORDING_FILE}: {problem}")
    return s


def _check_wav(path: Path) -> str:
    from console.audio.recorder import wav_problem

    return wav_problem(path)


def list_sessions(root: Path) -> list[Session]:
    """Every session under root, newest first (unreadable ones included, with problems)."""
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return [open_session(p) for p in sorted(folders, reverse=True)]


def recover(session: Session) -> list[str]:
    """Repair a crashed session in place; returns what was done, in words."""
    from console.audio.recorder import repair_wav

    done = []
    recording = session.folder / RECORDING_FILE
    if recording.exists():
        try:
            if repair_wav(recording):
                done.append("the recording's header was brought up to date")
        except ValueError as exc:
            done.append(f"the recording could not be repaired ({exc})")
    events_path = session.folder / EVENTS_FILE
    if events_path.exists():
        raw = events_path.read_bytes()
        if raw and not raw.endswith(b"\n"):
            events_path.write_bytes(raw[: raw.rfind(b"\n") + 1])
            done.append("a half-written last event was removed")
    meta = dict(session.meta)
    meta.update(
        status="recovered",
        recovered_note="the console stopped during this call; "
        "everything recorded up to then is kept",
    )
    if session.events:
        meta.setdefault("duration_s", round(session.duration, 3))
    tmp = session.folder / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(session.folder / META_FILE)
    session.meta = meta
    done.append("marked as recovered")
    return done
