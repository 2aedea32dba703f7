"""Open a session folder, whatever state it is in, and say plainly what is wrong with it.

A session may be complete, still recording (another process), left behind by a crash
(its process is gone: the WAV header lags and the last event line may be cut), or
damaged (files missing, not JSON, a WAV that is not one). Opening never raises for any of
these: it returns what could be read and a list of problems a person can act on.
Recovering a crashed session repairs it in place, keeping everything recorded.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.core import events as ev
from console.core.config import CallConfig, ConfigError, parse_config
from console.core.eventlog import read_events, read_jsonl
from console.core.files import MB, FileRefused, data_shape_problem, read_bytes_limited
from console.session.layout import (
    CONFIGS_FILE,
    EVENTS_FILE,
    META_FILE,
    RECORDING_FILE,
    RESERVE_FILE,
    write_meta,
)

MAX_META_BYTES = 1 * MB
MAX_CONFIGS_BYTES = 64 * MB
STATUSES = ("complete", "recording", "recovered")  # what session.json may say
# session.json fields the console reads, and the type each must have.
META_TYPES: dict[str, tuple[type, ...]] = {
    "status": (str,),
    "pid": (int,),
    "bug": (dict,),
    "duration_s": (int, float),
    "drop_reason": (str,),
    "name": (str,),
    "scenario": (str,),
    "mode": (str,),
    "agent_backend": (str,),
    "devices": (dict,),
    "models": (dict,),
    "app_version": (str,),
    "os": (str,),
    "created": (str,),
}


@dataclass
class Session:
    folder: Path
    meta: dict[str, Any] = field(default_factory=dict)
    configs: list[tuple[int, float, CallConfig]] = field(default_factory=list)
    events: list[ev.Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # A file of the session is not what the console writes (a folder, a link, a device,
    # too big, unreadable): the session is listed as damaged and recovery leaves it be.
    damaged: bool = False

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def title(self) -> str:
        """What the tester calls it: the name given in the window or the browser, else
        the scenario's name, else the folder's."""
        for key in ("name", "scenario"):
            value = self.meta.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return self.folder.name

    @property
    def recording(self) -> Path | None:
        path = self.folder / RECORDING_FILE
        return path if _is_regular(path) else None

    def waveforms(self) -> dict[str, Any] | None:
        """Both channels of the recording as envelopes ({"caller": ..., "agent": ...}),
        for the browser's and the report's timelines; None when there is no readable
        recording (the timeline then has no waveforms; the problems line says why).
        Reads the whole file: call it off the GUI thread."""
        path = self.recording
        if path is None or self.damaged:
            return None
        try:
            from console.audio.envelope import recording_envelopes

            return dict(recording_envelopes(path))
        except Exception:  # damaged or unreadable audio: said elsewhere
            return None

    @property
    def status(self) -> str:
        """complete, recording (still running), crashed, recovered or damaged."""
        status = self.meta.get("status")
        if self.damaged or not self.meta or status not in STATUSES:
            return "damaged"
        if status == "recording":
            return "recording" if _alive(self.meta.get("pid")) else "crashed"
        return str(status)

    @property
    def bug(self) -> tuple[bool, str]:
        """(marked, note) from session.json (checked when it was read)."""
        bug = self.meta.get("bug") or {}
        return bool(bug.get("marked")), str(bug.get("note", ""))

    def first(self, cls: type) -> Any:
        return next((e for e in self.events if isinstance(e, cls)), None)

    @property
    def duration(self) -> float:
        return max((getattr(e, "end", e.t) for e in self.events), default=0.0)

    def config_at(self, version: int) -> CallConfig | None:
        return next((c for v, _, c in self.configs if v == version), None)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _exists(path: Path) -> bool:
    try:
        os.lstat(path)
        return True
    except OSError:
        return False


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or pid > 2**31:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    except OSError:
        return False
    return True


def open_session(folder: str | Path) -> Session:
    """Whatever is in `folder`, as a Session; never raises."""
    folder = Path(folder)
    s = Session(folder)
    try:
        _open(s)
    except Exception as exc:  # one odd folder must never stop a listing or the window
        s.damaged = True
        s.problems.append(f"this folder cannot be opened ({type(exc).__name__}: {exc})")
    return s


def _open(s: Session) -> None:
    folder = s.folder
    if not folder.is_dir():
        s.problems.append(f"{folder} is not a session folder (it does not exist)")
        return
    _read_meta(s)
    configs_path = folder / CONFIGS_FILE
    if _exists(configs_path):
        result = read_jsonl(configs_path, MAX_CONFIGS_BYTES)
        s.damaged |= result.unreadable
        s.problems += [f"{CONFIGS_FILE}: {p}" for p in result.problems]
        for record in result.records:
            version, t = record.get("version"), record.get("t", 0.0)
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                s.problems.append(f"{CONFIGS_FILE}: a version number is not a whole number")
                continue
            if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
                s.problems.append(f"{CONFIGS_FILE}: version {version} has no valid time")
                continue
            try:
                config = parse_config(record.get("config"))
            except ConfigError as exc:
                s.problems.append(f"{CONFIGS_FILE}: version {version} cannot be read ({exc})")
                continue
            s.configs.append((version, float(t), config))
    else:
        s.problems.append(f"{CONFIGS_FILE} is missing: the config of this call is unknown")
    events_path = folder / EVENTS_FILE
    if _exists(events_path):
        s.events, problems = read_events(events_path)
        s.damaged |= any(p.startswith("not read:") or p == "the file is missing" for p in problems)
        s.problems += [f"{EVENTS_FILE}: {p}" for p in problems]
    else:
        s.problems.append(f"{EVENTS_FILE} is missing: there is no timeline")
    recording = folder / RECORDING_FILE
    if _exists(recording):
        problem = _check_wav(recording)
        if problem:
            s.damaged |= problem.startswith("not read:")
            s.problems.append(f"{RECORDING_FILE}: {problem}")


def _read_meta(s: Session) -> None:
    meta_path = s.folder / META_FILE
    try:
        raw = read_bytes_limited(meta_path, MAX_META_BYTES, follow_links=False)
        meta = json.loads(raw.decode("utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
        shape = data_shape_problem(meta, max_depth=16, max_nodes=50_000)
        if shape:
            raise ValueError(f"it {shape}")
    except FileNotFoundError:
        s.damaged = True
        s.problems.append(
            f"{META_FILE} is missing: this folder was not written by the console,"
            " or its first write was interrupted"
        )
        return
    except FileRefused as exc:
        s.damaged = True
        s.problems.append(f"{META_FILE} cannot be read: it {exc}")
        return
    except RecursionError:
        s.damaged = True
        s.problems.append(f"{META_FILE} cannot be read (nested too deeply)")
        return
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        s.damaged = True
        s.problems.append(f"{META_FILE} cannot be read ({exc})")
        return
    for key, kinds in META_TYPES.items():
        if key in meta and (isinstance(meta[key], bool) or not isinstance(meta[key], kinds)):
            if not (key == "bug" and meta[key] is None):
                s.problems.append(f"{META_FILE}: {key!r} has the wrong type; ignored")
            del meta[key]
    duration = meta.get("duration_s")
    if duration is not None and not math.isfinite(duration):
        s.problems.append(f"{META_FILE}: 'duration_s' is not a finite number; ignored")
        del meta["duration_s"]
    bug = meta.get("bug")
    if isinstance(bug, dict) and (
        not isinstance(bug.get("marked", False), bool) or not isinstance(bug.get("note", ""), str)
    ):
        s.problems.append(f"{META_FILE}: the bug mark has the wrong types; ignored")
        del meta["bug"]
    if meta.get("status") not in (None, *STATUSES):
        s.problems.append(f"{META_FILE}: unknown status {str(meta['status'])[:40]!r}")
    elif "status" not in meta:
        s.problems.append(f"{META_FILE} has no status")
    s.meta = meta


def _check_wav(path: Path) -> str:
    from console.audio.recorder import wav_problem

    return wav_problem(path)


def folder_problem(root: Path) -> str:
    """Why the sessions folder cannot be listed, in words; "" if it can (or is absent)."""
    try:
        if not root.exists():
            return ""
        if not root.is_dir():
            return f"{root} is not a folder"
        with os.scandir(root):
            pass
    except OSError as exc:
        return f"cannot read the sessions folder {root} ({exc.strerror or exc})"
    return ""


def list_sessions(root: Path) -> list[Session]:
    """Every session under root, newest first (damaged ones included, with problems).
    Never raises: an unreadable folder lists nothing (see folder_problem)."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name, reverse=True)
    except OSError:
        return []
    sessions = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_symlink():
                if entry.is_dir():  # a link to a folder elsewhere: named, never opened
                    s = Session(Path(entry.path), damaged=True)
                    s.problems.append("this is a symbolic link to another folder; not opened")
                    sessions.append(s)
                continue
            if not entry.is_dir(follow_symlinks=False):
                continue
        except OSError:
            continue
        sessions.append(open_session(entry.path))
    return sessions


