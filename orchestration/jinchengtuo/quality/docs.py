"""Where a run's Great Expectations data docs go: reports/quality/<run_id>/ (index.html written
by GX's SiteBuilder), a `latest` pointer (latest.txt and latest/index.html redirecting to the
newest run's site), and pruning to the newest KEEP_RUNS runs."""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

from jinchengtuo import config

KEEP_RUNS = 20
_RUN_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")


def quality_root(reports_root: Path | None = None) -> Path:
    return (reports_root or config.reports_dir()) / "quality"


def run_docs_dir(run_id: str, reports_root: Path | None = None) -> Path:
    if not _RUN_ID.fullmatch(run_id) or run_id in (".", "..", "latest"):
        raise ValueError(f"run id {run_id!r} cannot name a data docs folder")
    return quality_root(reports_root) / run_id


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def prepare_run(run_id: str, reports_root: Path | None = None, keep: int = KEEP_RUNS) -> Path:
    """The run's data docs folder, created with the `latest` pointer on it; older runs beyond
    `keep` removed. Raises OSError (with the path) when the reports folder cannot be written."""
    root = quality_root(reports_root)
    target = run_docs_dir(run_id, reports_root)
    fresh = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    if fresh:
        _point_latest(root, run_id)
        prune(root, keep=keep, current=run_id)
    return target


def _point_latest(root: Path, run_id: str) -> None:
    _write_atomic(root / "latest.txt", run_id + "\n")
    latest = root / "latest"
    latest.mkdir(exist_ok=True)
    rid = html.escape(run_id, quote=True)
    _write_atomic(latest / "index.html", (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='0; url=../{rid}/index.html'>"
        "<title>Latest data quality run</title></head>"
        f"<body><p>Latest data quality run: <a href='../{rid}/index.html'>{rid}</a></p></body></html>\n"
    ))


def run_dirs(root: Path) -> list[Path]:
    """Run folders, oldest first (by modification time)."""
    if not root.is_dir():
        return []
    dirs = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and p.name != "latest" and _RUN_ID.fullmatch(p.name)]
    return sorted(dirs, key=lambda p: (p.stat().st_mtime, p.name))


def prune(root: Path, keep: int = KEEP_RUNS, current: str | None = None) -> list[str]:
    """Remove all but the newest `keep` run folders (never `current`); the names removed."""
    dirs = [d for d in run_dirs(root) if d.name != current]
    excess = len(dirs) + (1 if current else 0) - keep
    removed = []
    for d in dirs[: max(0, excess)]:
        shutil.rmtree(d)
        removed.append(d.name)
    return removed
