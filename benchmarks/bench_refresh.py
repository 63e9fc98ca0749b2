"""Time the annual refresh on the sample: cold (new warehouse, empty cache), warm (--force: a
full rebuild with the extraction cache warm) and a no-change refresh (the CLI's fingerprint check).

Run by hand: .venv/bin/python benchmarks/bench_refresh.py  (targets: whole sample < 180 s,
nothing changed < 30 s). Uses a temporary warehouse, reports folder and cache; reads sources/."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("jinchengtuo")


def timed(args, env):
    t = time.perf_counter()
    proc = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        print(proc.stderr[-3000:])
        raise SystemExit(f"refresh failed: {args}")
    return dt, proc.stderr


def print_steps(log: str) -> None:
    """The steps of a refresh (its ✔ lines), the GX asset checks summed into one line."""
    steps = [line.strip() for line in log.splitlines() if line.startswith("✔")]
    checks = [s for s in steps if "_gx_" in s]
    for line in steps:
        if line not in checks:
            print("   ", line)
    total = sum(float(s.rsplit("(", 1)[1].rstrip("s)")) for s in checks) if checks else 0.0
    print(f"    {len(checks)} GX asset checks: {total:.1f}s")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "JCT_WAREHOUSE": f"{tmp}/wh/jct.duckdb", "JCT_REPORTS": f"{tmp}/reports",
               "JCT_CACHE": f"{tmp}/cache", "DAGSTER_HOME": f"{tmp}/dagster_home"}
        docs = ROOT / "sources" / "documents"
        n_docs = sum(1 for p in docs.rglob("*") if p.is_file()) if docs.is_dir() else 0
        print(f"sources: {ROOT / 'sources'} ({n_docs} document files); {os.cpu_count()} cores")
        cold, log = timed(["refresh"], env)
        print(f"cold refresh (empty cache, new warehouse): {cold:6.1f} s")
        print_steps(log)
        warm, log = timed(["refresh", "--force"], env)
        print(f"full rebuild, warm extraction cache:       {warm:6.1f} s")
        print_steps(log)
        noop, log = timed(["refresh"], env)
        print(f"refresh with nothing changed:              {noop:6.1f} s  ({log.strip().splitlines()[-1][:80]})")


if __name__ == "__main__":
    main()
