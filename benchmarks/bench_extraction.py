"""Extraction speed and accuracy on the sample corpus: documents per second cold and with a warm
cache, CPU per document type, our PDF time against PyMuPDF's bare text extraction, and recall
and precision against the corpus truth.

Run by hand: .venv/bin/python benchmarks/bench_extraction.py [--generate --years 2021,2022] [--workers N]
Uses sources/documents/ and sources/truth/ when the sample corpus is there; otherwise generates
the given years into a temp folder first.
Targets (issue #4): warm re-run < 10% of cold; ≥ 99% recall and precision."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pymupdf

from jinchengtuo import config
from jinchengtuo.corpus.evaluate import evaluate
from jinchengtuo.corpus.generate import generate, is_generated
from jinchengtuo.documents import extract_corpus, extract_file, list_documents
from jinchengtuo.reference import StreetDirectory


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", default="2021,2022")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--generate", action="store_true", help="generate --years into a temp folder even if sources/ holds the sample")
    args = ap.parse_args()
    streets = StreetDirectory.load()
    with tempfile.TemporaryDirectory() as tmp:
        root = config.sources_dir()
        if args.generate or not is_generated(root):
            root = Path(tmp) / "corpus"
            generate(root, years=[int(y) for y in args.years.split(",")], seed=2026, workers=args.workers)
        docs_root = root / "documents"
        files, _ = list_documents(docs_root)
        cache = Path(tmp) / "cache"
        t0 = time.perf_counter()
        cold = extract_corpus(docs_root, streets=streets, cache_dir=cache, workers=args.workers)
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = extract_corpus(docs_root, streets=streets, cache_dir=cache, workers=args.workers)
        t_warm = time.perf_counter() - t0
        ev = evaluate(root / "truth", cold.documents, cold.values)
        # CPU per document type, one process, on a sample of each
        cpu: dict[str, list[float]] = defaultdict(list)
        bare: list[float] = []
        ours: list[float] = []  # our whole extraction of the PDFs that bare text is timed on
        for path in files[:: max(1, len(files) // 300)]:
            t = time.process_time()
            res = extract_file(path, documents_root=docs_root, streets=streets)
            cpu[f"{res.doc_type}/{res.file_format}"].append(time.process_time() - t)
            if res.file_format == "pdf" and res.status != "failed":
                ours.append(time.process_time() - t)
                t = time.process_time()
                with pymupdf.open(path) as d:
                    for page in d:
                        page.get_text("text")
                bare.append(time.process_time() - t)
    print(f"{len(files)} files; cold {t_cold:.1f} s ({len(files) / t_cold:.0f} files/s, {args.workers} workers); "
          f"warm {t_warm:.2f} s ({t_warm / t_cold:.1%} of cold; {warm.stats['cache_hits']} cache hits)")
    print(ev.summary())
    for kind, xs in sorted(cpu.items()):
        print(f"  {kind:28s} {len(xs):4d} sampled, {1000 * sum(xs) / len(xs):6.1f} ms CPU per file")
    if bare:
        print(f"  bare PyMuPDF text of the same PDFs: {1000 * sum(bare) / len(bare):.1f} ms per file; our extraction "
              f"{1000 * sum(ours) / len(ours):.1f} ms per file: {sum(ours) / sum(bare):.1f}x the bare text (target 2x)")


if __name__ == "__main__":
    main()
