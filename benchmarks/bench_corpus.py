"""Generation time of the whole sample corpus (74 streets × 2019–2023), target ≤ 60 s here.

Run: .venv/bin/python benchmarks/bench_corpus.py [--workers N]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

from jinchengtuo.corpus.generate import generate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--years", default="2019,2020,2021,2022,2023")
    args = ap.parse_args()
    years = [int(y) for y in args.years.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        corpus = generate(Path(tmp), years=years, seed=2026, workers=args.workers)
        wall = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in Path(tmp, "documents").rglob("*") if p.is_file())
    kinds = Counter(f["format"] for f in corpus.files)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"files {len(corpus.files)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), figures {len(corpus.values)}")
    print(f"wall {wall:.1f} s with {args.workers} worker(s); {len(corpus.files) / wall:.0f} files/s; "
          f"{size / 1e6:.1f} MB written; worker CPU {children.ru_utime + children.ru_stime:.1f} s; "
          f"peak worker RSS {children.ru_maxrss / 1024:.0f} MB")
    print("target: ≤ 60 s on 2 cores —", "met" if wall <= 60 else "NOT met")


if __name__ == "__main__":
    main()
