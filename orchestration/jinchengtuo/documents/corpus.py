"""A corpus: walking a documents folder (never following links out of it), the extraction cache
keyed by (sha256, path, extractor version), and the worker pool that reads the rest."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from jinchengtuo.documents.extract import EXTRACTOR_VERSION, DocumentResult, extract_file
from jinchengtuo.reference.streets import StreetDirectory
from jinchengtuo.warehouse.schema import columns


@dataclass
class CorpusResult:
    documents: pd.DataFrame
    values: pd.DataFrame
    issues: pd.DataFrame
    stats: dict


def list_documents(root: Path) -> tuple[list[Path], list[str]]:
    """Every regular file under root (hidden files skipped), and the links that were not followed."""
    files, skipped = [], []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        # os.walk lists a symlinked folder among the folders but does not enter it: report it
        skipped.extend((Path(dirpath) / d).relative_to(root).as_posix() + "/" for d in sorted(dirnames)
                       if not d.startswith(".") and (Path(dirpath) / d).is_symlink())
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (Path(dirpath) / d).is_symlink())
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if name.startswith("."):
                continue
            if p.is_symlink():
                skipped.append(p.relative_to(root).as_posix())
                continue
            files.append(p)
    return files, skipped


def _cache_file(cache_dir: Path, sha: str, rel: str) -> Path:
    """A result is a function of the file's bytes and of its path under the sources folder (the
    messages name the file; the folder decides the misfiled warnings), so both make the key:
    the same bytes at another path are read again, never reported under the first path."""
    where = hashlib.sha256(rel.encode("utf-8")).hexdigest()[:16]
    return cache_dir / EXTRACTOR_VERSION / sha[:2] / f"{sha}-{where}.json"


def _work(args) -> dict:
    path, root, streets = args
    try:
        return dataclasses.asdict(extract_file(path, documents_root=root, streets=streets))
    except Exception as exc:  # a bug or an unexpected file: the file is reported, the run goes on
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        return dataclasses.asdict(DocumentResult(
            rel, hashlib.sha256(data).hexdigest(), len(data), "unknown", "failed",
            f"{rel}: extraction error {exc.__class__.__name__}: {exc}",
            issues=[{"severity": "error", "code": "extractor_error", "message": f"{rel}: {exc.__class__.__name__}: {exc}", "source_page": None, "field_id": None}],
        ))


def extract_corpus(documents_root: Path, *, streets: StreetDirectory, cache_dir: Path | None = None, workers: int | None = None) -> CorpusResult:
    root = Path(documents_root).resolve()
    files, skipped_links = list_documents(root)
    results: list[dict] = []
    todo = []
    hits = 0
    for p in files:
        if cache_dir is not None:
            sha = hashlib.sha256(p.read_bytes()).hexdigest()
            cached = _cache_file(cache_dir, sha, p.relative_to(root).as_posix())
            if cached.exists():
                results.append(json.loads(cached.read_text(encoding="utf-8")))
                hits += 1
                continue
        todo.append(p)
    workers = max(1, workers or os.cpu_count() or 1)
    jobs = [(p, root, streets) for p in todo]
    if workers > 1 and len(jobs) > 8:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            fresh = list(pool.map(_work, jobs, chunksize=8))
    else:
        fresh = [_work(j) for j in jobs]
    for r in fresh:
        if cache_dir is not None:
            target = _cache_file(cache_dir, r["source_file_sha256"], r["source_path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, target)
    results.extend(fresh)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    doc_rows, value_rows, issue_rows = [], [], []
    seen_values: set[str] = set()
    for r in sorted(results, key=lambda r: r["source_path"]):
        doc_rows.append({**{k: r.get(k) for k in columns("document") if k in r}, "file_name": Path(r["source_path"]).name,
                         "n_values": len(r["values"]), "extractor_version": EXTRACTOR_VERSION, "extracted_at": now})
        if r["source_file_sha256"] not in seen_values:  # figures are stored once per content
            seen_values.add(r["source_file_sha256"])
            for v in r["values"]:
                value_rows.append({**v, "source_file_sha256": r["source_file_sha256"], "doc_type": r["doc_type"],
                                   "street_code": r["street_code"], "year": r["year"]})
        for i in r["issues"]:
            issue_rows.append({**i, "source_file_sha256": r["source_file_sha256"], "source_path": r["source_path"]})
    for rel in skipped_links:
        issue_rows.append({"source_file_sha256": None, "source_path": rel, "severity": "warning", "code": "link_not_followed",
                           "message": f"{rel}: a symbolic link; links are never followed (they may point out of the sources folder)",
                           "source_page": None, "field_id": None})
    documents = pd.DataFrame(doc_rows, columns=columns("document"))
    if len(documents):
        documents["published_date"] = pd.to_datetime(documents["published_date"], errors="coerce").dt.date
    values = pd.DataFrame(value_rows, columns=columns("extracted_value"))
    issues = pd.DataFrame(issue_rows, columns=columns("extraction_issue"))
    stats = {"files": len(files), "cache_hits": hits, "read": len(todo), "links_not_followed": len(skipped_links),
             "extractor_version": EXTRACTOR_VERSION}
    return CorpusResult(documents, values, issues, stats)
