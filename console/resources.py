"""The app's own files: example prompts, configs, scenarios, variants and icons.

They live in the repository's top-level `assets/` folder and ship inside the package as
`console.assets` (pyproject.toml and setup.py map the folder to that package), so a
console installed from a wheel has its examples and icons too. Everything that reads
one goes through `asset()`, which asks importlib.resources where the package is.

An editable install made before the folder was mapped does not know `console.assets`;
then the checkout's folder is used (the same files).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
from functools import cache
from pathlib import Path

PACKAGE = "console.assets"
_CHECKOUT = Path(__file__).resolve().parents[1] / "assets"


@cache
def assets_dir() -> Path:
    """The folder of the app's files, as a real path (extracted once if the package is
    in a zip, and cleaned up at exit)."""
    try:
        root = importlib.resources.files(PACKAGE)
    except ModuleNotFoundError:
        return _CHECKOUT
    if isinstance(root, Path):
        return root
    stack = contextlib.ExitStack()  # a zipped install: a temporary copy for this process
    atexit.register(stack.close)
    return Path(stack.enter_context(importlib.resources.as_file(root)))


def asset(*parts: str) -> Path:
    """One of the app's files or folders, e.g. asset("configs", "solar.yaml")."""
    return assets_dir().joinpath(*parts)


def example_scenarios() -> list[Path]:
    """The example scenarios that ship with the app, in order."""
    return sorted(asset("scenarios").glob("*.yaml"))
