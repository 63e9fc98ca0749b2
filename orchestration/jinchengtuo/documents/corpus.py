"""A corpus: walking a documents folder (never following links out of it), the extraction cache
keyed by (sha256, path, extractor version), and the worker pool that reads the rest.

Every document is read in a worker process under a time and a memory budget enforced from
outside the reader (`DocumentPool`): the parent ends a worker that overruns its wall-clock
deadline, the worker's address space is capped (RLIMIT_AS), and a worker that is ended, runs out
of memory or crashes is replaced; its document ends `failed` with the reason and the run goes on.
Budgets: JCT_DOC_TIME_BUDGET (seconds, default 120) and JCT_DOC_MEMORY_BUDGET (MiB, default 2048).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import os
import re
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
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
    except MemoryError:
        raise  # the worker reports its memory budget and is replaced
    except Exception as exc:  # a bug or an unexpected file: the file is reported, the run goes on
        if re.search(r"out of memory|malloc|cannot allocate", str(exc), re.I):  # C readers (MuPDF) refused memory
            raise MemoryError(str(exc)) from exc
        return _failed(path, root, "extractor_error", f"extraction error {exc.__class__.__name__}: {exc}")


def _failed(path: Path, root: Path, code: str, why: str) -> dict:
    rel = path.relative_to(root).as_posix()
    data = path.read_bytes()
    return dataclasses.asdict(DocumentResult(
        rel, hashlib.sha256(data).hexdigest(), len(data), "unknown", "failed", f"{rel}: {why}",
        issues=[{"severity": "error", "code": code, "message": f"{rel}: {why}", "source_page": None, "field_id": None}],
    ))


# ---------------------------------------------------------------- budgets and the worker pool

DEFAULT_TIME_BUDGET_S = 120.0
DEFAULT_MEMORY_BUDGET_MIB = 2048
# results that say nothing about the file itself (its budget, a crash): never cached, read again next run
NOT_CACHED = ("over_time_budget", "over_memory_budget", "reader_crashed")


@dataclass(frozen=True)
class Budget:
    """What one document may cost: wall-clock seconds in its reader, and MiB of address space on
    top of what the worker process holds before reading it."""

    seconds: float = DEFAULT_TIME_BUDGET_S
    memory_mib: int = DEFAULT_MEMORY_BUDGET_MIB

    @classmethod
    def from_env(cls) -> "Budget":
        def read(name: str, default, kind):
            raw = os.environ.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r}: not a number") from None
            if value <= 0:
                raise ValueError(f"{name}={raw!r}: must be positive")
            return value

        return cls(read("JCT_DOC_TIME_BUDGET", DEFAULT_TIME_BUDGET_S, float), read("JCT_DOC_MEMORY_BUDGET", DEFAULT_MEMORY_BUDGET_MIB, int))

    def time_text(self) -> str:
        return f"{self.seconds:g} s"


def _vm_bytes() -> int:
    """This process's address space (VmSize), from /proc."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _worker_main(conn, root: Path, streets: StreetDirectory, memory_mib: int) -> None:
    """A worker: reads the paths it is sent, one at a time, and sends each result back. It exits
    after a document that ran out of memory (its heap may be damaged) or left it holding more than
    half its budget (so the next document starts with the whole budget)."""
    import resource

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; Ctrl-C ends the parent
    base = _vm_bytes()
    limit = base + memory_mib * 2**20
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass  # a hard limit already lower: the time budget still holds
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        try:
            result = _work((Path(path), root, streets))
        except MemoryError:
            result = None
        leaving = result is None or _vm_bytes() > base + memory_mib * 2**19
        try:
            conn.send(("memory", path, True) if result is None else ("ok", result, leaving))
        except MemoryError:
            conn.send(("memory", path, True))
            return
        if leaving:
            return


