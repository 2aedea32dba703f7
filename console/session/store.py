"""The sessions folder as a store: an index for listing, filtering and sorting months of
calls at once, bug marks and names, and the crashed sessions to recover at start.

The folders stay the source of truth. The index (`.sessions-index.sqlite3` in the
sessions folder, stdlib sqlite3) holds one row per folder: what the browser shows, what
the filters and sorting need, and a signature of the folder's files (size and time of
each file the console reads there). It is:

- built by the first listing (the browser, `sessions list`, the start-up crash scan),
  then updated as calls are saved (the session writer hands over what it wrote,
  without reading it back) and as the browser saves a bug mark or a name;
- checked against the folders by `refresh()`: a folder that is new, or whose signature
  changed, is read again; a row whose folder is gone is dropped; a row that says
  "recording" is always read again (its call may have ended, or crashed);
- rebuilt from the folders when it is missing, unreadable or of another schema.

`rows()` answers from the index alone, so listing 20,000 sessions never opens 20,000
folders; `refresh()` stats every folder (the four files it signs) and opens only the
changed ones, and runs off the GUI thread. Nothing here raises for what a folder holds:
a damaged folder is a row with status "damaged" and its problems.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, overload

from console.core import events as ev
from console.core.redact import redact
from console.report.verdict import verdict
from console.session.layout import (
    CONFIGS_FILE,
    EVENTS_FILE,
    META_FILE,
    RECORDING_FILE,
    write_meta,
)
from console.session.reader import Session, _alive, folder_problem, open_session

INDEX_FILE = ".sessions-index.sqlite3"
_SIGNED = (META_FILE, EVENTS_FILE, CONFIGS_FILE, RECORDING_FILE)
SCHEMA = 3  # PRAGMA user_version; another number: the index is rebuilt (3: ENDED_BY labels)
BATCH = 200  # folders read between commits while (re)building

_COLUMNS = (
    "folder",  # the folder's name inside the sessions folder (the key)
    "title",
    "started",
    "duration",
    "drop_reason",
    "ended_by",
    "goodbye",
    "status",
    "pid",
    "bug_marked",
    "bug_note",
    "backend",
    "config",
    "verdict",
    "problems",  # JSON list of strings
    "signature",
)
_CREATE = f"""CREATE TABLE IF NOT EXISTS sessions (
    folder TEXT PRIMARY KEY, title TEXT, started TEXT, duration REAL, drop_reason TEXT,
    ended_by TEXT, goodbye TEXT, status TEXT, pid INTEGER, bug_marked INTEGER,
    bug_note TEXT, backend TEXT, config TEXT, verdict TEXT, problems TEXT, signature TEXT
);
CREATE INDEX IF NOT EXISTS by_started ON sessions (started, folder);
CREATE INDEX IF NOT EXISTS by_duration ON sessions (duration, folder);
PRAGMA user_version = {SCHEMA};"""

# What a column of the browser sorts by (ties: newest first).
SORTS = {
    "title": "title COLLATE NOCASE",
    "started": "started",
    "duration": "duration",
    "ended_by": "ended_by",
    "goodbye": "goodbye",
    "status": "status",
    "bug": "bug_marked, bug_note COLLATE NOCASE",
    "backend": "backend",
    "config": "config",
}

# How each drop reason reads in the browser's "Ended by" column and filter (every reason
# of console/core/events.py: DROP_REASONS has a label here).
ENDED_BY = {
    ev.END_CALL_ACTION: "End Call",
    ev.END_CALL_PHRASE: "end-call phrase",
    ev.CALLER_HUNG_UP: "caller hung up",
    ev.TESTER_HUNG_UP: "tester hung up",
    ev.AGENT_HUNG_UP: "agent hung up",
    ev.VOICEMAIL: "voicemail",
    ev.TIMEOUT: "timeout",
    ev.ERROR: "error",
}


@dataclass(frozen=True)
class SessionRow:
    """One session as the list shows it (from the index; no file is read)."""

    folder: Path
    title: str
    started: str  # "2026-11-24 10:15:00" (local time, from the folder's name), or ""
    duration: float
    drop_reason: str
    ended_by: str  # the drop reason in words ("End Call", "caller hung up", ...)
    goodbye: str  # yes / no / cut short
    stored_status: str  # complete, recording, recovered or damaged, as last read
    pid: int | None
    bug_marked: bool
    bug_note: str
    backend: str
    config: str  # "v2 · 3fa9c1": the version in force at the end and its fingerprint
    verdict: str
    problems: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def status(self) -> str:
        """As Session.status: a "recording" whose process is gone is "crashed"."""
        if self.stored_status == "recording" and not _alive(self.pid):
            return "crashed"
        return self.stored_status

    @property
    def bug_text(self) -> str:
        return (f"bug: {self.bug_note}" if self.bug_note else "bug") if self.bug_marked else ""


@dataclass(frozen=True)
class Query:
    """Filters (None: any) and the sort of the list."""

    ended_by: str | None = None
    bug: bool | None = None
    backend: str | None = None
    config: str | None = None
    status: str | None = None  # "crashed" matches a recording whose process is gone
    text: str = ""  # in the name, the folder's name or the bug note
    sort: str = "started"
    descending: bool = True


@dataclass
class Refreshed:
    """What a refresh did."""

    read: int = 0  # folders (re)read
    removed: int = 0  # rows whose folder is gone
    total: int = 0  # folders in the sessions folder
    rebuilt: bool = False  # the index was missing, damaged or of another schema
    problem: str = ""  # the sessions folder itself cannot be read


@dataclass
class RecoveryScan:
    """What the window finds in the sessions folder when it starts."""

    crashed: list[Session] = field(default_factory=list)  # to repair and offer
    damaged: list[SessionRow] = field(default_factory=list)  # named, skipped, left as is
    problem: str = ""  # the folder itself cannot be read

    def damaged_text(self, limit: int = 10) -> str:
        """The damaged sessions, one line each with their first problem (for a notice)."""
        lines = [f"{s.name}: {s.problems[0] if s.problems else 'damaged'}" for s in self.damaged]
        more = len(lines) - limit
        return "\n".join(lines[:limit] + ([f"... and {more} more"] if more > 0 else []))


class Rows(Sequence[SessionRow]):
    """The rows of a query, in order, fetched from the index a page at a time when first
    read: the query itself returns only the folders' names, so a list of 20,000 sessions
    is on screen long before most of them are looked at."""

    PAGE = 256

    def __init__(self, store: SessionStore, names: list[str]) -> None:
        self._store = store
        self._names = names
        self._made: dict[int, SessionRow] = {}

    def __len__(self) -> int:
        return len(self._names)

    @overload
    def __getitem__(self, i: int) -> SessionRow: ...
    @overload
    def __getitem__(self, i: slice) -> list[SessionRow]: ...
    def __getitem__(self, i: int | slice) -> SessionRow | list[SessionRow]:
        if isinstance(i, slice):
            return [self[n] for n in range(*i.indices(len(self._names)))]
        if i < 0:
            i += len(self._names)
        if not 0 <= i < len(self._names):
            raise IndexError(i)
        row = self._made.get(i)
        if row is None:
            first = i - i % self.PAGE
            page = self._names[first : first + self.PAGE]
            fetched = self._store._fetch(page)
            for n, name in enumerate(page, first):
                self._made[n] = fetched.get(name) or self._store._gone(name)
            row = self._made[i]
        return row

    def index_of(self, folder: Path) -> int:
        """The position of a session's row (-1 if it is not listed), without fetching."""
        folder = Path(folder)
        if folder.parent != self._store.root:
            return -1
        try:
            return self._names.index(folder.name)
        except ValueError:
            return -1


