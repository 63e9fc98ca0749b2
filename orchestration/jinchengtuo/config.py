"""Where things live. Every path can be overridden by an environment variable.

JCT_SOURCES    raw inputs (documents, census, reference)      default: <project>/sources
JCT_WAREHOUSE  the published DuckDB warehouse file             default: <project>/warehouse/jinchengtuo.duckdb
JCT_REPORTS    published ranking files and reports             default: <project>/reports
JCT_CACHE      extraction cache (results keyed by file hash)   default: <warehouse dir>/cache
JCT_SCOPE      the units observed: shenzhen | national | province/city/county codes (44,4401)
               default: shenzhen (see reference/scope.py; `scope()` returns the parsed Scope)
JCT_ENGINE     the extraction engine: pool (default: a process pool, raw tables in the warehouse) | dask
               (Dask distributed; JCT_DASK_SCHEDULER the cluster, JCT_DASK_BATCH files a task; the
               raw document tables become views over the Parquet lake: engine/distributed.py)
JCT_LAKE       the Parquet lake of the dask engine                default: <warehouse dir>/lake
DAGSTER_HOME   Dagster's run history and instance settings     default: <project>/.dagster_home for the
               default warehouse, <warehouse dir>/<warehouse name>.dagster_home for any other, so a
               variant or scratch warehouse never becomes the history of the main one
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("JCT_PROJECT_DIR", PACKAGE_DIR.parent.parent)).resolve()
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
EXPECTATIONS_DIR = PROJECT_DIR / "expectations"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def sources_dir() -> Path:
    return _env_path("JCT_SOURCES", PROJECT_DIR / "sources")


def warehouse_path() -> Path:
    return _env_path("JCT_WAREHOUSE", default_warehouse_path())


def reports_dir() -> Path:
    return _env_path("JCT_REPORTS", PROJECT_DIR / "reports")


def cache_dir() -> Path:
    return _env_path("JCT_CACHE", warehouse_path().parent / "cache")


def reference_dir() -> Path:
    return sources_dir() / "reference"


def census_dir() -> Path:
    return sources_dir() / "census"


def documents_dir() -> Path:
    return sources_dir() / "documents"


def surveys_dir() -> Path:
    """Resident surveys and 12345 hotline summaries (source type resident_survey; optional)."""
    return sources_dir() / "surveys"


def default_warehouse_path() -> Path:
    return PROJECT_DIR / "warehouse" / "jinchengtuo.duckdb"


def dagster_home() -> Path:
    """Where the Dagster instance of the current warehouse lives (see the module doc)."""
    explicit = os.environ.get("DAGSTER_HOME")
    if explicit:
        return Path(explicit).expanduser().resolve()
    warehouse = warehouse_path()
    if warehouse == default_warehouse_path().resolve():
        return PROJECT_DIR / ".dagster_home"
    return warehouse.parent / f"{warehouse.stem}.dagster_home"


def scope():
    """The scope of this process (env JCT_SCOPE, default shenzhen): a `reference.scope.Scope`."""
    from jinchengtuo.reference.scope import Scope

    return Scope.from_env()


def engine():
    """The extraction engine's settings (env JCT_ENGINE, JCT_DASK_SCHEDULER, JCT_DASK_BATCH): a
    `engine.distributed.EngineSettings`; kind 'pool' unless configured."""
    from jinchengtuo.engine.distributed import EngineSettings

    return EngineSettings.from_env()


def lake_dir() -> Path:
    """The Parquet lake the dask engine writes and the warehouse's raw views read."""
    return _env_path("JCT_LAKE", warehouse_path().parent / "lake")
