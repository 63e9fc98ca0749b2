"""What a refresh was built from: every input file (path, size, modification time) and every
piece of code or configuration that shapes the result (dbt project, suites, the package).

The release records it in `meta.refresh_log`; `jinchengtuo refresh` compares it with the current
inputs and skips a rebuild that could not change anything (`--force` rebuilds anyway)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from jinchengtuo import config

CODE_DIRS = ("dbt_project/models", "dbt_project/seeds", "dbt_project/macros", "dbt_project/tests", "expectations", "orchestration/jinchengtuo")
CODE_FILES = ("dbt_project/dbt_project.yml", "pyproject.toml")


def _walk(root: Path):
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("__pycache__", "truth"))
        for name in sorted(filenames):
            if not name.startswith(".") and not name.endswith(".pyc"):
                yield Path(dirpath) / name


def inputs_fingerprint(method: str = "") -> str:
    """`method`: the scoring options of the run (dbt vars), part of what the result depends on."""
    h = hashlib.sha256(f"M|{method}\n".encode())
    h.update(f"U|{config.scope().slug}\n".encode())  # the units observed (JCT_SCOPE): another scope is another warehouse
    sources = config.sources_dir()
    if sources.is_dir():
        for p in _walk(sources):
            if p.is_symlink():
                continue
            st = p.stat()
            h.update(f"S|{p.relative_to(sources).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    for rel in CODE_DIRS:
        d = config.PROJECT_DIR / rel
        if d.is_dir():
            for p in _walk(d):
                h.update(f"C|{p.relative_to(config.PROJECT_DIR).as_posix()}|".encode() + hashlib.sha256(p.read_bytes()).digest())
    for rel in CODE_FILES:
        p = config.PROJECT_DIR / rel
        if p.exists():
            h.update(f"C|{rel}|".encode() + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def last_refresh(warehouse: Path) -> dict | None:
    """The latest row of meta.refresh_log in the published warehouse, or None."""
    if not warehouse.exists():
        return None
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute(
            "select run_id, released_at, inputs_fingerprint from meta.refresh_log order by released_at desc limit 1"
        ).fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return None if row is None else {"run_id": row[0], "released_at": row[1], "inputs_fingerprint": row[2]}
