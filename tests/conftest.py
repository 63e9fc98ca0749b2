"""Shared fixtures."""

from __future__ import annotations

import pytest

SAMPLE_YEARS = (2020, 2022)  # one year of each information-disclosure template; 2022 is outside the goalpost reference years
SAMPLE_SEED = 11


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory):
    """A generated sample corpus (documents/ and truth/) for two years, shared by the session."""
    from jinchengtuo.corpus.generate import generate

    out = tmp_path_factory.mktemp("sample_corpus")
    corpus = generate(out, years=list(SAMPLE_YEARS), seed=SAMPLE_SEED, workers=2)
    return out, corpus
