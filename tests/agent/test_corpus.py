"""Every call of the prompt corpus (assets/corpus) passes through the real runner."""

from __future__ import annotations

import pytest

from tests.agent.corpus import load_corpus, run_case

CASES = load_corpus()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_call(case):
    _, fails = run_case(case)
    assert not fails, "\n".join(fails)