class SessionStore:
    """The sessions under `root`, through the index. Safe to use from several threads
    and processes at once (each call opens its own connection; SQLite locks)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.index_path = self.root / INDEX_FILE
        self.problem = ""  # why the index is kept in memory only ("" when on disk)
        self._memory: sqlite3.Connection | None = None  # when the folder is read-only
        self._lock = threading.Lock()

    # -- the index ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _db(self):
        if self._memory is not None:
            with self._lock:
                yield self._memory
                self._memory.commit()
            return
        try:
            conn = self._connect()
        except (sqlite3.Error, OSError) as exc:
            self.problem = f"the session index cannot be kept on disk ({exc}); it is rebuilt"
            self._memory = sqlite3.connect(":memory:", check_same_thread=False)
            self._memory.executescript(_CREATE)
            with self._lock:
                yield self._memory
                self._memory.commit()
            return
        try:
            yield conn
            conn.commit()
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        """The index on disk; a damaged file or another schema is replaced by an empty
        index (then filled from the folders by refresh)."""
        if not self.root.is_dir():
            raise OSError(f"{self.root} is not a folder")
        if not os.access(self.root, os.W_OK) or (
            self.index_path.exists() and not os.access(self.index_path, os.W_OK)
        ):
            raise OSError(f"{self.root} cannot be written")
        for attempt in (1, 2):
            conn = sqlite3.connect(self.index_path, timeout=10)
            try:
                conn.execute("PRAGMA synchronous = OFF")  # a cache: rebuilt if it breaks
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA):
                    raise sqlite3.DatabaseError(f"schema {version}")
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
                if version == 0 or "sessions" not in tables:
                    conn.executescript(_CREATE)
                return conn
            except sqlite3.DatabaseError:
                conn.close()
                if attempt == 2:
                    raise
                for suffix in ("", "-journal", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(str(self.index_path) + suffix)
        raise AssertionError("unreachable")

    def _put(self, conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
        marks = ", ".join("?" * len(_COLUMNS))
        conn.executemany(
            f"INSERT OR REPLACE INTO sessions ({', '.join(_COLUMNS)}) VALUES ({marks})", rows
        )

    # -- reading --------------------------------------------------------------------------
    def rows(self, query: Query | None = None) -> Rows:
        """The sessions the query selects, sorted, from the index alone."""
        query = query or Query()
        where, args = [], []
        if query.ended_by is not None:
            where.append("ended_by = ?")
            args.append(query.ended_by)
        if query.bug is not None:
            where.append("bug_marked = ?")
            args.append(int(query.bug))
        if query.backend is not None:
            where.append("backend = ?")
            args.append(query.backend)
        if query.config is not None:
            where.append("config = ?")
            args.append(query.config)
        if query.status is not None:
            where.append("status = ?")
            args.append("recording" if query.status == "crashed" else query.status)
        if query.text.strip():
            where.append(
                "(title LIKE ? ESCAPE '\\' OR folder LIKE ? ESCAPE '\\'"
                " OR bug_note LIKE ? ESCAPE '\\')"
            )
            like = "%" + _like_escape(query.text.strip()) + "%"
            args += [like, like, like]
        order = SORTS.get(query.sort, SORTS["started"])
        direction = "DESC" if query.descending else "ASC"
        if query.descending:
            order = ", ".join(f"{part} DESC" for part in order.split(", "))
        sql = (
            "SELECT folder, pid FROM sessions"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + f" ORDER BY {order}, folder {direction}"
        )
        with self._db() as conn:
            found = conn.execute(sql, args).fetchall()
        if query.status in ("crashed", "recording"):  # a process's life is not in the index
            alive = query.status == "recording"
            return Rows(self, [name for name, pid in found if _alive(pid) == alive])
        return Rows(self, [name for name, _pid in found])

    def _fetch(self, names: list[str]) -> dict[str, SessionRow]:
        """The rows of these folders, by name (one query)."""
        if not names:
            return {}
        marks = ", ".join("?" * len(names))
        with self._db() as conn:
            found = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM sessions WHERE folder IN ({marks})", names
            ).fetchall()
        return {r[0]: self._row(r) for r in found}

    def _gone(self, name: str) -> SessionRow:
        """A row that left the index between listing and showing (a refresh removed it)."""
        return SessionRow(self.root / name, name, "", 0.0, "", "", "", "damaged", None, False,
                          "", "", "", "", ("no longer in the index: Refresh",))  # fmt: skip

    def row(self, name: str) -> SessionRow | None:
        with self._db() as conn:
            r = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM sessions WHERE folder = ?", (name,)
            ).fetchone()
        return self._row(r) if r else None

    def choices(self) -> dict[str, list[str]]:
        """The values each filter can take (what the index holds), for its menu."""
        out = {}
        with self._db() as conn:
            for key in ("ended_by", "backend", "config", "status"):
                out[key] = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT DISTINCT {key} FROM sessions WHERE {key} != '' ORDER BY {key}"
                    )
                ]
        return out

    def _row(self, r: tuple) -> SessionRow:
        (folder, title, started, duration, drop_reason, ended_by, goodbye, status, pid,
         marked, note, backend, config, said, problems, _sig) = r  # fmt: skip
        try:
            listed = tuple(str(p) for p in json.loads(problems or "[]"))
        except ValueError:
            listed = ()
        return SessionRow(
            self.root / folder, title, started, float(duration or 0.0), drop_reason or "",
            ended_by or "", goodbye or "", status or "damaged", pid, bool(marked),
            note or "", backend or "", config or "", said or "", listed,
        )  # fmt: skip

    # -- keeping it current ---------------------------------------------------------------
    def refresh(
        self,
        stop: threading.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
        quick: bool = False,
    ) -> Refreshed:
        """Bring the index in line with the folders: read new and changed folders, drop
        rows of removed ones. Stats every folder, opens only those that changed.

        `quick` (the crash scan at start) lists the folders' names only: new folders and
        rows that say "recording" are read, nothing else is looked at. A call that crashed
        is one of those two (its writer never marked it complete), so it is found
        without a `stat` of every folder."""
        done = Refreshed(problem=folder_problem(self.root))
        if done.problem or not self.root.is_dir():
            return done
        with self._db() as conn:
            known = {
                name: (sig, status)
                for name, sig, status in conn.execute(
                    "SELECT folder, signature, status FROM sessions"
                )
            }
        done.rebuilt = not known
        seen: set[str] = set()
        changed: list[tuple[str, bool]] = []  # (name, a link to a folder elsewhere)
        try:
            entries = list(os.scandir(self.root))
        except OSError as exc:
            done.problem = f"cannot read the sessions folder {self.root} ({exc.strerror})"
            return done
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                link = entry.is_symlink()
                if link and not entry.is_dir():
                    continue
                if not link and not entry.is_dir(follow_symlinks=False):
                    continue
            except OSError:
                continue
            seen.add(entry.name)
            old = known.get(entry.name)
            if old is not None and quick:
                if old[1] == "recording":
                    changed.append((entry.name, link))
                continue
            sig = "link" if link else signature(Path(entry.path))
            if old is None or old[0] != sig or old[1] == "recording":
                changed.append((entry.name, link))
        done.total = len(seen)
        gone = [name for name in known if name not in seen]
        batch: list[tuple] = []
        for n, (name, link) in enumerate(changed, 1):
            if stop is not None and stop.is_set():
                break
            batch.append(_values(self._read(name, link)))
            if len(batch) >= BATCH:
                self._save(batch)
                batch = []
                if progress is not None:
                    progress(n, len(changed))
        if batch:
            self._save(batch)
        done.read = len(changed)
        if gone:
            with self._db() as conn:
                conn.executemany("DELETE FROM sessions WHERE folder = ?", [(g,) for g in gone])
            done.removed = len(gone)
        if progress is not None:
            progress(len(changed), len(changed))
        return done

    def _save(self, batch: list[tuple]) -> None:
        with self._db() as conn:
            self._put(conn, batch)

    def _read(self, name: str, link: bool = False) -> tuple[Session, str]:
        folder = self.root / name
        if link:  # never followed: named as damaged
            s = Session(folder, damaged=True)
            s.problems.append("this is a symbolic link to another folder; not opened")
            return s, "link"
        sig = signature(folder)  # before reading: a change while reading shows next time
        return open_session(folder), sig

    def update(self, folder: Path) -> SessionRow | None:
        """Read one folder again into the index (after it changed); its row, or None if
        the folder is not in this store's sessions folder."""
        folder = Path(folder)
        if folder.parent.resolve() != self.root.resolve():
            return None
        if not folder.is_dir():
            with self._db() as conn:
                conn.execute("DELETE FROM sessions WHERE folder = ?", (folder.name,))
            return None
        self._save([_values(self._read(folder.name))])
        return self.row(folder.name)

    def record(self, session: Session) -> None:
        """Index a session the writer has just saved, from what it wrote (no file is
        read back except for the signature). Only into an index that exists: a folder
        nobody lists (a CI run) gets none; the first listing builds it."""
        if session.folder.parent.resolve() != self.root.resolve():
            return
        if not self.index_path.is_file():
            return
        self._save([_values((session, signature(session.folder)))])

    # -- edits from the browser and the window ---------------------------------------------
    def set_bug(self, folder: Path, marked: bool, note: str) -> SessionRow | None:
        """Mark (or unmark) a session as a bug, with a note, in its session.json, then in
        the index. OSError (in words) if it cannot be saved: session.json is then as it
        was; ValueError for a damaged session (its session.json is not one the console
        can safely rewrite)."""
        return self._edit_meta(folder, {"bug": {"marked": bool(marked), "note": str(note)}})

    def rename(self, folder: Path, name: str) -> SessionRow | None:
        """Give a session a name (session.json's `name`); the folder keeps its own."""
        clean = " ".join(str(name).split())
        if not clean:
            raise ValueError("a session's name cannot be empty")
        if len(clean) > 200:
            raise ValueError("a session's name is at most 200 characters")
        return self._edit_meta(folder, {"name": clean})

    def _edit_meta(self, folder: Path, changes: dict[str, Any]) -> SessionRow | None:
        session = open_session(folder)
        if session.damaged or not session.meta:
            raise ValueError("this session is damaged; the change cannot be saved")
        meta = {**session.meta, **changes}
        write_meta(session.folder, meta)
        session.meta = meta
        with contextlib.suppress(sqlite3.Error, OSError):
            return self.update(session.folder)
        return None

    # -- crashed and damaged sessions -----------------------------------------------------
    def recovery_scan(self, stop: threading.Event | None = None) -> RecoveryScan:
        """Crashed sessions (opened, to recover) and damaged ones (to name and skip),
        found through the index with a quick refresh (names only: new folders and rows
        that say "recording" are read). Never raises: one bad folder never stops the
        others or the window."""
        scan = RecoveryScan(problem=folder_problem(self.root))
        if scan.problem or not self.root.is_dir():
            return scan
        try:
            self.refresh(stop, quick=True)
            crashed = self.rows(Query(status="crashed"))
            damaged = self.rows(Query(status="damaged"))
        except (sqlite3.Error, OSError) as exc:
            scan.problem = f"the sessions folder cannot be indexed ({exc})"
            return scan
        for row in crashed:
            session = open_session(row.folder)
            if session.status == "crashed":
                scan.crashed.append(session)
        scan.damaged = list(damaged)
        return scan


