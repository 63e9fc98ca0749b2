"""Build aside, promote atomically.

Analysts and the UI read the published warehouse file. A refresh never writes it: the run's first
writer copies it to `<warehouse dir>/.build/<name>.building.duckdb`, every writer of the run works
on that copy, and `promote` replaces the published file with `os.replace` (atomic on POSIX) once
the blocking checks passed. A reader holding the old file open keeps reading the old version; a
failed or killed run leaves the published file untouched.

One build file, not one per run: every writer is in one Dagster pool, so only one run builds at a
time; a marker file names the run that owns the build, and a build left behind by a failed or
killed run is discarded by the next run. The fixed path keeps dbt's profile unchanged between
runs, so dbt can parse incrementally.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from jinchengtuo.warehouse.schema import ensure_raw_schema


def build_dir(published: Path) -> Path:
    return published.parent / ".build"


def build_path(published: Path) -> Path:
    return build_dir(published) / f"{published.stem}.building.duckdb"


def _marker(published: Path) -> Path:
    return build_dir(published) / f"{published.stem}.building.run_id"


def build_owner(published: Path) -> str | None:
    marker = _marker(published)
    return marker.read_text().strip() if marker.exists() and build_path(published).exists() else None


def _remove_build(published: Path) -> None:
    path = build_path(published)
    for p in (path, path.with_name(path.name + ".wal"), _marker(published)):
        p.unlink(missing_ok=True)


def ensure_build(published: Path, run_id: str) -> Path:
    """The run's build file, created on first use as a copy of the published warehouse."""
    path = build_path(published)
    if build_owner(published) == run_id:
        return path
    _remove_build(published)  # a leftover of a failed or killed run
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".copying")
    if published.exists():
        shutil.copyfile(published, tmp)
    else:
        duckdb.connect(str(tmp)).close()
    os.replace(tmp, path)
    con = duckdb.connect(str(path))
    try:
        ensure_raw_schema(con)
    finally:
        con.close()
    _marker(published).write_text(run_id)
    return path


def run_build(published: Path, run_id: str) -> Path | None:
    """The build file when `run_id` owns it, else None."""
    return build_path(published) if build_owner(published) == run_id else None


def promote(published: Path, run_id: str) -> Path:
    """Atomically make the run's build file the published warehouse."""
    path = run_build(published, run_id)
    if path is None:
        raise FileNotFoundError(f"run {run_id} has no warehouse build at {build_path(published)}")
    con = duckdb.connect(str(path))
    try:
        con.execute("CHECKPOINT")  # fold the WAL into the file before it moves
    finally:
        con.close()
    if path.with_name(path.name + ".wal").exists():
        raise RuntimeError(f"build file {path} still has a write-ahead log; refusing to promote")
    published.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, published)
    _marker(published).unlink(missing_ok=True)
    return published
