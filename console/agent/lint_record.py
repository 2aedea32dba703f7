"""One lint: a way a config misleads an agent or a tester, with where it is and how bad.

Its own module so every family of lints (console/agent/lints.py, hangup_lints.py,
voicemail_lints.py) can build them without importing the module that gathers them all.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Lint:
    code: str
    severity: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.field}" + (f" (line {self.line})" if self.line else "")
        return f"{self.severity}: {where}: {self.message} [{self.code}]"
