"""The layering the architecture promises, checked on the source itself.

- the core imports no agent, audio, speech, UI or session module (agents depend on the
  core's contract, never the other way round);
- nothing asks what kind of agent it holds (no isinstance/hasattr on an agent): every
  agent is used through the contract alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "console"
ABOVE_CORE = ("agent", "audio", "speech", "live", "scenario", "session", "report", "ui")


def modules(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_core_imports_nothing_above_it():
    offenders = [
        f"{path.relative_to(CONSOLE)} imports {name}"
        for path, tree in modules(CONSOLE / "core")
        for name in imported(tree)
        if name.startswith(tuple(f"console.{pkg}" for pkg in ABOVE_CORE))
    ]
    assert offenders == []


def test_no_code_asks_which_agent_it_has():
    offenders = []
    for path, tree in modules(CONSOLE):
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("isinstance", "hasattr", "getattr")
                and node.args
                and _names_an_agent(node.args[0])
            ):
                offenders.append(f"{path.relative_to(CONSOLE)}:{node.lineno} {ast.unparse(node)}")
            if isinstance(node, ast.Name) and node.id in ("OfflineAgent", "LLMAgent"):
                parent = path.relative_to(CONSOLE).parts[0]
                if parent in ("core",):
                    offenders.append(f"{path.relative_to(CONSOLE)}:{node.lineno} {node.id}")
    assert offenders == []


def _names_an_agent(node: ast.expr) -> bool:
    """`agent`, `self.agent`, `call.agent`...: an object that may be any agent."""
    if isinstance(node, ast.Name):
        return "agent" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "agent" in node.attr.lower()
    return False
