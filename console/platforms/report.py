"""What an import did, field by field, and what an export changed.

A tester who imports an agent must be able to trust that nothing was dropped silently:
every field of the platform file ends up in exactly one group of the report (mapped,
platform default applied, no console equivalent, unknown, or a problem), with the
platform address it came from and the console field it went to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from console.platforms.paths import DELETE, MISSING

Kind = Literal["mapped", "default", "not_mapped", "unknown", "note", "problem"]

_HEADINGS: dict[str, str] = {
    "mapped": "Mapped",
    "default": "Not in the file: the platform's default applies",
    "not_mapped": "No console equivalent (not imported)",
    "unknown": "Unknown fields (not imported)",
    "note": "Notes",
    "problem": "Problems",
}


@dataclass(frozen=True)
class ReportItem:
    kind: Kind
    where: str  # the platform address, e.g. "model.tools[0].function.description"
    message: str
    target: str = ""  # the console field, e.g. "end_call.description"

    def __str__(self) -> str:
        arrow = f" -> {self.target}" if self.target else ""
        return f"{self.where}{arrow}: {self.message}" if self.where else self.message


@dataclass
class ImportReport:
    platform: str  # the platform's display name, e.g. "Vapi"
    files: list[str]
    items: list[ReportItem] = field(default_factory=list)

    def add(self, kind: Kind, where: str, message: str, target: str = "") -> None:
        self.items.append(ReportItem(kind, where, message, target))

    def of(self, kind: Kind) -> list[ReportItem]:
        return [i for i in self.items if i.kind == kind]

    def text(self) -> str:
        lines = [f"Imported from {self.platform}: {', '.join(self.files) or '(no file)'}"]
        for kind, heading in _HEADINGS.items():
            items = self.of(kind)  # type: ignore[arg-type]
            if not items:
                continue
            lines.append("")
            lines.append(f"{heading} ({len(items)}):")
            lines.extend(f"  - {item}" for item in items)
        return "\n".join(lines)


class PlatformFileError(ValueError):
    """A file that cannot be imported: unreadable, not the platform's shape, or a field of
    a type the platform itself would refuse. `problems` has one line each."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(problems))


@dataclass(frozen=True)
class FieldChange:
    """One platform address whose value an export changes."""

    doc: str  # which document: "assistant", "agent", "llm", "code"...
    path: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.path}: {show(self.old)} -> {show(self.new)}"


def show(value: Any, limit: int = 120) -> str:
    """A value for a one-line diff: JSON, shortened in the middle when long."""
    if value is MISSING:
        return "(absent)"
    if value is DELETE:
        return "(removed)"
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > limit:
        half = (limit - 5) // 2
        text = f"{text[:half]} ... {text[-half:]}"
    return text
