"""Variants: the same scenarios under several End Call configs, side by side.

A variants file names each variant and the config fields it changes, on top of each
scenario's own config (after its `config_overrides`):

```yaml
variants:
  - name: as written                      # no overrides: the scenario's own config
  - name: short description
    overrides: {end_call.description: "Use when the caller wants to end the call."}
  - name: skip goodbye
    description: Hang up at once, no goodbye.
    overrides:
      end_call: {skip_goodbye: true}      # nested mappings work too
```

Every override is checked against the config's schema when the file is read, so a typo
("end_call.skip_goodby") is an error naming the variant and the field before any call
runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from console.core.config import (
    CallConfig,
    ConfigError,
    ConfigStore,
    problems_from,
    read_data_file,
)

# Config fields whose value is itself a free-form mapping: a nested override replaces
# them whole instead of being spread into dotted paths.
_MAPPING_FIELDS = {"agent.variables"}


@dataclass(frozen=True)
class Variant:
    name: str
    overrides: dict[str, Any] = field(default_factory=dict)
    description: str = ""


AS_WRITTEN = Variant("as written", {}, "each scenario's own config")


class VariantsError(ValueError):
    pass


class _VariantEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=2000)
    overrides: dict[str, Any] = Field(default_factory=dict)


class _VariantsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    variants: list[_VariantEntry] = Field(min_length=1, max_length=100)


def flatten(overrides: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"end_call": {"skip_goodbye": True}} -> {"end_call.skip_goodbye": True}, following
    the config's own nesting (so `agent.variables: {...}` stays one value)."""
    template = CallConfig().model_dump(mode="python")
    out: dict[str, Any] = {}

    def walk(data: dict[str, Any], path: str) -> None:
        for key, value in data.items():
            dotted = f"{path}.{key}" if path else str(key)
            if isinstance(value, dict) and dotted not in _MAPPING_FIELDS and _is_section(dotted):
                walk(value, dotted)
            else:
                out[dotted] = value

    def _is_section(dotted: str) -> bool:
        node: Any = template
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return isinstance(node, dict)

    walk(overrides, prefix)
    return out


def load_variants(path: str | Path) -> list[Variant]:
    """Read and check a variants file; raise VariantsError naming each problem."""
    path = Path(path)
    try:
        data = read_data_file(path)
    except ConfigError as exc:
        raise VariantsError(f"{path}: " + "; ".join(str(p) for p in exc.problems)) from None
    if isinstance(data, list):
        data = {"variants": data}
    if not isinstance(data, dict):
        raise VariantsError(f"{path}: a variants file is a mapping with a 'variants' list")
    try:
        parsed = _VariantsFile.model_validate(data)
    except ValidationError as exc:
        raise VariantsError(f"{path}: " + "; ".join(str(p) for p in problems_from(exc))) from None
    variants: list[Variant] = []
    seen: set[str] = set()
    problems: list[str] = []
    for entry in parsed.variants:
        name = entry.name.strip()
        if name.lower() in seen:
            problems.append(f"two variants are named {name!r}: names must differ")
        seen.add(name.lower())
        overrides = flatten(entry.overrides)
        check = ConfigStore(CallConfig()).check(overrides)
        if not check.accepted:
            problems.append(f"variant {name!r}: " + "; ".join(str(p) for p in check.problems))
        variants.append(Variant(name, overrides, entry.description.strip()))
    if problems:
        raise VariantsError(f"{path}: " + "; ".join(problems))
    return variants


def apply_variant(config: CallConfig, variant: Variant) -> CallConfig:
    """The scenario's config with the variant's fields changed; VariantsError if the
    combination is refused (the message names the variant and the field)."""
    if not variant.overrides:
        return config
    store = ConfigStore(config)
    result = store.edit(variant.overrides)
    if not result.accepted:
        raise VariantsError(
            f"variant {variant.name!r}: " + "; ".join(str(p) for p in result.problems)
        )
    return store.current
