"""How fast is the national sample corpus written? (run by hand; prints figures, asserts nothing)

    .venv/bin/python benchmarks/bench_national_corpus.py [UNITS] [YEARS] [WORKERS] [OUT]
    defaults: 5000 units, 2021,2022, 2 workers, /tmp/bench-national-corpus

Prints wall time, files per second, the CPU time of the workers (their user + system time: the
cost on an idle machine is about CPU / workers), bytes written and the peak resident memory of
the parent and of the largest worker (bounded by the chunk, whatever the unit count).
Target (issue 14): 5,000 units × 2 years in a few minutes on 2 cores.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from jinchengtuo.corpus.national import generate_national


def main() -> None:
    units = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    years = [int(y) for y in (sys.argv[2] if len(sys.argv) > 2 else "2021,2022").split(",")]
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    out = Path(sys.argv[4] if len(sys.argv) > 4 else "/tmp/bench-national-corpus")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    last = [0.0]

    def progress(msg: str) -> None:
        now = time.perf_counter()
        if now - last[0] > 15:
            last[0] = now
            print(msg, flush=True)

    result = generate_national(out, units, years, seed=2026, workers=workers, progress=progress)
    wall = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = kids.ru_utime + kids.ru_stime + own.ru_utime + own.ru_stime
    print(f"{result.n_units} units × {len(years)} years, {workers} workers: {result.n_files} files, "
          f"{result.n_values} figures, {result.n_bytes / 2**20:.0f} MiB")
    print(f"wall {wall:.1f} s, {result.n_files / wall:.1f} files/s; CPU {cpu:.1f} s "
          f"({cpu / result.n_files * 1000:.1f} ms a file; ~{cpu / workers:.0f} s wall on {workers} idle cores)")
    print(f"peak RSS: parent {own.ru_maxrss / 1024:.0f} MiB, largest worker {kids.ru_maxrss / 1024:.0f} MiB")
    print(f"statuses: {result.statuses}")


if __name__ == "__main__":
    main()
