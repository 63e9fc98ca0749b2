"""Publication speed on a synthetic warehouse (74 streets × 3 years, built by dbt): seconds per
year for a first release (files, report, 74 profiles), for a republish with nothing changed,
and for the panel. Run by hand: .venv/bin/python benchmarks/bench_publication.py"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from jinchengtuo import config
from jinchengtuo.publication import load_year, publish_panel, publish_year
from jinchengtuo.publication import charts, html, tables
from jinchengtuo.publication.data import connect
from jinchengtuo.scoring.synthetic import make_synthetic_raw, write_synthetic_raw

YEARS = [2020, 2021, 2022]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        wh = root / "w.duckdb"
        con = duckdb.connect(str(wh))
        write_synthetic_raw(con, make_synthetic_raw(YEARS))
        con.close()
        t = time.perf_counter()
        dbt = str(Path(sys.executable).with_name("dbt"))
        subprocess.run([dbt, "build", "--exclude-resource-type", "test", "--project-dir", str(config.DBT_PROJECT_DIR),
                        "--profiles-dir", str(config.DBT_PROJECT_DIR), "--target-path", str(root / "target"),
                        "--log-path", str(root / "target" / "logs")], check=True, capture_output=True,
                       env={**os.environ, "JCT_WAREHOUSE": str(wh), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
        print(f"dbt build of the synthetic warehouse: {time.perf_counter() - t:.1f}s (not publication)")
        reports = root / "reports"
        for y in YEARS:
            t = time.perf_counter()
            res = publish_year(y, warehouse=wh, reports_root=reports, documents_root=root / "documents")
            first = time.perf_counter() - t
            t = time.perf_counter()
            again = publish_year(y, warehouse=wh, reports_root=reports, documents_root=root / "documents")
            noop = time.perf_counter() - t
            assert res.changed and not again.changed
            size = sum(p.stat().st_size for p in res.year_dir.glob("*") if p.is_file()) / 1e6
            print(f"{y}: first release {first:.1f}s, republish unchanged {noop:.2f}s, current files {size:.1f} MB, {len(res.files)} files")
        t = time.perf_counter()
        p = publish_panel(warehouse=wh, reports_root=reports)
        print(f"panel: {time.perf_counter() - t:.2f}s, {p.n_rows} rows")
        # where a first release spends its time (last year)
        con = connect(wh)
        data = load_year(con, YEARS[-1])
        con.close()
        for name, fn in [
            ("xlsx", lambda: tables.write_xlsx(data, root / "x.xlsx")),
            ("report.html (8 charts)", lambda: html.render_report(data, revision=1, published_at="-")),
            ("74 street profiles", lambda: html.render_profiles(data, revision=1, published_at="-", documents_root=None)),
            ("fingerprint", data.fingerprint),
        ]:
            t = time.perf_counter()
            fn()
            print(f"  {name}: {time.perf_counter() - t:.2f}s")


if __name__ == "__main__":
    main()
