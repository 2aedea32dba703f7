"""Addresses inside a platform's JSON: `model.tools[2].function.name`, `states[name=end]`.

Import records where each console field came from as such an address; export writes the
console's values back to the same addresses. One small language for both directions keeps
a round trip exact: what was read from `model.tools[2]` is written to `model.tools[2]`,
never to a guessed place. `[key=value]` selects the first list element whose `key` equals
`value` (and creates it on write), `[N]` an index.
"""

from __future__ import annotations

import re
from typing import Any


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __copy__(self) -> _Marker:
        return self  # a marker is compared by identity: copies must stay the marker

    def __deepcopy__(self, memo: dict) -> _Marker:
        return self


MISSING: Any = _Marker("MISSING")  # the address holds nothing
DELETE: Any = _Marker("DELETE")  # export: remove what the address holds
KEEP: Any = _Marker("KEEP")  # export: leave the address as it is

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[([^=\]]+)=([^\]]*)\]|(\.)")


def parse(path: str) -> list[Any]:
    """`a.b[0][k=v]` -> ["a", "b", 0, ("k", "v")]."""
    out: list[Any] = []
    pos = 0
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            raise ValueError(f"bad address {path!r} at {pos}")
        key, index, sel_key, sel_value, _dot = m.groups()
        if key is not None:
            out.append(key)
        elif index is not None:
            out.append(int(index))
        elif sel_key is not None:
            out.append((sel_key, sel_value))
        pos = m.end()
    return out


def join(*parts: str) -> str:
    """Join address parts: join("model", "tools[0]") -> "model.tools[0]"."""
    return ".".join(p for p in parts if p).replace(".[", "[")


def _step(node: Any, seg: Any) -> Any:
    if isinstance(seg, str):
        return node.get(seg, MISSING) if isinstance(node, dict) else MISSING
    if not isinstance(node, list):
        return MISSING
    if isinstance(seg, int):
        return node[seg] if 0 <= seg < len(node) else MISSING
    key, value = seg
    for item in node:
        if isinstance(item, dict) and str(item.get(key)) == value:
            return item
    return MISSING


def get(data: Any, path: str) -> Any:
    node = data
    for seg in parse(path):
        node = _step(node, seg)
        if node is MISSING:
            return MISSING
    return node


def put(data: Any, path: str, value: Any) -> None:
    """Write `value` at `path`, making the dicts and selected list items on the way.

    DELETE removes the key or list item; a path through something that is not a container
    (a string where a dict should be) raises ValueError, which export reports."""
    segs = parse(path)
    node = data
    for i, seg in enumerate(segs[:-1]):
        nxt_seg = segs[i + 1]
        child = _step(node, seg)
        if child is MISSING or child is None:
            if value is DELETE:
                return
            child = [] if not isinstance(nxt_seg, str) else {}
            if isinstance(seg, tuple) and isinstance(child, dict):
                child[seg[0]] = seg[1]
            _assign(node, seg, child, path)
        if not isinstance(child, dict | list):
            raise ValueError(f"{path}: cannot write inside a {type(child).__name__}")
        node = child
    _assign(node, segs[-1], value, path)


def _assign(node: Any, seg: Any, value: Any, path: str) -> None:
    if isinstance(seg, str):
        if not isinstance(node, dict):
            raise ValueError(f"{path}: expected an object at {seg!r}")
        if value is DELETE:
            node.pop(seg, None)
        else:
            node[seg] = value
        return
    if not isinstance(node, list):
        raise ValueError(f"{path}: expected a list")
    if isinstance(seg, int):
        if value is DELETE:
            if 0 <= seg < len(node):
                del node[seg]
        elif 0 <= seg < len(node):
            node[seg] = value
        elif seg == len(node):
            node.append(value)
        else:
            raise ValueError(f"{path}: no item {seg}")
        return
    key, want = seg
    for i, item in enumerate(node):
        if isinstance(item, dict) and str(item.get(key)) == want:
            if value is DELETE:
                del node[i]
            else:
                node[i] = value
            return
    if value is not DELETE:
        node.append(value)
