"""Prose extraction throughput (run by hand): characters and documents per second.

    .venv/bin/python benchmarks/bench_prose.py [--repeat N]

Uses the full-report fixtures of tests/fixtures/prose, repeated to the length of a real
street report (about 8,000 characters).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from jinchengtuo.documents.prose import extract_prose

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "prose"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    for name, doc_type in (("rule_of_law_full", "rule_of_law"), ("work_summary_full", "work_summary")):
        text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
        paras = [p for p in text.split("\n") if p.strip()]
        while sum(map(len, paras)) < 8000:
            paras = paras + paras
        blocks = [(i // 5 + 1, p) for i, p in enumerate(paras)]
        chars = sum(map(len, paras))
        extract_prose(doc_type, blocks)  # warm the regex cache
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            extract_prose(doc_type, blocks)
        dt = (time.perf_counter() - t0) / args.repeat
        print(f"{doc_type:13s} {chars:6d} chars  {dt * 1000:7.2f} ms/doc  {1 / dt:7.1f} docs/s  {chars / dt / 1e6:5.2f} M chars/s")


if __name__ == "__main__":
    main()
