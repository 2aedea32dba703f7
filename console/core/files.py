"""Reading files someone else may have made: regular files only, size checked first.

A session folder, a config or a prompt file can hold anything: a directory where a file
should be, a symbolic link to `/dev/zero`, a FIFO that never ends, a file of 50 MB. A
plain `read_text()` hangs, eats memory or raises something no one can act on. Here a
file is opened without following a final symbolic link and without blocking, checked to
be a regular file no larger than the limit *before* a byte is read, and every refusal is
a `FileRefused` whose message says what the file is and why it was not read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

KB = 1024
MB = 1024 * KB
MAX_DEPTH = 32  # nesting of JSON/YAML data: the console's own files use at most 6
MAX_NODES = 200_000  # values in one config or record (counting YAML aliases each time)


class FileRefused(OSError):
    """A file that is not read, with the reason in words (`str(exc)`)."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(reason)
        self.path = Path(path)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def size_text(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= KB:
        return f"{n / KB:.0f} KB"
    return f"{n} bytes"


def open_regular(path: str | Path, write: bool = False, follow_links: bool = True) -> int:
    """A descriptor of a regular file (read, or read and write), opened without blocking
    on a FIFO; FileRefused for anything else. follow_links=False also refuses a
    symbolic link (session folders never hold one: it points somewhere the session did
    not write)."""
    path = Path(path)
    flags = (os.O_RDWR if write else os.O_RDONLY) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
        if path.is_symlink():
            raise FileRefused(path, "is a symbolic link (not followed)")
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRefused(path, "is a symbolic link (not followed)") from None
        if exc.errno == errno.EISDIR:
            raise FileRefused(path, "is a folder, not a file") from None
        raise FileRefused(path, f"cannot be opened ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise FileRefused(path, f"cannot be opened ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise FileRefused(path, f"is {_kind(mode)}, not a regular file")
    return fd


def read_bytes_limited(path: str | Path, limit: int, follow_links: bool = True) -> bytes:
    """The whole file, if it is a regular file of at most `limit` bytes (checked before
    a byte is read)."""
    fd = open_regular(path, follow_links=follow_links)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise FileRefused(
                path, f"is {size_text(size)}, more than the {size_text(limit)} this file can be"
            )
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 * MB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while being read
                raise FileRefused(path, f"grew past {size_text(limit)} while being read")
        return b"".join(chunks)
    except OSError as exc:
        if isinstance(exc, FileRefused):
            raise
        raise FileRefused(path, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def read_text_limited(path: str | Path, limit: int, follow_links: bool = True) -> str:
    """As read_bytes_limited, decoded as UTF-8 (a BOM is dropped)."""
    raw = read_bytes_limited(path, limit, follow_links)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            path, f"is not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})"
        ) from None


def regular_file(path: str | Path) -> bool:
    """True for a regular file that is not a symbolic link (no exception, ever)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def data_shape_problem(
    data: Any, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES, text_keys: bool = False
) -> str:
    """ "" if parsed data is a reasonable shape, else why not: nested deeper than
    max_depth, more than max_nodes values (a YAML alias bomb expands here), or (with
    text_keys, for JSON-shaped data) a mapping key that is not text.

    Iterative, so a deep structure cannot exhaust the stack while being measured."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            return f"holds more than {max_nodes:,} values"
        if depth > max_depth:
            return f"is nested more than {max_depth} levels deep"
        if isinstance(value, dict):
            if text_keys:
                key = next((k for k in value if not isinstance(k, str)), None)
                if key is not None:
                    return f"has a key that is {type(key).__name__}, not text"
            stack.extend((v, depth + 1) for v in value.values())
            stack.extend((k, depth + 1) for k in value if not isinstance(k, (str, int, float)))
        elif isinstance(value, (list, tuple)):
            stack.extend((v, depth + 1) for v in value)
    return ""
