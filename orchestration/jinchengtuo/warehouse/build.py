"""Build aside, promote atomically.

Analysts and the UI read the published warehouse file. A refresh never writes it: the run's first
writer copies it to `<warehouse dir>/.build/<run_id>.duckdb`, every writer of the run works on that
copy, and `promote` replaces the published file with `os.replace` (atomic on POSIX) once the
blocking checks passed. A reader holding the old file open keeps reading the old version; a
failed or killed run leaves the published file untouched (its build copy stays behind for
inspection until `prune_builds` removes it).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb

from jinchengtuo.warehouse.schema import ensure_raw_schema


def build_dir(published: Path) -> Path:
    return published.parent / ".build"


def build_path(published: Path, run_id: str) -> Path:
    return build_dir(published) / f"{run_id}.duckdb"


def ensure_build(published: Path, run_id: str) -> Path:
    """The run's build file, created on first use as a copy of the published warehouse."""
    path = build_path(published, run_id)
    if not path.exists():
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
    return path


def promote(published: Path, run_id: str) -> Path:
    """Atomically make the run's build file the published warehouse."""
    path = build_path(published, run_id)
    if not path.exists():
        raise FileNotFoundError(f"no build file for run {run_id} at {path}")
    con = duckdb.connect(str(path))
    try:
        con.execute("CHECKPOINT")  # fold the WAL into the file before it moves
    finally:
        con.close()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"build file {path} still has a write-ahead log; refusing to promote")
    published.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, published)
    return published


def prune_builds(published: Path, keep_seconds: float = 7 * 24 * 3600) -> list[Path]:
    """Remove build files of runs older than `keep_seconds` (failed or killed runs)."""
    removed = []
    directory = build_dir(published)
    if directory.is_dir():
        now = time.time()
        for p in directory.iterdir():
            if now - p.stat().st_mtime > keep_seconds:
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed
