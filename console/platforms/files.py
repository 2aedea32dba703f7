"""Reading a platform file a tester picked: any file, possibly hostile.

A platform export is small (tens of kilobytes). Anything that is not a regular file, is
larger than MAX_FILE, is not UTF-8, is not JSON/YAML, nests deeper than any real export,
or holds an absurd number of values (a YAML alias bomb) is refused with one sentence that
says why, before any importer walks it.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import yaml

from console.core.files import data_shape_problem
from console.platforms.report import PlatformFileError

MAX_FILE = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 200_000


def read_text(path: Path, limit: int = MAX_FILE) -> str:
    name = path.name
    try:
        info = path.stat()
    except FileNotFoundError:
        raise PlatformFileError(["file not found"], name) from None
    except OSError as exc:
        raise PlatformFileError([f"cannot read the file ({exc.strerror})"], name) from None
    if not stat.S_ISREG(info.st_mode):
        raise PlatformFileError(["not a regular file"], name)
    if info.st_size > limit:
        raise PlatformFileError(
            [f"the file is {info.st_size:,} bytes; a platform export is at most {limit:,}"], name
        )
    try:
        with path.open("rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        raise PlatformFileError([f"cannot read the file ({exc.strerror})"], name) from None
    if len(raw) > limit:
        raise PlatformFileError([f"the file is larger than {limit:,} bytes"], name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlatformFileError(
            [f"not UTF-8 text (byte {exc.start}): is this a platform export?"], name
        ) from None


def read_data(path: Path) -> Any:
    """JSON (by content or suffix) or YAML, checked for shape; raises PlatformFileError."""
    text = read_text(path)
    name = path.name
    if not text.strip():
        raise PlatformFileError(["the file is empty"], name)
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    try:
        data = yaml.safe_load(text) if is_yaml else json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlatformFileError(
            [f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"], name
        ) from None
    except yaml.YAMLError as exc:
        from console.core.yaml_errors import describe_yaml_error

        raise PlatformFileError([f"not valid YAML: {describe_yaml_error(exc)}"], name) from None
    except RecursionError:
        raise PlatformFileError(["the data is nested too deeply to read"], name) from None
    problem = shape_problem(data)
    if problem:
        raise PlatformFileError([problem], name)
    return data


def shape_problem(data: Any) -> str:
    """What is wrong with the data's shape for a platform export, or ''."""
    problem = data_shape_problem(data, MAX_DEPTH, MAX_VALUES, text_keys=True)
    return f"the data {problem}: not a platform export" if problem else ""