def signature(folder: Path) -> str:
    """What tells a changed session folder from an unchanged one without reading it:
    the kind, size and modification time of each file the console reads from it."""
    parts = []
    for name in _SIGNED:
        try:
            st = os.stat(folder / name, follow_symlinks=False)
            parts.append(f"{st.st_mode >> 12}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append("-")
    return "/".join(parts)


def config_label(session: Session) -> str:
    """The config in force when the call ended: its version and a short fingerprint
    (the same config gives the same fingerprint in every session)."""
    if not session.configs:
        return ""
    version, _t, config = session.configs[-1]
    data = json.dumps(config.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return f"v{version} · {hashlib.sha256(data.encode()).hexdigest()[:6]}"


def started_of(session: Session) -> str:
    """When the call started, local time, from the folder's name (YYYYMMDD-HHMMSS-...),
    else from session.json's `created`."""
    stamp = session.folder.name[:15]
    with contextlib.suppress(ValueError):
        return datetime.strptime(stamp, "%Y%m%d-%H%M%S").strftime("%Y-%m-%d %H:%M:%S")
    created = session.meta.get("created")
    if isinstance(created, str):
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(created)
            return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return ""


def goodbye_played(session: Session) -> str:
    goodbye = session.first(ev.Goodbye)
    if goodbye is None:
        return "no"
    return "cut short" if goodbye.cut_short else "yes"


def ended_by(session: Session) -> str:
    drop = session.first(ev.LineDropped)
    if drop is None:
        return "no drop recorded"
    return ENDED_BY.get(drop.reason, drop.reason)


def _values(item: tuple[Session, str]) -> tuple:
    session, sig = item
    drop = session.first(ev.LineDropped)
    duration = session.meta.get("duration_s")
    if not isinstance(duration, (int, float)) or isinstance(duration, bool):
        duration = session.duration
    marked, note = session.bug
    pid = session.meta.get("pid")
    stored = "damaged" if session.status == "damaged" else str(session.meta.get("status"))
    backend = session.meta.get("agent_backend")
    return (
        session.name,
        redact(session.title),  # the index is a file too: no secret reaches it
        started_of(session),
        float(duration),
        drop.reason if drop is not None else "",
        ended_by(session),
        goodbye_played(session),
        stored,
        pid if isinstance(pid, int) and not isinstance(pid, bool) and abs(pid) < 2**62 else None,
        int(marked),
        redact(note),
        redact(backend) if isinstance(backend, str) else "",
        config_label(session),
        redact(verdict(session.events)) if session.events else "",
        json.dumps([redact(p) for p in session.problems], ensure_ascii=False),
        sig,
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def index_saved_session(session: Session) -> None:
    """The writer's hook: index a session it has just closed. Never raises (the call is
    saved in its folder either way; the next refresh indexes what this missed)."""
    with contextlib.suppress(Exception):
        SessionStore(session.folder.parent).record(session)
