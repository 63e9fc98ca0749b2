"""Extraction on Dask distributed: batches of files read by the workers of a cluster, each batch
written by its worker as Parquet parts of the lake (warehouse/lake.py). See docs/scale.md.

The client (the Dagster step, or `extract_to_lake` called by hand) walks the documents folder
(never following links out of it) and submits batches of relative paths, at most a few per worker
thread in flight; it holds batch summaries only, never documents or figures. A worker reads its
batch as `extract_corpus` reads a corpus: cached results where the cache has them, the rest in a
`DocumentPool` (documents/corpus.py) under the document budget, so a hostile file overrunning its
time or memory budget, or crashing its reader, ends `failed` with its reason and only its reader
process is replaced, never the Dask worker. The worker then writes the batch's rows as
`<snapshot>/<table>/year=…/province=…/part-<batch>.parquet` and returns counts.

Engine selection (configuration, see `EngineSettings.from_env`):

  JCT_ENGINE          pool (default: the process pool of extract_corpus, raw tables in the
                      warehouse file, the Shenzhen outputs as before) | dask
  JCT_DASK_SCHEDULER  the cluster: a scheduler address (tcp://host:8786) or a scheduler file
                      (`dask scheduler --scheduler-file …`); unset: a local cluster of worker
                      processes on 127.0.0.1 for the run
  JCT_DASK_BATCH      files per task (default 64)
  JCT_LAKE            where the Parquet lake is (default: <warehouse dir>/lake); on a cluster a
                      folder every worker and the warehouse can read (shared file system)

Workers of a cluster must run this package (the same EXTRACTOR_VERSION: a batch read by other
code is refused) and see the documents, cache and lake folders at the same paths. A Dask worker
started by a nanny is a daemon process by default, and a daemon may not start the reader
processes of the document budget: start workers with DASK_DISTRIBUTED__WORKER__DAEMON=False (or
`--no-nanny`); the local cluster here does that itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import resource
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from jinchengtuo.documents.corpus import NOT_CACHED, Budget, DocumentPool, _cache_file
from jinchengtuo.documents.extract import EXTRACTOR_VERSION
from jinchengtuo.warehouse import lake

ENGINES = ("pool", "dask")
DEFAULT_BATCH = 64


@dataclass(frozen=True)
class EngineSettings:
    kind: str = "pool"
    scheduler: str | None = None  # tcp://host:8786, or a scheduler file; None: a local cluster
    batch_size: int = DEFAULT_BATCH

    @classmethod
    def from_env(cls) -> "EngineSettings":
        kind = os.environ.get("JCT_ENGINE", "").strip().lower() or "pool"
        if kind not in ENGINES:
            raise ValueError(f"JCT_ENGINE={kind!r}: use pool or dask")
        scheduler = os.environ.get("JCT_DASK_SCHEDULER", "").strip() or None
        raw = os.environ.get("JCT_DASK_BATCH", "").strip()
        try:
            batch = int(raw) if raw else DEFAULT_BATCH
        except ValueError:
            raise ValueError(f"JCT_DASK_BATCH={raw!r}: not a whole number") from None
        if batch <= 0:
            raise ValueError(f"JCT_DASK_BATCH={raw!r}: must be positive")
        return cls(kind, scheduler, batch)


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int = 2, memory_limit: str | int = "auto"):
    """A Dask client: of the cluster at `scheduler` (an address or a scheduler file), or of a
    local cluster of `workers` worker processes (one thread each) on 127.0.0.1 started for the
    duration and closed after."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        if "://" in scheduler:
            client = Client(scheduler, timeout="30s")
        elif Path(scheduler).is_file():
            client = Client(scheduler_file=scheduler, timeout="30s")
        else:
            raise ValueError(f"JCT_DASK_SCHEDULER={scheduler!r}: neither an address (tcp://host:8786) nor a scheduler file")
        try:
            yield client
        finally:
            client.close()
        return
    with dask.config.set({"distributed.worker.daemon": False}):  # workers start the readers of the document budget
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0", memory_limit=memory_limit)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


# ---------------------------------------------------------------- the client side

