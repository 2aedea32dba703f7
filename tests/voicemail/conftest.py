"""Answers made at test time need espeak-ng: without it these tests skip (fail in CI)."""

from __future__ import annotations

import pytest

from console.audio import answer_fixtures as af
from tests.parts import require


@pytest.fixture(scope="session")
def espeak() -> None:
    if not af.espeak_available():
        require("SPEECH SYNTHESIS MISSING: apt-get install espeak-ng")
