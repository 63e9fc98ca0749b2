"""National scale on Dask distributed (issue 14): extraction throughput with 1 and 2 workers,
peak memory per worker, the end-to-end national run, and warehouse (dbt) build times at 74,
5,000 and 41,352 units. Run by hand; prints figures, asserts nothing. docs/scale.md reads them.

    .venv/bin/python benchmarks/bench_scale.py [--units 5000] [--years 2021,2022] [--corpus DIR]
        [--scaling-units 500] [--out /tmp/bench-scale] [--skip STEP ...]
        [--mix light|full] [--scope shenzhen|national] [--replicate-units 5000]

National-scope scoring build (rankable units: the full mix, scored with JCT_SCOPE):

    .venv/bin/python benchmarks/bench_scale.py --units 150 --mix full --scope national \
        --replicate-units 5000 --out /tmp/bench-natscale --skip scaling shenzhen

Steps (each can be skipped with --skip NAME):
  corpus    the national sample corpus of --units units (jinchengtuo.corpus.national), unless
            --corpus names one (DIR/documents/<year>/<province>/<county>/<unit>/…)
  scaling   the documents of the first --scaling-units units, extracted on a local cluster of 1
            and then 2 worker processes (one thread each, cache off): documents/s, scaling
            efficiency (rate with 2 workers / (2 × rate with 1)), peak RSS of each worker process
            and of its largest document reader
  national  every document of the corpus through 2 workers into a lake snapshot (the end-to-end
            run of the engine)
  shenzhen  the Shenzhen sample corpus (74 streets, the same years) through 2 workers
  replicate the 5,000-unit lake replicated onto all 41,352 units of the national reference
            (each unit takes the extracted rows of one sampled unit, codes, paths and hashes
            rewritten; part by part, never the whole lake in memory): extraction results for
            41,352 units without reading 165,000 documents on a 2-core machine
  warehouse for 74, 5,000 and 41,352 units: a new warehouse file with the reference and census
            loaded, the raw document views over the lake, then `dbt build` (models and seeds,
            tests excluded): the time, the peak RSS of the dbt process (DuckDB runs inside it),
            and rows of the main document models

--mix full generates the corpus with the full national mix (final accounts, disclosure reports,
rule-of-law reports, work summaries: units pass the coverage gates and are ranked; the light
default gives a unit own data for ~7 of 26 indicators, so nobody is ranked).
--scope national scores the replicated lakes with their own scope instead of Shenzhen's 74
streets: the --replicate-units lake onto the first whole counties (by code) reaching that many
units (JCT_SCOPE = those county codes), the 41,352-unit lake with JCT_SCOPE=national; the
replicate step then also writes a synthetic census extract for the target units (each takes the
2020 population and area of the unit whose documents it copies), raw.unit is loaded for the
scope, and the build reports rows of fct_indicator_value, fct_composite_score, fct_peer_rank and
the units ranked per year. With --scope shenzhen (the default) the builds are as before: the lakes
with the Shenzhen scope, which scores only the 74 streets.

The machine is shared (other sessions run their tests): figures are wall time under that load;
the CPU time of the workers is printed beside them.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NATIONAL_UNITS = 41352


def log(msg: str) -> None:
    print(msg, flush=True)


def unit_folders(documents: Path, limit: int | None = None) -> list[str]:
    """The unit codes of a national corpus (the folder names under <year>/<prov>/<county>/), sorted."""
    codes = sorted({p.name for p in documents.glob("*/*/*/*") if p.is_dir()})
    return codes[:limit] if limit else codes


def subset(documents: Path, codes: set[str], out: Path) -> Path:
    """A documents folder with the files of `codes` only, hard links (no copy)."""
    root = out / "documents"
    if root.exists():
        import shutil

        shutil.rmtree(root)
    for unit_dir in documents.glob("*/*/*/*"):
        if unit_dir.name in codes:
            target = root / unit_dir.relative_to(documents)
            target.mkdir(parents=True, exist_ok=True)
            for f in unit_dir.iterdir():
                if f.is_file():
                    os.link(f, target / f.name)
    return root


def extract(documents: Path, lake_root: Path, name: str, workers: int, directory: str, batch: int = 32) -> dict:
    from jinchengtuo.engine.distributed import connect, extract_to_lake
    from jinchengtuo.warehouse import lake

    snapshot = lake.new_snapshot(lake_root, name)
    t = time.perf_counter()
    with connect(None, workers=workers) as client:
        up = time.perf_counter() - t
        stats = extract_to_lake(documents, snapshot, client=client, directory=directory, reference_dir=ROOT / "sources" / "reference",
                                batch_size=batch)
    stats["cluster_start_s"] = up
    stats["cpu_s"] = sum(w["cpu_s"] for w in stats["per_worker"].values())
    return stats


def show(label: str, s: dict) -> None:
    log(f"{label}: {s['files']} documents in {s['seconds']:.1f} s on {s['workers']} worker(s) = {s['documents_per_second']:.2f} documents/s "
        f"(CPU {s['cpu_s']:.1f} s = {s['cpu_s'] / max(1, s['files']) * 1000:.0f} ms a document; cluster start {s['cluster_start_s']:.1f} s, {s['batches']} batches, {s['values']} figures, statuses {s['statuses']})")
    for w, v in sorted(s["per_worker"].items()):
        log(f"    worker {w}: {v['files']} documents, busy {v['seconds']:.1f} s (CPU {v['cpu_s']:.1f} s), peak RSS worker {v['peak_rss_mib']:.0f} MiB, "
            f"largest reader {v['peak_reader_rss_mib']:.0f} MiB")


# ---------------------------------------------------------------- 41,352 units from the 5,000-unit lake

def county_scope(n_units: int) -> str:
    """A scope of whole counties: the first counties (by code) of the national reference whose units
    reach `n_units` (a comma-separated list of 6-digit county codes, a JCT_SCOPE value)."""
    from jinchengtuo.reference.scope import national_units

    sizes = national_units().groupby("county_code", sort=True).size()
    codes = sizes.index[: int((sizes.cumsum() < n_units).sum()) + 1]
    return ",".join(str(c) for c in codes)


def replicate(source: Path, target: Path, n_units: int | None = None, scope: str | None = None,
              census_from: Path | None = None, census_to: Path | None = None) -> dict:
    """The first `n_units` units of the national reference (or the units of `scope`) each take the
    rows of one unit of the source snapshot (unit i takes source unit i mod n): codes, provinces,
    paths and hashes rewritten. In DuckDB SQL, out of core (never the lake in Python memory);
    written year/province-partitioned like the workers' parts (one part a partition: part-0, the
    documents' and their figures' part). `census_from` (a national corpus's census/national/
    extract folder) and `census_to` (a sources folder): also write a synthetic census extract for
    the target units, each with the 2020 population and area of its source unit."""
    import duckdb

    from jinchengtuo.reference.scope import Scope
    from jinchengtuo.warehouse import lake
    from jinchengtuo.warehouse.schema import columns

    units = Scope.parse(scope or "national").units(ROOT / "sources" / "reference")
    if scope is None:
        units = units.head(n_units)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    src = lambda t: f"read_parquet('{source}/{t}/**/*.parquet', hive_partitioning = false)"  # noqa: E731
    src_codes = [r[0] for r in con.execute(
        f"SELECT DISTINCT coalesce(street_code, folder_street_code) AS c FROM {src('document')} WHERE c IS NOT NULL ORDER BY 1").fetchall()]
    mapping = units[["unit_code", "province_code", "county_code"]].copy()
    mapping["src_code"] = [src_codes[i % len(src_codes)] for i in range(len(mapping))]
    con.register("m", mapping)
    con.execute(f"""CREATE TEMP TABLE docs AS
        SELECT d.*, m.unit_code AS new_code, m.province_code AS province, m.county_code AS new_county,
               sha256(d.source_file_sha256 || m.unit_code) AS new_sha,
               regexp_replace(d.source_path, '^([^/]+)/[^/]+/[^/]+/[^/]+/', '\\1/' || m.province_code || '/' || m.county_code || '/' || m.unit_code || '/') AS new_path
        FROM {src('document')} d JOIN m ON m.src_code = coalesce(d.street_code, d.folder_street_code) WHERE d.year IS NOT NULL""")
    out = {}
    target.mkdir(parents=True, exist_ok=True)
    opts = "FORMAT parquet, PARTITION_BY (year, province), WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN 'part-{i}', OVERWRITE true"
    doc_cols = ", ".join({"source_file_sha256": "new_sha AS source_file_sha256", "source_path": "new_path AS source_path",
                          "street_code": "CASE WHEN street_code IS NOT NULL THEN new_code END AS street_code",
                          "folder_street_code": "CASE WHEN folder_street_code IS NOT NULL THEN new_code END AS folder_street_code"}.get(c, c)
                         for c in columns("document"))
    con.execute(f"COPY (SELECT {doc_cols}, province FROM docs) TO '{target}/document' ({opts})")
    val_cols = ", ".join({"source_file_sha256": "d.new_sha AS source_file_sha256", "street_code": "CASE WHEN v.street_code IS NOT NULL "
                          "THEN d.new_code END AS street_code", "year": "d.year AS year"}.get(c, "v." + c) for c in columns("extracted_value"))
    con.execute(f"""COPY (SELECT {val_cols}, d.province FROM {src('extracted_value')} v
        JOIN (SELECT DISTINCT ON (source_file_sha256, new_code) * FROM docs) d ON d.source_file_sha256 = v.source_file_sha256) TO '{target}/extracted_value' ({opts})""")
    iss_cols = ", ".join({"source_file_sha256": "d.new_sha AS source_file_sha256", "source_path": "d.new_path AS source_path",
                          "message": "replace(i.message, i.source_path, d.new_path) AS message"}.get(c, "i." + c) for c in columns("extraction_issue"))
    con.execute(f"""COPY (SELECT {iss_cols}, d.year, d.province FROM {src('extraction_issue')} i
        JOIN docs d ON d.source_file_sha256 = i.source_file_sha256 AND d.source_path = i.source_path) TO '{target}/extraction_issue' ({opts})""")
    for t in lake.LAKE_TABLES:
        out[t] = con.execute(f"SELECT count(*) FROM read_parquet('{target}/{t}/**/*.parquet')").fetchall()[0][0]
    if census_from is not None and census_to is not None:
        out["census_rows"] = replicate_census(census_from, census_to, units, mapping, scope or "national")
    return {"units": len(mapping), "source_units": len(src_codes), **out}


def replicate_census(census_from: Path, sources: Path, units, mapping, scope: str) -> int:
    """sources/census/national/七普乡镇人口_SYNTHETIC样例_<scope>.csv for the target units: each takes
    the synthetic 2020 population and area of the unit whose documents it copies (its name its own)."""
    import pandas as pd

    from jinchengtuo.corpus.national import write_census_extract
    from jinchengtuo.reference.scope import Scope

    src = pd.concat([pd.read_csv(f, dtype={"区划代码": str}) for f in sorted(Path(census_from).glob("*.csv"))], ignore_index=True)
    src = src.drop_duplicates("区划代码").set_index("区划代码")
    m = mapping.merge(units[["unit_code", "unit_name"]], on="unit_code")
    m = m[m["src_code"].isin(src.index)]
    m["population_2020"] = src.loc[m["src_code"], "常住人口"].to_numpy()
    m["area_km2"] = src.loc[m["src_code"], "面积"].to_numpy()
    write_census_extract(sources, m)  # named …_national.csv (a long county list is no file name)
    return len(m)


# ---------------------------------------------------------------- the warehouse on a lake

def run_measured(cmd: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run `cmd`; its result, the peak RSS (MiB) of the process and its children, sampled every
    0.2 s (dbt runs DuckDB in its own process: this is the build's memory), and its CPU seconds
    (user + system: on the shared machine the load-independent figure)."""
    import threading

    import psutil

    import resource

    peak = [0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        def sample():
            try:
                proc = psutil.Process(p.pid)
                while p.poll() is None:
                    rss = 0
                    for q in [proc, *proc.children(recursive=True)]:
                        try:
                            rss += q.memory_info().rss
                        except psutil.Error:
                            pass
                    peak[0] = max(peak[0], rss)
                    time.sleep(0.2)
            except psutil.Error:
                pass

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        out, err = p.communicate()
        t.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return subprocess.CompletedProcess(cmd, p.returncode, out, err), peak[0] / 2 ** 20, cpu


def profiles_with_memory_limit(work: Path, memory_limit: str) -> Path:
    """A profiles folder for this build: the project's dev target (dbt_project/profiles.yml) with
    DuckDB's memory_limit."""
    import yaml

    profiles = yaml.safe_load((ROOT / "dbt_project" / "profiles.yml").read_text(encoding="utf-8"))
    dev = profiles["jinchengtuo"]["outputs"]["dev"]
    # (DuckDB spills to <warehouse>.tmp beside the file; a temp_directory setting fails on dbt's
    # second cursor: "Cannot switch temporary directory after the current one has been used")
    dev["settings"] = {**dev.get("settings", {}), "memory_limit": memory_limit}
    folder = work / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(yaml.safe_dump(profiles, allow_unicode=True), encoding="utf-8")
    return folder


def build_warehouse(snapshot: Path, work: Path, scope: str, corpus_sources: Path | None,
                    census_sources: Path | None = None, memory_limit: str | None = None) -> dict:
    """`scope` is a JCT_SCOPE value; outside Shenzhen the census extracts are read from
    `census_sources`/census/national/ (a replicated lake's synthetic extract). `memory_limit`: DuckDB's
    memory_limit for the dbt build (e.g. 2GB; default DuckDB's own, 80 % of RAM)."""
    import duckdb

    from jinchengtuo.reference.scope import Scope
    from jinchengtuo.warehouse import lake
    from jinchengtuo.warehouse.loaders import load_census, load_reference, load_units
    from jinchengtuo.warehouse.schema import corpus_info, ensure_raw_schema, replace_table

    work.mkdir(parents=True, exist_ok=True)
    wh = work / "jct.duckdb"
    for p in (wh, wh.with_name(wh.name + ".wal")):
        p.unlink(missing_ok=True)
    t = time.perf_counter()
    sc = Scope.parse(scope)
    reference = ROOT / "sources" / "reference"
    census_dir = ROOT / "sources" / "census" if sc.is_shenzhen else Path(census_sources or corpus_sources or work) / "census"
    with duckdb.connect(str(wh)) as con:
        ensure_raw_schema(con)
        load_reference(con, reference, sc)
        if not sc.is_shenzhen:
            load_units(con, reference, sc)
        census = load_census(con, census_dir, reference, sc)
        replace_table(con, "corpus", corpus_info(corpus_sources or work))
        counts = lake.attach(con, snapshot)
        counts["census_street"] = census["census_street"]
    load_s = time.perf_counter() - t
    env = {**os.environ, "JCT_WAREHOUSE": str(wh), "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs"),
           "JCT_SCOPE": scope}
    t = time.perf_counter()
    profiles = profiles_with_memory_limit(work, memory_limit) if memory_limit else ROOT / "dbt_project"
    proc, peak, cpu = run_measured([str(BIN / "dbt"), "build", "--exclude-resource-type", "test", "--profiles-dir", str(profiles),
                                    "--project-dir", str(ROOT / "dbt_project")], env)
    dbt_s = time.perf_counter() - t
    summary = [ln for ln in proc.stdout.splitlines() if "Done. PASS=" in ln or "ERROR" in ln][-3:]
    slowest = sorted(((float(m.group(2)), m.group(1)) for m in re.finditer(
        r"OK created .*? model (\S+) .*? in ([0-9.]+)s\]", re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout))), reverse=True)[:5]
    out = {"load_s": load_s, "dbt_s": dbt_s, "dbt_cpu_s": cpu, "memory_limit": memory_limit or "DuckDB default", "dbt_peak_rss_mib": peak, "ok": proc.returncode == 0, "summary": summary,
           "slowest": ", ".join(f"{n} {s:.1f} s" for s, n in slowest), **counts}
    if proc.returncode == 0:
        with duckdb.connect(str(wh), read_only=True) as con:
            for m in ("marts.fct_document_inventory", "staging.stg_documents__extracted_values", "marts.fct_indicator_value",
                      "marts.fct_composite_score", "marts.fct_peer_rank"):
                try:
                    out[m] = con.execute(f"SELECT count(*) FROM {m}").fetchall()[0][0]
                except duckdb.Error:
                    out[m] = None
            try:
                out["ranked"] = {int(y): (int(r), int(n)) for y, r, n in con.execute(
                    "SELECT year, count(*) FILTER (WHERE is_ranked), count(*) FROM marts.fct_composite_score GROUP BY year ORDER BY year").fetchall()}
            except duckdb.Error:
                out["ranked"] = None
    out["warehouse"] = str(wh)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=5000)
    ap.add_argument("--years", default="2021,2022")
    ap.add_argument("--corpus", type=Path, help="an existing national sample corpus (DIR with documents/)")
    ap.add_argument("--shenzhen-corpus", type=Path, help="an existing Shenzhen sample corpus (DIR with documents/)")
    ap.add_argument("--scaling-units", type=int, default=500)
    ap.add_argument("--national-units", type=int, help="extract only the first N units of the corpus end to end (default: all)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench-scale"))
    ap.add_argument("--skip", nargs="*", default=[])
    ap.add_argument("--mix", choices=("light", "full"), default="light", help="the national corpus's mix (full: rankable units)")
    ap.add_argument("--scope", choices=("shenzhen", "national"), default="shenzhen",
                    help="the scope the replicated lakes are scored with (national: their own units; shenzhen: the 74 streets)")
    ap.add_argument("--replicate-units", type=int, help="the smaller replicated lake's units (default: --units)")
    ap.add_argument("--duckdb-memory-limit", help="DuckDB memory_limit for the dbt builds (e.g. 2GB; default: DuckDB's 80%% of RAM)")
    ap.add_argument("--warehouse-units", type=int, nargs="*", help="build only the replicated lakes of these sizes (e.g. 41352)")
    args = ap.parse_args()
    years = [int(y) for y in args.years.split(",")]
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    lake_root = out / "lake"
    log(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start (shared with other sessions)")

    corpus = args.corpus or out / "national"
    if "corpus" not in args.skip and not args.corpus:
        from jinchengtuo.corpus.national import generate_national

        t = time.perf_counter()
        generate_national(corpus, args.units, years, workers=2, mix=args.mix)
        log(f"corpus: {args.units} units × {len(years)} years ({args.mix} mix) generated in {time.perf_counter() - t:.1f} s → {corpus}")
    documents = corpus / "documents"
    n_files = sum(1 for p in documents.rglob("*") if p.is_file())
    n_units = len(unit_folders(documents))
    log(f"corpus: {n_units} units, {n_files} documents under {documents}")

    if "scaling" not in args.skip:
        codes = set(unit_folders(documents, args.scaling_units))
        sub = subset(documents, codes, out / "scaling")
        rates = {}
        for workers in (1, 2):
            s = extract(sub, lake_root, f"scaling-{workers}", workers, "national")
            show(f"scaling, {len(codes)} units, {workers} worker(s)", s)
            rates[workers] = s["documents_per_second"]
        log(f"scaling efficiency with 2 workers: {rates[2] / (2 * rates[1]):.2f} (rate 2 workers / 2 × rate 1 worker; "
            f"{rates[2] / rates[1]:.2f}× the 1-worker rate)")

    national_snapshot = lake_root / "snapshots" / "national"
    if args.national_units:  # the end-to-end run on the first N units only
        n_units = min(args.national_units, n_units)
    if "national" not in args.skip:
        if args.national_units:
            documents = subset(documents, set(unit_folders(documents, args.national_units)), out / "national-subset")
        s = extract(documents, lake_root, "national", 2, "national")
        show(f"national end to end, {n_units} units × {len(years)} years, 2 workers", s)

    shenzhen_snapshot = lake_root / "snapshots" / "shenzhen"
    sz = args.shenzhen_corpus or out / "shenzhen"
    if "shenzhen" not in args.skip:
        if not args.shenzhen_corpus:
            from jinchengtuo.corpus.generate import generate

            generate(sz, years=years, seed=2026, workers=2)
        s = extract(sz / "documents", lake_root, "shenzhen", 2, "shenzhen")
        show("Shenzhen sample corpus (74 streets), 2 workers", s)

    n_small = args.replicate_units or args.units
    national = args.scope == "national"
    # n → (snapshot, the scope it is scored with, the sources folder of its census extract)
    replicas = {n: (lake_root / "snapshots" / f"replicated-{n}", (county_scope(n) if n != NATIONAL_UNITS else "national")
                    if national else None, out / "sources" / f"replicated-{n}") for n in (n_small, NATIONAL_UNITS)}
    if "replicate" not in args.skip:
        for n, (path, scope, sources) in replicas.items():
            t = time.perf_counter()
            if national:
                r = replicate(national_snapshot, path, scope=scope, census_from=corpus / "census" / "national", census_to=sources)
            else:
                r = replicate(national_snapshot, path, n)
            log(f"replicated lake, {n} units{' (scope ' + scope[:40] + ('…' if len(scope) > 40 else '') + ')' if scope else ''}: "
                f"{r} in {time.perf_counter() - t:.1f} s → {path}")

    if "warehouse" not in args.skip:
        plan = [("74 units (Shenzhen)", shenzhen_snapshot, "shenzhen", sz, None)]
        if national:
            plan += [(f"{n} units (replicated, scored in their scope)", p, scope, corpus, sources)
                     for n, (p, scope, sources) in replicas.items()]
        else:
            plan += [(f"{n_units} units (extracted)", national_snapshot, "shenzhen", corpus, None)]
            plan += [(f"{n} units (replicated)", p, "shenzhen", corpus, None) for n, (p, _, _) in replicas.items() if n != n_units]
        if args.warehouse_units:
            plan = [p for p in plan if any(p[0].startswith(f"{n} units") for n in args.warehouse_units)]
        for label, snap, scope, src, census in plan:
            if not snap.is_dir():
                log(f"warehouse, {label}: no lake snapshot at {snap}, skipped")
                continue
            w = build_warehouse(snap, out / "warehouse" / snap.name, scope, src, census, args.duckdb_memory_limit)
            log(f"warehouse, {label}: raw load {w['load_s']:.1f} s, dbt build {w['dbt_s']:.1f} s (CPU {w['dbt_cpu_s']:.1f} s; "
                f"{'ok' if w['ok'] else 'FAILED'}; memory_limit {w['memory_limit']}), "
                f"peak RSS of dbt {w['dbt_peak_rss_mib']:.0f} MiB; raw documents {w['document']}, figures {w['extracted_value']}, "
                f"issues {w['extraction_issue']}, census rows {w['census_street']}; "
                + ", ".join(f"{k.split('.')[-1]} {v}" for k, v in w.items() if "." in k and k != "warehouse")
                + f"; ranked/rows per year {w.get('ranked')}; slowest models: {w['slowest']}; " + " | ".join(w["summary"])
                + f" → {w['warehouse']}")


if __name__ == "__main__":
    main()