def recover(session: Session) -> list[str]:
    """Repair a crashed session in place; returns what was done, in words. Never raises:
    a damaged session is left as it is, and a step that cannot be done is named."""
    from console.audio.recorder import repair_wav

    if session.damaged:
        return ["not recovered: this session is damaged (" + "; ".join(session.problems) + ")"]
    done = []
    folder = session.folder
    for leftover in (RESERVE_FILE, META_FILE + ".tmp"):  # frees space first, on a full disk
        with contextlib.suppress(OSError):
            if _is_regular(folder / leftover):
                (folder / leftover).unlink()
    from console.audio.recorder import PROCESSED_FILE

    for name, what in ((RECORDING_FILE, "recording"), (PROCESSED_FILE, "processed recording")):
        path = folder / name
        if not _is_regular(path):
            continue
        try:
            if repair_wav(path):
                done.append(f"the {what}'s header was brought up to date")
        except (ValueError, OSError) as exc:
            done.append(f"the {what} could not be repaired ({exc})")
    events_path = folder / EVENTS_FILE
    if _is_regular(events_path):
        try:
            if _cut_half_line(events_path):
                done.append("a half-written last event was removed")
        except OSError as exc:
            done.append(f"the half-written last event could not be removed ({exc})")
    meta = dict(session.meta)
    meta.update(
        status="recovered",
        recovered_note="the console stopped during this call; "
        "everything recorded up to then is kept",
    )
    if session.events:
        meta.setdefault("duration_s", round(session.duration, 3))
    try:
        write_meta(folder, meta)
    except OSError as exc:
        done.append(f"could not be marked as recovered ({exc.strerror or exc})")
        return done
    session.meta = meta
    done.append("marked as recovered")
    return done


def _cut_half_line(path: Path) -> bool:
    """Cut a last line without its newline off the end, in place (frees space, so it
    works on a full disk). True if something was cut."""
    from console.core.files import open_regular

    fd = open_regular(path, write=True, follow_links=False)
    try:
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return False
        keep, pos, chunk = 0, size, 64 * 1024
        while pos > 0:
            start = max(0, pos - chunk)
            block = os.pread(fd, pos - start, start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            pos = start
        os.ftruncate(fd, keep)
        return True
    finally:
        os.close(fd)