def _preload_readers() -> None:
    """Import the readers once in the parent so forked workers (and their replacements) start
    with them loaded."""
    import importlib

    for name in ("pymupdf", "bs4", "lxml.etree", "docx", "jinchengtuo.documents.finance", "jinchengtuo.documents.disclosure",
                 "jinchengtuo.documents.prose", "jinchengtuo.documents.pdf_tables", "jinchengtuo.documents.grids"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass


class DocumentPool:
    """Worker processes that read documents under a `Budget`. Unlike concurrent.futures'
    ProcessPoolExecutor (broken for good once a worker dies), a worker that overruns its deadline
    is killed and replaced, one that runs out of memory or crashes is replaced, and only its
    document fails. One document is in flight per worker, so every document has its own deadline."""

    def __init__(self, root: Path, streets: StreetDirectory, workers: int = 1, budget: Budget | None = None):
        self.root, self.streets = Path(root), streets
        self.n = max(1, workers)
        self.budget = budget or Budget.from_env()
        methods = multiprocessing.get_all_start_methods()
        self.ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        self.workers: list[dict] = []
        self.replaced = 0
        if self.ctx.get_start_method() == "fork":
            _preload_readers()

    def _start(self) -> dict:
        parent, child = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(target=_worker_main, args=(child, self.root, self.streets, self.budget.memory_mib), daemon=True)
        proc.start()
        child.close()
        w = {"proc": proc, "conn": parent, "path": None, "deadline": None}
        self.workers.append(w)
        return w

    def _stop(self, w: dict, kill: bool = False) -> None:
        if kill and w["proc"].is_alive():
            w["proc"].kill()
        w["proc"].join(timeout=5)
        if w["proc"].is_alive():
            w["proc"].kill()
            w["proc"].join()
        w["conn"].close()
        self.workers.remove(w)

    def _ended(self, w: dict, code: str, why: str) -> dict:
        """The result for the document of a worker that did not finish it; the worker is gone."""
        path = w["path"]
        self._stop(w, kill=True)
        self.replaced += 1
        return _failed(path, self.root, code, why)

    def map(self, paths):
        """Each path's result (a DocumentResult as a dict), in the order they finish."""
        todo = deque(Path(p) for p in paths)
        b = self.budget
        try:
            while todo or any(w["path"] is not None for w in self.workers):
                in_flight = sum(w["path"] is not None for w in self.workers)
                while len(self.workers) < min(self.n, in_flight + len(todo)):
                    self._start()
                for w in list(self.workers):
                    if w["path"] is None and todo:
                        w["path"] = todo.popleft()
                        try:
                            w["conn"].send(str(w["path"]))
                        except OSError:  # the idle worker is gone (killed from outside): the path waits for another
                            todo.appendleft(w["path"])
                            self._stop(w, kill=True)
                            continue
                        w["deadline"] = time.monotonic() + b.seconds
                busy = [w for w in self.workers if w["path"] is not None]
                if not busy:
                    continue
                timeout = max(0.0, min(w["deadline"] for w in busy) - time.monotonic())
                ready = set(wait([w["conn"] for w in busy] + [w["proc"].sentinel for w in busy], timeout=timeout))
                for w in busy:
                    if w["conn"] in ready or (w["proc"].sentinel in ready and w["conn"].poll()):
                        try:
                            kind, payload, leaving = w["conn"].recv()
                        except (EOFError, OSError):
                            kind, payload, leaving = "died", None, True
                        if kind == "ok":
                            w["path"] = None
                            if leaving:  # done, but holding too much memory: it exits, another starts
                                self._stop(w)
                            yield payload
                            continue
                        if kind == "memory":
                            yield self._ended(w, "over_memory_budget", f"exceeded its memory budget of {b.memory_mib} MiB "
                                              "(the reader was stopped; JCT_DOC_MEMORY_BUDGET sets the budget)")
                            continue
                    elif w["proc"].sentinel in ready:
                        pass  # gone without an answer
                    elif time.monotonic() >= w["deadline"]:
                        yield self._ended(w, "over_time_budget", f"exceeded its time budget of {b.time_text()} "
                                          "(the reader was stopped; JCT_DOC_TIME_BUDGET sets the budget)")
                        continue
                    else:
                        continue
                    # the worker is gone without an answer: a crash in a reader, or memory refused to C code
                    w["proc"].join(timeout=5)
                    code = w["proc"].exitcode
                    how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
                    yield self._ended(w, "reader_crashed", f"the reader process ended ({how}) while reading it: "
                                      f"a crash in the reader, or its memory budget of {b.memory_mib} MiB ran out")
        finally:
            for w in list(self.workers):
                try:
                    if w["path"] is None:
                        w["conn"].send(None)
                except (OSError, ValueError):
                    pass
                self._stop(w, kill=w["path"] is not None)


def extract_files_bounded(paths, *, documents_root: Path, streets: StreetDirectory, workers: int = 1,
                          budget: Budget | None = None) -> list[DocumentResult]:
    """`extract_file` on each path, in worker processes under the document budget; the results
    in the order of `paths`. A document that overruns its budget comes back `failed` with the reason."""
    paths = [Path(p) for p in paths]
    root = Path(documents_root)
    got = {r["source_path"]: r for r in DocumentPool(root, streets, workers, budget).map(paths)}
    return [DocumentResult(**got[p.relative_to(root).as_posix()]) for p in paths]


def extract_file_bounded(path: Path, *, documents_root: Path, streets: StreetDirectory, budget: Budget | None = None) -> DocumentResult:
    """`extract_file` in a worker process under the document budget (for `jinchengtuo extract`)."""
    return extract_files_bounded([path], documents_root=documents_root, streets=streets, budget=budget)[0]


def extract_corpus(documents_root: Path, *, streets: StreetDirectory, cache_dir: Path | None = None, workers: int | None = None,
                   budget: Budget | None = None) -> CorpusResult:
    """Every document under documents_root: cached results where the cache has them, the rest read
    in a `DocumentPool` under `budget` (default: Budget.from_env())."""
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
    pool = DocumentPool(root, streets, workers, budget)
    fresh = list(pool.map(todo))
    for r in fresh:
        if cache_dir is not None and not any(i["code"] in NOT_CACHED for i in r["issues"]):
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
             "over_budget": sum(any(i["code"] in NOT_CACHED for i in r["issues"]) for r in fresh), "workers_replaced": pool.replaced,
             "extractor_version": EXTRACTOR_VERSION}
    return CorpusResult(documents, values, issues, stats)
