"""Extraction speed and accuracy on the sample corpus: documents per second cold and with a warm
cache, CPU per document type, our PDF time against PyMuPDF's bare text extraction, and recall
and precision against the corpus truth: overall, per layout family of the truth
(`corpus/families.py`), and apart for the documents the extractor was tuned on (no held-out
family) and for those with a held-out family (layouts it was not tuned to).

Run by hand: .venv/bin/python benchmarks/bench_extraction.py [--generate --years 2021,2022] [--workers N]
Uses sources/documents/ and sources/truth/ when the sample corpus is there; otherwise generates
the given years into a temp folder first.
Targets (issue #4, #11): warm re-run < 10% of cold; ≥ 99% recall and precision, also on the
held-out families."""

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
from jinchengtuo.corpus.families import HELD_OUT
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
        family_lines = family_report(root / "truth", cold, ev)
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
    print("\n".join(family_lines))
    for kind, xs in sorted(cpu.items()):
        print(f"  {kind:28s} {len(xs):4d} sampled, {1000 * sum(xs) / len(xs):6.1f} ms CPU per file")
    if bare:
        print(f"  bare PyMuPDF text of the same PDFs: {1000 * sum(bare) / len(bare):.1f} ms per file; our extraction "
              f"{1000 * sum(ours) / len(ours):.1f} ms per file: {sum(ours) / sum(bare):.1f}x the bare text (target 2x)")


def family_report(truth_dir: Path, result, ev) -> list[str]:
    """Tuned vs held-out documents, then one line per family (held-out families marked *)."""
    out: list[str] = []
    print = out.append  # noqa: A001 - the report is returned as lines
    for label, flag in (("tuned families (no held-out family)", False), ("held-out families " + ", ".join(sorted(HELD_OUT)), True)):
        part = evaluate(truth_dir, result.documents, result.values, held_out=flag)
        print(f"{label}: truth {part.n_truth}, correct {part.n_correct}; recall {part.recall:.4f}, "
              f"precision {part.precision:.4f}")
    fam = ev.by_family
    if fam is None or fam.empty:
        print("  (the truth has no families)")
        return out
    print(f"  {'family':32s} {'files':>5s} {'truth':>6s} {'recall':>7s} {'precision':>9s}")
    for row in fam.sort_values(["held_out", "family"]).itertuples():
        rec = "-" if row.recall is None or row.recall != row.recall else f"{row.recall:.4f}"
        prec = "-" if row.precision is None or row.precision != row.precision else f"{row.precision:.4f}"
        print(f"  {('*' if row.held_out else ' ') + row.family:32s} {row.files:5d} {row.truth:6d} {rec:>7s} {prec:>9s}")
    missed = {}
    for m in ev.missed + ev.wrong:
        missed.setdefault(m["field_id"], []).append(m["file"])
    if missed:
        print("  missed or wrong, by field (first file):")
        for fid, files in sorted(missed.items(), key=lambda kv: -len(kv[1]))[:15]:
            print(f"    {fid:28s} {len(files):4d}  e.g. {files[0]}")
    return out


if __name__ == "__main__":
    main()
