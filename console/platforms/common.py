"""What every platform adapter shares: typed reading of a platform file, bindings, export.

An importer reads a platform's documents into a console config and, for every console
field it filled, leaves a **binding**: the platform address it read and a function that
turns the console's config back into the value for that address. Export runs the same
importer on the original file (or on the platform's blank template) to get the bindings,
and writes each binding's value back. So the places a value is written are exactly the
places it was read from, and a round trip changes nothing that was not edited.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from console.core.config import CallConfig, ConfigError, parse_config
from console.platforms import paths
from console.platforms.paths import DELETE, KEEP, MISSING
from console.platforms.report import FieldChange, ImportReport, PlatformFileError

Docs = dict[str, Any]  # document name ("assistant", "agent", "llm", "code") -> its data


@dataclass(frozen=True)
class Binding:
    """Console -> platform for one address: `value(config)` is what the address must hold
    (KEEP: leave it; DELETE: remove it)."""

    doc: str
    path: str
    value: Callable[[CallConfig], Any]
    # For a config value this address cannot carry: a sentence saying what is lost.
    warning: Callable[[CallConfig], str | None] | None = None


@dataclass
class Imported:
    config: CallConfig
    report: ImportReport
    bindings: list[Binding]
    docs: Docs


@dataclass
class Exported:
    docs: Docs
    changes: list[FieldChange]
    warnings: list[str] = field(default_factory=list)


class Adapter(Protocol):
    name: str  # "vapi"
    title: str  # "Vapi"

    def read(self, files: list[Path]) -> Docs: ...

    def import_docs(self, docs: Docs, source_file: str = "") -> Imported: ...

    def template(self) -> Docs: ...

    def export_warnings(self, config: CallConfig) -> list[str]: ...

    def render(self, docs: Docs) -> dict[str, str]: ...


class ImportDraft:
    """What one import collects before it becomes a config: the console sections it
    fills, the bindings it leaves and the report it writes. An adapter's importer
    subclasses it, fills the sections from its documents, and ends with `finished`."""

    def __init__(self, platform: str, title: str, sources: list[str], source: str) -> None:
        self.report = ImportReport(title, sources)
        self.end_call: dict[str, Any] = {}
        self.agent: dict[str, Any] = {}
        self.turns: dict[str, Any] = {}
        self.platform: dict[str, Any] = {"name": platform, "source_file": source}
        self.bindings: list[Binding] = []
        self.voicemail: dict[str, Any] = {}

    def bind_in(self, doc: str, path: str, value, warning=None) -> None:
        self.bindings.append(Binding(doc, path, value, warning))

    def mapped(self, where: str, target: str, message: str = "imported") -> None:
        self.report.add("mapped", where, message, target)

    def finished(self, docs: Docs) -> Imported:
        """The collected sections as a checked config, with the report and bindings."""
        data: dict[str, Any] = {
            "end_call": self.end_call,
            "agent": {**self.agent, "turn_taking": self.turns},
            "platform": self.platform,
        }
        if self.voicemail:
            data["voicemail"] = self.voicemail
        config = build_config(data, self.platform["source_file"])
        return Imported(config, self.report, self.bindings, docs)


# -- reading a platform document with types checked -------------------------------------
class Reader:
    """Reads values out of one platform document, checking each type.

    A wrong type is collected as an error naming the address (the platform itself would
    refuse the file); `finish()` raises them all at once so the tester sees every problem.
    Empty strings read as unset, as the platforms treat them.
    """

    def __init__(self, data: Any, report: ImportReport, label: str = "", source: str = ""):
        self.data = data
        self.report = report
        self.label = label  # prefix for addresses in the report, e.g. "llm: "
        self.source = source
        self.errors: list[str] = []
        self._said_empty: set[str] = set()

    def where(self, path: str) -> str:
        return f"{self.label}{path}"

    def raw(self, path: str) -> Any:
        return paths.get(self.data, path)

    def _wrong(self, path: str, want: str, value: Any) -> None:
        self.errors.append(f"{self.where(path)}: expected {want}, got {_type_name(value)}")

    def _typed(self, path: str, want: str, fits: Callable[[Any], bool], value: Any = MISSING):
        """The value at `path` if `fits` it; None when absent or null; a wrong type is
        collected as an error (and reads as None)."""
        if value is MISSING:
            value = self.raw(path)
        if value is MISSING or value is None:
            return None
        if not fits(value):
            self._wrong(path or "(the file)", want, value)
            return None
        return value

    def text(self, path: str) -> str | None:
        """The string at `path`; None when absent, null or empty."""
        value = self._typed(path, "text", lambda v: isinstance(v, str))
        if value is None:
            return None
        if value.strip():
            return value
        if path not in self._said_empty:
            self._said_empty.add(path)
            self.report.add("note", self.where(path), "empty: treated as not set")
        return None

    def text_keep_empty(self, path: str) -> str | None:
        """Like text(), but "" is returned as "" (where the platform gives it a meaning)."""
        return self._typed(path, "text", lambda v: isinstance(v, str))

    def number(self, path: str) -> float | None:
        value = self._typed(
            path, "a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)
        )
        return None if value is None else float(value)

    def boolean(self, path: str) -> bool | None:
        return self._typed(path, "true or false", lambda v: isinstance(v, bool))

    def obj(self, path: str) -> dict[str, Any] | None:
        value = self.data if path == "" else MISSING
        return self._typed(path, "an object", lambda v: isinstance(v, dict), value)

    def items(self, path: str) -> list[Any]:
        value = self.raw(path)
        if value is MISSING or value is None:
            return []
        if not isinstance(value, list):
            self._wrong(path, "a list", value)
            return []
        return value

    def texts(self, path: str) -> list[str]:
        out = []
        for i, item in enumerate(self.items(path)):
            if not isinstance(item, str):
                self._wrong(f"{path}[{i}]", "text", item)
            elif item.strip():
                out.append(item)
            else:
                self.report.add("note", self.where(f"{path}[{i}]"), "empty text: skipped")
        return out

    def rest(self, obj: dict[str, Any], prefix: str, handled: set[str], known: dict[str, str]):
        """Report every key of `obj` not handled: known ones with why, others as unknown."""
        for key in obj:
            if key in handled:
                continue
            where = self.where(paths.join(prefix, key))
            if key in known:
                self.report.add("not_mapped", where, known[key])
            else:
                self.report.add("unknown", where, "not a field the console knows")

    def finish(self) -> None:
        if self.errors:
            raise PlatformFileError(self.errors, self.source)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def build_config(data: dict[str, Any], source: str) -> CallConfig:
    """Validate the console config an importer built; a value the console cannot hold (a
    prompt over 100,000 characters, a tool name with spaces) is a clear error."""
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise PlatformFileError(
            [f"the console cannot hold {p.field}: {p.message}" for p in exc.problems], source
        ) from None


def unset(value: Any) -> bool:
    return value is MISSING or value is None or value == "" or value == []


def text_value(
    getter: Callable[[CallConfig], Any], original: Any, default: Any = ""
) -> Callable[[CallConfig], Any]:
    """Binding value for a field where the console's default means unset: that value
    leaves an unset original as it was (absent stays absent, null stays null)."""

    def value(config: CallConfig) -> Any:
        new = getter(config)
        if (new == default or unset(new)) and unset(original):
            return KEEP
        return new

    return value


def prune(data: Any) -> Any:
    """Drop empty strings, lists and objects (a template's blanks) from exported data."""
    if isinstance(data, dict):
        out = {k: prune(v) for k, v in data.items()}
        return {k: v for k, v in out.items() if not (v == "" or v == [] or v == {})}
    if isinstance(data, list):
        return [prune(v) for v in data]
    return data


# -- export ---------------------------------------------------------------------------
def export(adapter: Adapter, config: CallConfig, original: Docs | None = None) -> Exported:
    """The config in the platform's shape.

    With `original` (the imported file): that file with only the console's changed fields
    replaced, and the list of changes. Without: the platform's template with every field
    the console maps filled in."""
    base = original if original is not None else adapter.template()
    bindings = adapter.import_docs(copy.deepcopy(base)).bindings
    changes: list[FieldChange] = []
    warnings = list(adapter.export_warnings(config))
    for b in bindings:
        if b.warning is not None and (message := b.warning(config)):
            warnings.append(message)
        new = b.value(config)
        if new is KEEP:
            continue
        old = paths.get(base.get(b.doc), b.path) if isinstance(base.get(b.doc), dict) else MISSING
        if original is not None and _same(old, new):
            continue
        changes.append(FieldChange(b.doc, b.path, old, new))
    apply = getattr(adapter, "apply", None) or apply_changes
    docs = apply(base, changes)
    if original is None:
        docs = {name: prune(doc) for name, doc in docs.items()}
    return Exported(docs, changes, warnings)


def _same(old: Any, new: Any) -> bool:
    if new is DELETE:
        return old is MISSING
    return type(old) is type(new) and old == new


def _removal_order(change: FieldChange) -> tuple:
    def seg(s: Any) -> tuple:
        return (1, s, "") if isinstance(s, int) else (0, 0, str(s))

    return (change.doc, tuple(seg(s) for s in paths.parse(change.path)))


def apply_changes(base: Docs, changes: list[FieldChange]) -> Docs:
    out = copy.deepcopy(base)
    # Removals last and from the end, so list indices of other changes stay valid.
    writes = [c for c in changes if c.new is not DELETE]
    removals = sorted((c for c in changes if c.new is DELETE), key=_removal_order, reverse=True)
    for change in [*writes, *removals]:
        doc = out.setdefault(change.doc, {})
        try:
            paths.put(doc, change.path, copy.deepcopy(change.new))
        except ValueError as exc:
            raise PlatformFileError([str(exc)]) from None
    return out


def shadowed_of(config: CallConfig) -> str:
    return config.platform.shadowed_goodbye if config.platform else ""


def voicemail_section(record: dict[str, Any]) -> dict[str, Any]:
    """The console's `voicemail` behaviour for a platform's voicemail record (detection,
    action, message): leave the message after the beep, or hang up at once."""
    out: dict[str, Any] = {}
    if record.get("detection") is not None:
        out["detect"] = bool(record["detection"])
    leave = record.get("action") in ("message", "prompt") and bool(record.get("message"))
    out["on_machine"] = "leave_message" if leave else "hang_up"
    if leave:
        out["message"] = record["message"]
    return out


def machine_message(config: CallConfig) -> str:
    """The message the console leaves on a machine ('' when it hangs up instead)."""
    vm = config.voicemail
    return vm.message if vm.on_machine == "leave_message" else ""


VOICEMAIL_NOTE = (
    "the console acts on it through its voicemail section (detect, on_machine, message); "
    "platform.voicemail keeps the settings as imported"
)