def iter_documents(root: Path):
    """("file", path) for every regular file under root, ("link", rel) for every symbolic link
    not followed, in the order of `list_documents` (hidden files skipped), lazily: the listing
    of a million files is never held."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for d in sorted(dirnames):
            if not d.startswith(".") and (here / d).is_symlink():
                yield "link", (here / d).relative_to(root).as_posix() + "/"
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = here / name
            if p.is_symlink():
                yield "link", p.relative_to(root).as_posix()
            else:
                yield "file", p


def _link_rows(links: list[str]) -> dict[str, list[dict]]:
    return {"document": [], "extracted_value": [], "extraction_issue": [
        {"source_file_sha256": None, "source_path": rel, "severity": "warning", "code": "link_not_followed",
         "message": f"{rel}: a symbolic link; links are never followed (they may point out of the sources folder)",
         "source_page": None, "field_id": None, "_year": None, "_province": None} for rel in links]}


def extract_to_lake(documents_root: Path, snapshot: Path, *, client, directory: str = "shenzhen",
                    reference_dir: Path | None = None, cache_dir: Path | None = None, batch_size: int = DEFAULT_BATCH,
                    budget: Budget | None = None, max_in_flight: int | None = None, log=None) -> dict:
    """Extract every document under documents_root on the Dask cluster of `client` into the lake
    snapshot folder; the run's figures (files, cache hits, reads, statuses, per worker time and
    peak memory). `directory` is shenzhen or national (the directory issuers are attributed to)."""
    from distributed import as_completed

    from jinchengtuo import config

    root = Path(documents_root).resolve()
    snapshot = Path(snapshot).resolve()
    snapshot.mkdir(parents=True, exist_ok=True)
    budget = budget or Budget.from_env()
    task_base = {"root": str(root), "snapshot": str(snapshot), "directory": directory,
                 "reference": str(Path(reference_dir or config.reference_dir()).resolve()),
                 "cache": str(Path(cache_dir).resolve()) if cache_dir else None,
                 "budget": [budget.seconds, budget.memory_mib], "extractor_version": EXTRACTOR_VERSION}
    threads = sum(client.nthreads().values()) or 1
    limit = max_in_flight or 2 * threads
    started = time.monotonic()
    stats = Counter()
    statuses: Counter = Counter()
    per_worker: dict[str, dict] = {}
    links: list[str] = []
    pending = as_completed()
    n_batches = 0

    def collect(fut) -> None:
        s = fut.result()  # a task that failed (not a document: the code) fails the run with its error
        for k in ("files", "cache_hits", "read", "over_budget", "workers_replaced", "document", "extracted_value", "extraction_issue"):
            stats[k] += s[k]
        statuses.update(s["statuses"])
        w = per_worker.setdefault(s["worker"], {"batches": 0, "files": 0, "seconds": 0.0, "cpu_s": 0.0, "peak_rss_mib": 0.0,
                                                "peak_reader_rss_mib": 0.0})
        w["batches"] += 1
        w["files"] += s["files"]
        w["seconds"] += s["seconds"]
        w["cpu_s"] += s["cpu_s"]
        w["peak_rss_mib"] = max(w["peak_rss_mib"], s["peak_rss_mib"])
        w["peak_reader_rss_mib"] = max(w["peak_reader_rss_mib"], s["peak_reader_rss_mib"])
        if log and stats["batches_done"] % 50 == 0:
            log(f"progress: {stats['files']} file(s) read in {stats['batches_done']} of {n_batches} batches so far")

    def submit(paths: list[str]) -> None:
        nonlocal n_batches
        n_batches += 1
        fut = client.submit(extract_batch, {**task_base, "batch": n_batches, "paths": paths},
                            key=f"jct-extract-{snapshot.name}-{n_batches:07d}", pure=False)
        pending.add(fut)
        while pending.count() >= limit:
            collect(next(pending))
            stats["batches_done"] += 1

    batch: list[str] = []
    for kind, item in iter_documents(root):
        if kind == "link":
            links.append(item)
            continue
        batch.append(item.relative_to(root).as_posix())
        if len(batch) >= batch_size:
            submit(batch)
            batch = []
    if batch:
        submit(batch)
    for fut in pending:
        collect(fut)
        stats["batches_done"] += 1
    if links:  # the links the walk did not follow: issues of their own, batch 0
        lake.write_batch(snapshot, 0, _link_rows(links))
        stats["extraction_issue"] += len(links)
    seconds = time.monotonic() - started
    return {"engine": "dask", "scheduler": getattr(client, "scheduler", None) and client.scheduler.address,
            "workers": len(client.nthreads()), "batches": n_batches, "files": stats["files"], "cache_hits": stats["cache_hits"],
            "read": stats["read"], "links_not_followed": len(links), "over_budget": stats["over_budget"],
            "workers_replaced": stats["workers_replaced"], "documents": stats["document"], "values": stats["extracted_value"],
            "issues": stats["extraction_issue"], "statuses": dict(statuses), "seconds": seconds,
            "documents_per_second": stats["files"] / seconds if seconds else 0.0, "per_worker": per_worker,
            "extractor_version": EXTRACTOR_VERSION, "snapshot": str(snapshot)}


# ---------------------------------------------------------------- the worker side

_DIRECTORIES: dict[tuple[str, str], object] = {}


def _directory(kind: str, reference: str):
    """The directory issuers are attributed to, loaded once per worker process."""
    key = (kind, reference)
    if key not in _DIRECTORIES:
        if kind == "shenzhen":
            from jinchengtuo.reference.streets import StreetDirectory

            _DIRECTORIES[key] = StreetDirectory.load(Path(reference) / "streets.csv")
        elif kind == "national":
            from jinchengtuo.reference.national import NationalDirectory

            _DIRECTORIES[key] = NationalDirectory.load(Path(reference) / "national")
        else:
            raise ValueError(f"directory {kind!r}: use shenzhen or national")
    return _DIRECTORIES[key]


def _rss_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, MiB (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and of its finished children (the readers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def extract_batch(task: dict) -> dict:
    """Run on a Dask worker: read a batch of files (cache, then a DocumentPool under the budget),
    write its rows as Parquet parts of the snapshot, return counts. Idempotent (a retried batch
    writes the same parts again)."""
    started, cpu_started = time.monotonic(), _cpu_s()
    if task["extractor_version"] != EXTRACTOR_VERSION:
        raise RuntimeError(f"this worker runs extractor {EXTRACTOR_VERSION}, the client {task['extractor_version']}: "
                           "install the same jinchengtuo on every worker")
    if multiprocessing.current_process().daemon:
        raise RuntimeError("this Dask worker is a daemon process and cannot start the document readers: "
                           "start workers with DASK_DISTRIBUTED__WORKER__DAEMON=False (or --no-nanny)")
    root = Path(task["root"])
    directory = _directory(task["directory"], task["reference"])
    cache_dir = Path(task["cache"]) if task.get("cache") else None
    results, todo = [], []
    for rel in task["paths"]:
        p = root / rel
        if cache_dir is not None:
            try:
                sha = hashlib.sha256(p.read_bytes()).hexdigest()
                cached = _cache_file(cache_dir, sha, rel)
                if cached.exists():
                    results.append(json.loads(cached.read_text(encoding="utf-8")))
                    continue
            except (OSError, ValueError):
                pass  # unreadable here or a damaged cache entry: read it
        todo.append(p)
    hits = len(results)
    pool = DocumentPool(root, directory, 1, Budget(*task["budget"]))
    fresh = list(pool.map(todo))
    if cache_dir is not None:
        for r in fresh:
            if not any(i["code"] in NOT_CACHED for i in r["issues"]):
                target = _cache_file(cache_dir, r["source_file_sha256"], r["source_path"])
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
                os.replace(tmp, target)
    results.extend(fresh)
    counts = lake.write_batch(Path(task["snapshot"]), task["batch"], lake.batch_rows(results, EXTRACTOR_VERSION))
    own, reader = _rss_mib()
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        worker = f"pid-{os.getpid()}"
    return {"batch": task["batch"], "files": len(results), "cache_hits": hits, "read": len(todo),
            "over_budget": sum(any(i["code"] in NOT_CACHED for i in r["issues"]) for r in fresh),
            "workers_replaced": pool.replaced, **counts, "statuses": dict(Counter(r["status"] for r in results)),
            "seconds": time.monotonic() - started, "cpu_s": _cpu_s() - cpu_started, "worker": worker, "peak_rss_mib": own,
            "peak_reader_rss_mib": reader}
