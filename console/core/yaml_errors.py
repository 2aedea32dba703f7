"""A YAML parse error in one line a tester can act on: the file, the line and the column.

PyYAML's own message names its input `<unicode string>` when it was given text, spans
several lines and quotes a snippet with a caret; a terminal line or a dialog wants
"solar.yaml, line 3, column 16: expected ',' or ']', but got '<stream end>' (while
parsing a flow sequence that starts at line 3, column 16)".
"""

from __future__ import annotations

import yaml


def describe_yaml_error(exc: yaml.YAMLError, name: str = "") -> str:
    """The error in one line, led by `name` (the file) if given; never `<unicode string>`."""
    lead = f"{name}, " if name else ""
    if not isinstance(exc, yaml.MarkedYAMLError):
        text = " ".join(str(exc).split()) or type(exc).__name__
        return f"{name}: " * bool(name) + text.replace("<unicode string>", name or "the text")
    where = _at(exc.problem_mark) or _at(exc.context_mark)
    problem = (exc.problem or exc.context or "cannot be read").strip()
    context = ""
    if exc.context and exc.problem:
        started = _at(exc.context_mark)
        same = (
            exc.context_mark is not None
            and exc.problem_mark is not None
            and (
                exc.context_mark.line == exc.problem_mark.line
                and exc.context_mark.column == exc.problem_mark.column
            )
        )
        context = f" ({exc.context.strip()}" + (
            f" that starts at {started})" if started and not same else ")"
        )
    if not where:
        return f"{name}: " * bool(name) + problem + context
    return f"{lead}{where}: {problem}{context}"


def _at(mark: yaml.Mark | None) -> str:
    if mark is None:
        return ""
    return f"line {mark.line + 1}, column {mark.column + 1}"
