"""Import and export of voice-agent platform configs (Vapi, Retell, ElevenLabs, LiveKit).

`import_files` turns a platform's exported agent into a console config and a report of
what mapped and what did not; `export_config` turns a console config back into the
platform's shape, optionally applied to the original file with the changes listed.
Each platform is one module with one adapter; `common` holds what they share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from console.core.config import CallConfig
from console.platforms.common import Adapter, Docs, Imported, export
from console.platforms.elevenlabs import ElevenLabsAdapter
from console.platforms.livekit import LiveKitAdapter, source_diff
from console.platforms.report import FieldChange, ImportReport, PlatformFileError
from console.platforms.retell import RetellAdapter
from console.platforms.vapi import VapiAdapter

PLATFORMS: dict[str, Adapter] = {
    a.name: a for a in (VapiAdapter(), RetellAdapter(), ElevenLabsAdapter(), LiveKitAdapter())
}

__all__ = [
    "PLATFORMS",
    "ExportOutcome",
    "ImportReport",
    "Imported",
    "PlatformFileError",
    "adapter",
    "export_config",
    "guess_platform",
    "import_files",
]


def adapter(name: str) -> Adapter:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise PlatformFileError(
            [f"unknown platform {name!r}: one of {', '.join(PLATFORMS)}"]
        ) from None


def source_label(files: list[Path]) -> str:
    """The file names an import came from (no folders: a path may hold a user's name)."""
    return " + ".join(p.name for p in files)


def import_files(files: list[Path], platform: str) -> Imported:
    """Read and import; raises PlatformFileError with a sentence per problem."""
    a = adapter(platform)
    docs = a.read(files)
    _check_kind(platform, docs, files)
    return a.import_docs(docs, source_label(files))


# Keys one of which every file of the platform has (Retell's reader checks its own).
_MARKERS = {
    "vapi": {
        "model",
        "firstMessage",
        "endCallPhrases",
        "endCallMessage",
        "endCallFunctionEnabled",
        "functions",
        "voice",
        "transcriber",
        "silenceTimeoutSeconds",
        "maxDurationSeconds",
    },
    "elevenlabs": {"conversation_config", "agent", "turn", "tts", "asr", "conversation"},
    "livekit": {"instructions", "end_call_tool", "greeting"},
}


def _check_kind(platform: str, docs: Docs, files: list[Path]) -> None:
    data = next(iter(docs.values()))
    markers = _MARKERS.get(platform)
    if markers is None or not isinstance(data, dict) or "text" in data or markers & set(data):
        return
    other = guess_platform(files)
    hint = f"; it looks like a file from {PLATFORMS[other].title}" if other else ""
    raise PlatformFileError(
        [f"this does not look like a {PLATFORMS[platform].title} agent file{hint}"],
        source_label(files),
    )


def read_original(files: list[Path], platform: str) -> Docs:
    return adapter(platform).read(files)


@dataclass
class ExportOutcome:
    files: dict[str, str]  # file name -> text, in the platform's shape
    changes: list[FieldChange]
    warnings: list[str] = field(default_factory=list)
    diff: str = ""  # for source files (LiveKit Python): a unified diff

    def summary(self) -> str:
        lines = []
        if self.changes:
            lines.append(f"{len(self.changes)} field(s) changed:")
            lines.extend(f"  {c.doc}: {c}" for c in self.changes)
        else:
            lines.append("no mapped field changed")
        if self.diff:
            lines.append(self.diff.rstrip("\n"))
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def export_config(
    config: CallConfig, platform: str, against: list[Path] | None = None, patch: bool = False
) -> ExportOutcome:
    """The config in `platform`'s shape. With `against` (the originally imported files):
    those files with the console's changes applied, and the changes listed. With `patch`:
    only the changed top-level fields, as a PATCH body."""
    a = adapter(platform)
    original = a.read(against) if against else None
    out = export(a, config, original)
    docs = out.docs
    if patch and original is not None:
        docs = {
            name: {key: doc[key] for key in doc if key in _touched(out.changes, name)}
            for name, doc in docs.items()
            if isinstance(doc, dict) and "text" not in doc
        }
    files = a.render(docs)
    diff = ""
    if original is not None and "code" in original:
        name = original["code"].get("file", "agent.py")
        diff = source_diff(original["code"]["text"], out.docs["code"]["text"], name)
    return ExportOutcome(files, out.changes, out.warnings, diff)


def _touched(changes: list[FieldChange], doc: str) -> set[str]:
    from console.platforms.paths import parse

    return {str(parse(c.path)[0]) for c in changes if c.doc == doc}


def guess_platform(files: list[Path]) -> str | None:
    """Which platform a file looks like, from its content (for the import dialog)."""
    from console.platforms.files import read_data
    from console.platforms.retell import _is_agent, _is_llm

    for path in files:
        if path.suffix.lower() == ".py":
            return "livekit"
        try:
            data = read_data(path)
        except PlatformFileError:
            continue
        if not isinstance(data, dict):
            continue
        keys = set(data)
        if "conversation_config" in keys:
            return "elevenlabs"
        if {"instructions", "end_call_tool"} & keys:
            return "livekit"
        if {"firstMessage", "endCallPhrases", "endCallMessage", "transcriber"} & keys or (
            isinstance(data.get("model"), dict) and "messages" in data["model"]
        ):
            return "vapi"
        if _is_agent(data) or _is_llm(data):
            return "retell"
    return None
