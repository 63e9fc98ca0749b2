"""Shared fixtures, and what keeps parallel test workers (pytest-xdist, `make test`) apart."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

SAMPLE_YEARS = (2020, 2022)  # one year of each information-disclosure template; 2022 is outside the goalpost reference years
SAMPLE_SEED = 11

# The modules that take longest, first: `make test` runs the files on two workers (--dist loadfile,
# --no-loadscope-reorder), and a long module started last would run alone at the end. CPU seconds
# measured module by module (2026-12-02, shared machine): operations 136, pipeline_corpus 132,
# publication 106, bad_inputs 95, warehouse 95, release_honesty 93, scoring_dbt 73,
# extraction_corpus 42 and corpus 25 (each with the sample corpus); every other module under 25.
# Modules not named keep their collection order, after these.
SLOW_FIRST = (
    "test_operations.py",
    "test_pipeline_corpus.py",
    "test_audit_pipeline.py",  # a refresh of the sample corpus, like test_pipeline_corpus (not measured)
    "test_publication.py",
    "test_bad_inputs.py",
    "test_warehouse.py",
    "test_release_honesty.py",
    "test_scoring_dbt.py",
    "test_extraction_corpus.py",
    "test_corpus.py",
)


def pytest_configure(config):
    # parallel workers that each found the dbt manifest stale (a model changed since the last parse)
    # would each parse the project into dbt_project/target at once: the controller parses it first
    if getattr(config.option, "numprocesses", None) and not os.environ.get("PYTEST_XDIST_WORKER"):
        import jinchengtuo.defs.dbt  # noqa: F401  (parses the dbt project when its manifest is stale)


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(Path(str(item.fspath)).name, len(rank)))  # stable: order within a module kept


def shared_dir(tmp_path_factory, name: str) -> tuple[Path, object]:
    """A folder of the whole test run (shared by the xdist workers, one of which builds it) and its lock."""
    from filelock import FileLock  # a dependency of dagster

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # every worker's basetemp is a folder of the run's
    return base / name, FileLock(str(base / f"{name}.lock"))


@pytest.fixture(scope="session", autouse=True)
def dbt_target_path(tmp_path_factory):
    """dbt's artifacts (manifest, run results, compiled SQL, logs) of the refreshes of this session in
    a folder of its own (DBT_TARGET_PATH, honoured by defs/dbt.py and dbt): concurrent workers never
    write one target folder, and tests leave the project's dbt_project/target as it was."""
    target = tmp_path_factory.mktemp("dbt_target")
    mp = pytest.MonkeyPatch()
    mp.setenv("DBT_TARGET_PATH", str(target))
    yield target
    mp.undo()


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory):
    """A generated sample corpus (documents/ and truth/) for two years, generated once per test run
    (the first worker to need it writes it; it is read-only for every test)."""
    from jinchengtuo.corpus.generate import generate

    out, lock = shared_dir(tmp_path_factory, "sample_corpus")
    with lock:
        done = out.with_name("sample_corpus.pickle")
        if not done.exists():
            corpus = generate(out, years=list(SAMPLE_YEARS), seed=SAMPLE_SEED, workers=2)
            done.write_bytes(pickle.dumps(corpus))
        corpus = pickle.loads(done.read_bytes())
    return out, corpus
